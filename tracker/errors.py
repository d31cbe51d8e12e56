"""Error pages: under /api/ the API's JSON error shape, elsewhere Django's own pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL that matches no route (a malformed slug, say) answers as the API's other 404s."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": "not_found", "detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        body = {"error": "server_error", "detail": "The server failed; it has been logged."}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
