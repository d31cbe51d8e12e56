"""``Idempotency-Key``: the same key within 24 hours returns the first result; a different body
with the same key is a 422. The key is claimed in the transaction that does the work, so two
concurrent retries wait for each other and produce one result."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.models import IdempotencyKey

WINDOW = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used with a different request body."


def idempotent(
    request: Request, *, user: User, scope: str, produce: Callable[[], Response]
) -> Response:
    """Run ``produce`` once per key; replay its response for a retry with the same body."""
    key = request.headers.get(HEADER)
    if key is None:
        return produce()
    if not key.strip() or len(key) > 255:
        raise ValidationError({HEADER: ["Give a key of 1 to 255 characters."]})
    body_hash = hashlib.sha256(
        json.dumps(request.data, sort_keys=True, default=str).encode()
    ).hexdigest()
    with transaction.atomic():
        IdempotencyKey.objects.filter(
            user=user, scope=scope, key=key, created_at__lt=timezone.now() - WINDOW
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, scope=scope, key=key, request_hash=body_hash
                )
        except IntegrityError:
            # Another request holds or held this key; its transaction has ended by now.
            first = IdempotencyKey.objects.get(user=user, scope=scope, key=key)
            if first.request_hash != body_hash:
                raise KeyReused() from None
            return Response(
                first.response, status=first.status_code, headers={"Idempotent-Replayed": "true"}
            )
        response = produce()
        record.status_code, record.response = response.status_code, response.data
        record.save(update_fields=["status_code", "response"])
        return response
