"""Admin for timeline events and the citations that back them."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from incidents import services
from incidents.admin.history import HistoryAdmin
from incidents.forms import PartialDateModelForm
from incidents.models import Citation, TimelineEvent
from incidents.permissions import acting_user

# Status changes are written only by the workflow, never typed in.
EDITABLE_KINDS = [
    (value, label)
    for value, label in TimelineEvent.Kind.choices
    if value != TimelineEvent.Kind.STATUS_CHANGE
]


class TimelineEventForm(PartialDateModelForm):
    partial_dates = ("date",)
    kind = forms.ChoiceField(choices=EDITABLE_KINDS)

    class Meta:
        model = TimelineEvent
        fields = ["incident", "date", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 60})}


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 1
    autocomplete_fields = ["article"]
    fields = ["article", "quote"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "quote":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 70})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(TimelineEvent)
class TimelineEventAdmin(HistoryAdmin):
    form = TimelineEventForm
    inlines = [CitationInline]
    list_display = ["when", "incident", "kind", "short_description", "created_by"]
    list_select_related = ["incident", "created_by"]
    list_filter = ["kind"]
    search_fields = ["description", "incident__title", "incident__slug"]
    autocomplete_fields = ["incident"]
    readonly_fields = ["from_status", "to_status", "created_by", "created_at", "updated_at"]
    ordering = ["-date", "-id"]

    @admin.display(ordering="date", description="date")
    def when(self, event: TimelineEvent) -> str:
        return event.when.isoformat()

    @admin.display(description="description")
    def short_description(self, event: TimelineEvent) -> str:
        return event.description[:100]

    # Status-change events are the workflow's audit trail: nobody edits or deletes them.
    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.kind == TimelineEvent.Kind.STATUS_CHANGE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.kind == TimelineEvent.Kind.STATUS_CHANGE:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj: TimelineEvent, form, change: bool) -> None:
        if not change:
            obj.created_by = acting_user(request)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        # A cited article is a source of the incident.
        for citation in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
            if isinstance(citation, Citation):
                services.incident_link_article(
                    incident=citation.event.incident,
                    article=citation.article,
                    linked_by=acting_user(request),
                )
