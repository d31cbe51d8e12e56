"""The admin's History page, read from the database-trigger history (django-pghistory)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from pghistory.models import Events

# The newest entries; older ones remain in the database and the Events admin.
HISTORY_LIMIT = 500


def acting_user(request: HttpRequest) -> User:
    """The logged-in user of an admin request (the admin site lets no one else in)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class HistoryAdmin(admin.ModelAdmin):
    """Replace the admin's log-based History with every recorded change to the object and to
    the rows that point at it (an incident's timeline, sources and organisations)."""

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context=None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with ID {object_id!r}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        events = list(
            Events.objects.references(obj).order_by("-pgh_created_at", "-pgh_id")[:HISTORY_LIMIT]
        )
        user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context}
        users = get_user_model().objects.in_bulk([pk for pk in user_ids if pk is not None])
        rows = [_row(event, users) for event in events]
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "rows": rows,
            "limit": HISTORY_LIMIT,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/incidents/history.html", context)


def _row(event: Events, users: dict) -> dict:
    context = event.pgh_context or {}
    user = users.get(context.get("user"))
    data = event.pgh_data or {}
    if event.pgh_diff:
        changes = [(field, old, new) for field, (old, new) in sorted(event.pgh_diff.items())]
    else:
        changes = [
            (field, None, value) for field, value in sorted(data.items()) if value is not None
        ]
    return {
        "when": event.pgh_created_at,
        "what": f"{event.pgh_model.split('.')[-1].removesuffix('Event')} {event.pgh_label}",
        "object_id": event.pgh_obj_id,
        "who": user.get_username() if user else context.get("source", "system"),
        "where": context.get("url", ""),
        "changes": [c for c in changes if c[0] not in ("id", "pgh_obj_id")],
    }
