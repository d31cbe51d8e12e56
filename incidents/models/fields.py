"""Field definitions shared by several models."""

from django.conf import settings
from django.db import models


def actor_field() -> models.ForeignKey:
    """Who made a record or a change: kept when the account is deleted, set by code only."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
