"""The admin's History page, read from the database-trigger history (django-pghistory)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from incidents.history import HISTORY_LIMIT, history_for


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
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "rows": history_for(obj),
            "limit": HISTORY_LIMIT,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/incidents/history.html", context)
