"""The request id: taken from a well-formed X-Request-ID or made here, echoed in the response,
and carried into the Celery tasks the request queues (see ``tasks``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# What a proxy or a client may hand us: a uuid, a hex or base64url token; nothing that could
# break a log line or a header (no spaces, quotes or control characters), nothing huge.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_get() -> str | None:
    """The id of the request (or of the request behind the task) in progress, if any."""
    return request_id.get()


def request_id_from(header: str | None) -> str:
    """The incoming id when it is well-formed, else a new one."""
    if header and WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for everything the request runs, and answers it in X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request_id_from(request.headers.get(HEADER))
        request.request_id = value  # type: ignore[attr-defined]  # for what logs after us
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = value
        return response
