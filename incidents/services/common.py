"""Helpers shared by the services."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident


def save_new(obj):
    """Insert, turning a lost race on a unique column into a field error, not a 500.

    The savepoint keeps the caller's transaction usable: nothing already stored is lost.
    """
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        unique = re.fullmatch(rf"{obj._meta.db_table}_(\w+)_key", constraint)
        if unique:
            raise ValidationError({unique[1]: [f"This {unique[1]} is already stored."]}) from None
        raise ValidationError(f"Refused by the database ({constraint or error}).") from None
    return obj


def touch_incident(incident: Incident, actor: User | None) -> None:
    """A change under an incident (timeline, sources) counts as a change of the incident."""
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now(), updated_by=actor)
