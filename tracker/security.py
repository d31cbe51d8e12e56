"""Login brute-force protection (django-axes): whose address a login comes from, and the
answer a locked-out login gets, in the admin and the API alike."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle


def client_ip(request: HttpRequest) -> str:
    """The client's address as the API's throttles see it: REMOTE_ADDR, or X-Forwarded-For as
    far as ``TRUSTED_PROXY_COUNT`` proxies wrote it (a client can put anything before that)."""
    return BaseThrottle().get_ident(request)


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, lockout_seconds() // 60)
    return (
        "Too many failed logins for this username from your address: "
        f"try again in {minutes} minutes."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """What the admin's login answers once locked out (django-axes' AXES_LOCKOUT_CALLABLE)."""
    response = HttpResponse(
        lockout_message(),
        status=settings.AXES_HTTP_RESPONSE_CODE,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(lockout_seconds())
    return response
