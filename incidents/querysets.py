"""Named queries of the incident domain, chained by selectors."""

from __future__ import annotations

from django.db import models


class IncidentQuerySet(models.QuerySet):
    def with_list_relations(self) -> IncidentQuerySet:
        """What a list of incidents shows, fetched in a fixed number of queries."""
        return self.prefetch_related("platforms", "tags").select_related("merged_into")
