"""Idempotency keys of API writes: a retried POST returns the first result, never a duplicate."""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """One client-chosen key per user and operation, with the response it first produced."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    scope = models.CharField(max_length=50, help_text="The operation, e.g. incident.create.")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="idempotency_key_unique_per_user"
            ),
        ]
        # Expired keys are swept by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
