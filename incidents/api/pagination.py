"""Cursor pagination: stable under inserts, and as fast on page 2,000 as on page 1."""

from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class Cursor(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-updated_at", "-id")

    def get_ordering(self, request: Request, queryset, view) -> tuple[str, ...]:
        # A full-text search (q=) is ordered by relevance, best first.
        if request.query_params.get("q"):
            return ("-rank", "-id")
        return super().get_ordering(request, queryset, view)


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")
