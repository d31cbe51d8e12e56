"""What the OpenAPI schema shows beyond the serializers: the error shape and worked examples.

The examples are the README's walkthrough: a council meeting disrupted by intruders, filed,
dated with its sources, moved through the workflow.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error of the API has this shape."""

    error = serializers.CharField(
        help_text="A stable code: invalid, not_authenticated, permission_denied, not_found, "
        "invalid_transition, precondition_failed, unsupported_media_type, throttled, ..."
    )
    detail = serializers.CharField(help_text="What is wrong, for a person.")
    fields = serializers.DictField(
        required=False, help_text="On a 400: each invalid field and its messages."
    )
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="On a refused workflow move (409): the statuses allowed from here.",
    )


def error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description, examples=list(examples))


INVALID = error(
    "Invalid fields, each named in `fields`.",
    OpenApiExample(
        "Invalid fields",
        value={
            "error": "invalid",
            "detail": "The request has invalid fields: occurred_on, platforms.",
            "fields": {
                "occurred_on": ["2020-02-30 is not a date."],
                "platforms": ["Object with slug=zooom does not exist."],
            },
        },
    ),
)
NOT_FOUND = error("No such object, or not yours.")
STALE = error(
    "The `If-Match` ETag is stale: the incident changed since it was read; nothing was written.",
    OpenApiExample(
        "Stale If-Match",
        value={
            "error": "precondition_failed",
            "detail": "The incident changed since you read it (If-Match does not match its ETag).",
        },
    ),
)

TOKEN_REQUEST = OpenApiExample(
    "Log in",
    value={"username": "alice", "password": "correct horse battery staple", "name": "laptop"},
    request_only=True,
)
TOKEN_ISSUED = OpenApiExample(
    "A new token (shown once)",
    value={
        "token": "q2XkV9c0JwzL3m1rS8tYb4nHfA6dE7gP0uIoK5jWxCs",
        "expires_at": "2027-02-22T10:00:00Z",
    },
    response_only=True,
    status_codes=["201"],
)
WRONG_PASSWORD = error(
    "Wrong username or password (and throttled after a few attempts).",
    OpenApiExample(
        "Wrong password",
        value={"error": "authentication_failed", "detail": "Wrong username or password."},
    ),
)
LOCKED_OUT = error(
    "Too many requests: login attempts from this address are throttled (`throttled`), or too "
    "many failed logins locked this username out here (`locked_out`, LOGIN_FAILURE_LIMIT) for "
    "LOGIN_LOCKOUT_MINUTES. `Retry-After` says when to try again.",
    OpenApiExample(
        "Locked out",
        value={
            "error": "locked_out",
            "detail": "Too many failed logins for this username from your address: "
            "try again in 15 minutes.",
        },
    ),
)

INCIDENT_CREATE = OpenApiExample(
    "File an incident",
    value={
        "title": "Intruders in a council meeting",
        "summary": "Uninvited participants disrupted a public council meeting held on Zoom.",
        "category": "intrusion",
        "severity": "high",
        "occurred_on": "2020-04",
        "platforms": ["zoom"],
        "tags": ["meeting-security"],
        "organizations": [{"organization": "fbi", "role": "reporter"}],
    },
    request_only=True,
)
INCIDENT_PATCH = OpenApiExample(
    "Raise the severity",
    value={"severity": "critical"},
    request_only=True,
)
TRANSITION = OpenApiExample(
    "Confirm",
    value={"to": "confirmed", "note": "Two independent sources agree."},
    request_only=True,
)
TRANSITION_REJECT = OpenApiExample(
    "Reject as a duplicate",
    value={
        "to": "rejected",
        "rejection_reason": "duplicate",
        "merged_into": "zoombombing-2020",
        "note": "Same wave of intrusions.",
    },
    request_only=True,
)
REFUSED_MOVE = error(
    "The workflow does not allow this move; `allowed` lists the moves it does allow.",
    OpenApiExample(
        "Refused move",
        value={
            "error": "invalid_transition",
            "detail": "cannot move from resolved to confirmed: the workflow allows: investigating",
            "allowed": ["investigating"],
        },
    ),
)
KEY_REUSED = error(
    "The `Idempotency-Key` was used in the last 24 hours with a different body.",
    OpenApiExample(
        "Key reused",
        value={
            "error": "idempotency_key_reused",
            "detail": "This Idempotency-Key was used with a different request body.",
        },
    ),
)

TIMELINE_EVENT = OpenApiExample(
    "Date an event, citing an article",
    value={
        "date": "2020-04-01",
        "kind": "report",
        "description": "Intruders take over a public council meeting.",
        "sources": [{"article": 1, "quote": "disrupted by uninvited participants"}],
    },
    request_only=True,
)
ARTICLE = OpenApiExample(
    "Add a source",
    value={
        "url": "https://example.org/news/council-meeting-zoombombed",
        "title": "Council meeting disrupted by intruders",
        "publisher": "Example News",
        "published_on": "2020-04-02",
        "text": "A public council meeting held on Zoom was disrupted by uninvited participants.",
    },
    request_only=True,
)
LINK = OpenApiExample(
    "Link to an incident", value={"incident": "zoombombing-2020"}, request_only=True
)

CREATE_INCIDENT = OpenApiExample(
    "File an incident from an article",
    value={"category": "intrusion", "severity": "high", "title": "Intruders in a council meeting"},
    request_only=True,
)

CANDIDATE_DISMISS = OpenApiExample(
    "Dismiss a suggestion",
    value={"reason": "About a different meeting."},
    request_only=True,
)
CANDIDATES_ACCEPT = OpenApiExample(
    "Accept several suggestions", value={"ids": [12, 15]}, request_only=True
)
CANDIDATES_DISMISS = OpenApiExample(
    "Dismiss several suggestions",
    value={"ids": [13, 14], "reason": "Earnings news, not an incident."},
    request_only=True,
)
CANDIDATES_DECIDED = OpenApiExample(
    "One decided now, one decided before",
    value={"decided": [12], "already_decided": [15], "not_found": []},
    response_only=True,
    status_codes=["200"],
)
ALREADY_DECIDED = error(
    "The candidate was accepted or dismissed already; nothing was written.",
    OpenApiExample(
        "Already decided",
        value={"error": "already_decided", "detail": "Candidate #12 was already accepted."},
    ),
)

FEED_CREATE = OpenApiExample(
    "Add a feed",
    value={"url": "https://www.darkreading.com/rss.xml", "name": "Dark Reading"},
    request_only=True,
)
FEED_PATCH = OpenApiExample("Disable a feed", value={"enabled": False}, request_only=True)
FEED_URL_REFUSED = error(
    "Invalid fields, each named in `fields`: a URL that fetching would refuse, or a feed "
    "already added.",
    OpenApiExample(
        "URL refused",
        value={
            "error": "invalid",
            "detail": "The request has invalid fields: url.",
            "fields": {"url": ["refused: 127.0.0.1 is loopback"]},
        },
    ),
)
