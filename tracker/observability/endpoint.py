"""/metrics for Prometheus: a bearer token (METRICS_TOKEN), or a logged-in admin in a browser."""

from __future__ import annotations

import hmac

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from incidents.roles import Role
from tracker.observability.metrics import TrackerCollector


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format; 401 without credentials, 403 for a non-admin."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrackerCollector())
    try:
        body = generate_latest(registry)
    except redis.RedisError:
        return HttpResponse("Redis, which holds the counters, is unreachable.\n", status=503)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        if settings.METRICS_TOKEN and hmac.compare_digest(
            credentials.strip().encode(), settings.METRICS_TOKEN.encode()
        ):
            return None
        return _unauthorized("Wrong metrics token.")
    user = request.user
    if not user.is_authenticated:
        return _unauthorized("Send `Authorization: Bearer <METRICS_TOKEN>`, or log in as an admin.")
    if user.is_superuser or user.groups.filter(name=Role.ADMIN).exists():
        return None
    return HttpResponse("Only the Admin role may read the metrics.\n", status=403)


def _unauthorized(message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
