"""Liveness and readiness probes for load balancers and orchestrators (no login, no session)."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tracker.celery import app as celery_app

# A probe must answer quickly even when a dependency hangs.
PROBE_TIMEOUT_SECONDS = 2


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker are reachable; 503 names the one that is not."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=PROBE_TIMEOUT_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
