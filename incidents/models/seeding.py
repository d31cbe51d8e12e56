"""The ledger of what the seed command has written."""

from django.db import models


class SeedMark(models.Model):
    """A seeded record's key; once marked, seed never writes that record again."""

    key = models.CharField(max_length=200, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
