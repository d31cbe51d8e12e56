"""ETags and ``If-Match``: a write based on a stale read is refused with 412, changing nothing."""

from __future__ import annotations

import hashlib

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from incidents.models import Incident


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The incident changed since you read it (If-Match does not match its ETag)."


def incident_etag(incident: Incident) -> str:
    """A strong validator: changes whenever the incident or anything under it changes."""
    version = f"{incident.pk}:{incident.updated_at.isoformat()}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


def check_if_match(request: Request, incident: Incident) -> None:
    """Refuse the write when ``If-Match`` is sent and names none of the current ETag.

    Call it with the incident row locked, so that no write slips between check and change.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = {tag.strip() for tag in header.split(",")}
    if "*" not in tags and incident_etag(incident) not in tags:
        raise PreconditionFailed()
