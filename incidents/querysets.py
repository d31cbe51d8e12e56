"""Named queries of the incident domain, chained by selectors."""

from __future__ import annotations

from django.db import models


class IncidentQuerySet(models.QuerySet):
    def public(self) -> IncidentQuerySet:
        return self.filter(public=True)

    def not_merged(self) -> IncidentQuerySet:
        return self.filter(merged_into__isnull=True)

    def with_status(self, *statuses: str) -> IncidentQuerySet:
        return self.filter(status__in=statuses)

    def with_list_relations(self) -> IncidentQuerySet:
        """What a list of incidents shows, fetched in a fixed number of queries."""
        return self.prefetch_related("platforms", "tags").select_related("merged_into")


class ArticleQuerySet(models.QuerySet):
    def in_language(self, language: str) -> ArticleQuerySet:
        return self.filter(language=language)
