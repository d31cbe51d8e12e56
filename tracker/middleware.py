"""Request guards that apply to every URL."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from incidents.api.parsers import is_storable


class UnstorableQueryGuard:
    """Refuse (400) a query string with a NUL byte or a lone surrogate before any view runs:
    a filter or a search would pass it to PostgreSQL, which cannot take it (a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if not all(is_storable(text) for text in (key, *values)):
                return JsonResponse(
                    {
                        "error": "invalid",
                        "detail": f"Query parameter {key!r}: text may not contain NUL bytes "
                        "or lone surrogates.",
                    },
                    status=400,
                )
        return self.get_response(request)
