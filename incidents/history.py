"""Reading the change history that the database triggers record (django-pghistory)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model
from pghistory.models import Events

# The newest entries; older ones remain in the database.
HISTORY_LIMIT = 500
_HIDDEN_FIELDS = {"id", "pgh_obj_id"}


def history_for(obj: Model, *, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """Changes to ``obj`` and to the rows that point at it, newest first, in two queries.

    Each row: ``at``, ``model``, ``action`` (insert, update, delete, platforms.add, ...),
    ``object_id``, ``user`` (a username, or the context's source such as ``seed``), ``url``,
    and ``changes``: ``{"field", "old", "new"}`` (``old`` is None on inserts).
    """
    events = list(Events.objects.references(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    user_ids = {(e.pgh_context or {}).get("user") for e in events} - {None}
    users = get_user_model().objects.in_bulk(list(user_ids))
    return [_row(event, users) for event in events]


def _row(event: Events, users: dict) -> dict[str, Any]:
    context = event.pgh_context or {}
    user = users.get(context.get("user"))
    if event.pgh_diff:
        changes = [(field, old, new) for field, (old, new) in sorted(event.pgh_diff.items())]
    else:
        data = event.pgh_data or {}
        changes = [(field, None, new) for field, new in sorted(data.items()) if new is not None]
    return {
        "at": event.pgh_created_at,
        "model": event.pgh_model.split(".")[-1].removesuffix("Event"),
        "action": event.pgh_label,
        "object_id": event.pgh_obj_id,
        "user": user.get_username() if user else context.get("source"),
        "url": context.get("url", ""),
        "changes": [
            {"field": field, "old": old, "new": new}
            for field, old, new in changes
            if field not in _HIDDEN_FIELDS
        ],
    }
