"""Cursor pagination: stable under inserts, and as fast on page 2,000 as on page 1."""

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-updated_at", "-id")


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")
