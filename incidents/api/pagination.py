"""Cursor pagination: stable under inserts, and as fast on page 2,000 as on page 1."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class Cursor(CursorPagination):
    """Pages in one of ``orderings`` (``?ordering=``), newest change first by default.

    Each ordering is on a non-null, indexed column, with the id as the tie-break, so that a
    cursor can say where a page ends.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-updated_at", "-id")
    ordering_param = "ordering"
    orderings: tuple[str, ...] = ("-updated_at", "updated_at", "-created_at", "created_at")
    # Whether the list takes q= (and so orders by -rank).
    searchable = True

    def get_ordering(self, request: Request, queryset: QuerySet, view) -> tuple[str, ...]:
        ranked = self.searchable and "rank" in queryset.query.annotations
        searching = ranked or self._searching(request, view)
        choices = (*self.orderings, "-rank") if searching else self.orderings
        requested = request.query_params.get(self.ordering_param)
        if requested is None:
            # A full-text search (q=) is ordered by relevance, best first.
            return ("-rank", "-id") if ranked else self.ordering
        if requested not in choices:
            raise ValidationError({self.ordering_param: [f"Choose one of: {', '.join(choices)}."]})
        if requested == self.ordering[0]:
            return self.ordering
        return (requested, "-id" if requested.startswith("-") else "id")

    def _searching(self, request: Request, view) -> bool:
        """A search (q=) asked for in a date order: unranked (filters.SearchLast), yet -rank
        is one of its orderings."""
        filterset = getattr(view, "filterset_class", None)
        return (
            self.searchable
            and filterset is not None
            and "q" in filterset.base_filters
            and bool(request.query_params.get("q", "").strip())
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        ordering = {
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": (
                f"Order of the results (default {self.ordering[0]}; with q=, -rank: the best "
                "match first; a date order lists every match, unranked)."
                if self.searchable
                else f"Order of the results (default {self.ordering[0]})."
            ),
            "schema": {
                "type": "string",
                "enum": [*self.orderings, "-rank"] if self.searchable else list(self.orderings),
            },
        }
        return [*super().get_schema_operation_parameters(view), ordering]


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")
    orderings = ("-created_at", "created_at")


class MostLikelyFirst(Cursor):
    """The triage queue: the most confident suggestion first (the index candidate_queue_idx)."""

    ordering = ("-confidence", "id")
    orderings = ("-confidence",)
    searchable = False


class ByName(Cursor):
    """Feeds, by name (the index feed_name_idx)."""

    ordering = ("name", "id")
    orderings = ("name",)
    searchable = False
