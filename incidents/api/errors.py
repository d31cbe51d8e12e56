"""One error shape for the whole API, and the mapping of domain errors to HTTP statuses.

    {"error": "<code>", "detail": "<what is wrong>", "fields": {"<field>": ["..."]}}

``fields`` appears on validation errors, ``allowed`` on refused workflow moves (409).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from incidents.exceptions import AlreadyDecided, InvalidTransition, RecordLocked
from tracker.security import lockout_message, lockout_seconds


class LoginLockedOut(exceptions.APIException):
    """Too many failed logins for a username from one address (django-axes): 429."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(lockout_message())
        self.wait = lockout_seconds()  # DRF's handler sends it as Retry-After


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidTransition):
        body = {"error": "invalid_transition", "detail": str(exc), "allowed": list(exc.allowed)}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, AlreadyDecided):
        body = {"error": "already_decided", "detail": str(exc)}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RecordLocked):
        return Response({"error": "locked", "detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ProtectedError):
        detail = "Other records depend on this one; it cannot be deleted."
        return Response({"error": "protected", "detail": detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {
            "error": "invalid",
            "detail": "The request has invalid fields: " + ", ".join(sorted(fields)) + ".",
            "fields": fields,
        }
    elif isinstance(exc, Http404):
        response.data = {"error": "not_found", "detail": "Not found."}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "error": codes if isinstance(codes, str) else "error",
            "detail": str(exc.detail),
        }
    return response


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}
