"""Admin for incidents: the list, the change page with its inlines, and workflow moves."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from incidents import services
from incidents.admin.history import HistoryAdmin
from incidents.admin.timeline import EDITABLE_KINDS
from incidents.exceptions import DomainError
from incidents.forms import PartialDateModelForm, TransitionForm
from incidents.models import Incident, IncidentOrganization, IncidentSource, TimelineEvent
from incidents.permissions import acting_user
from incidents.workflow import allowed_transitions

Status = Incident.Status


class IncidentForm(PartialDateModelForm):
    partial_dates = ("occurred_on",)

    class Meta:
        model = Incident
        fields = [
            "title",
            "slug",
            "summary",
            "category",
            "severity",
            "occurred_on",
            "platforms",
            "tags",
            "related",
            "public",
        ]


class IncidentOrganizationInline(admin.TabularInline):
    model = IncidentOrganization
    extra = 0
    autocomplete_fields = ["organization"]
    verbose_name = "organisation involved"
    verbose_name_plural = "organisations involved"


class IncidentSourceInline(admin.TabularInline):
    model = IncidentSource
    extra = 0
    autocomplete_fields = ["article"]
    fields = ["article", "linked_by", "linked_at"]
    readonly_fields = ["linked_by", "linked_at"]
    verbose_name = "source"
    verbose_name_plural = "sources (articles)"


class TimelineEventInlineForm(PartialDateModelForm):
    partial_dates = ("date",)
    kind = forms.ChoiceField(choices=EDITABLE_KINDS)

    class Meta:
        model = TimelineEvent
        fields = ["date", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 70})}


class TimelineEventInline(admin.TabularInline):
    model = TimelineEvent
    form = TimelineEventInlineForm
    extra = 1
    show_change_link = True  # citations are edited on the event's own page
    verbose_name = "timeline event"
    verbose_name_plural = "timeline (open an event to edit its citations)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TimelineEvent]:
        return super().get_queryset(request).exclude(kind=TimelineEvent.Kind.STATUS_CHANGE)


class StatusChangeInline(admin.TabularInline):
    """The workflow's audit trail: shown, never edited or deleted here."""

    model = TimelineEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "date",
        "from_status",
        "to_status",
        "description",
        "created_by",
        "created_at",
    )
    verbose_name = "status change"
    verbose_name_plural = "status changes (recorded by the workflow)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TimelineEvent]:
        qs = super().get_queryset(request).filter(kind=TimelineEvent.Kind.STATUS_CHANGE)
        return qs.select_related("created_by")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _move_action(to_status: str, rejection_reason: str | None = None):
    """An admin action moving each selected incident to ``to_status`` through the workflow."""

    label = Status(to_status).label.lower()
    if rejection_reason:
        label += f" ({Incident.RejectionReason(rejection_reason).label.lower()})"

    @admin.action(description=f"Move selected incidents to {label}", permissions=["change"])
    def action(modeladmin: IncidentAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        moved, refused = [], []
        for incident in queryset:
            try:
                services.incident_transition(
                    incident=incident,
                    to_status=to_status,
                    rejection_reason=rejection_reason,
                    actor=acting_user(request),
                )
                moved.append(incident.slug)
            except (DomainError, ValidationError) as error:
                refused.append(f"{incident.slug}: {_message(error)}")
        if moved:
            modeladmin.message_user(request, f"Moved to {to_status}: {', '.join(moved)}.")
        if refused:
            modeladmin.message_user(
                request, "Refused, nothing changed: " + "; ".join(refused), messages.ERROR
            )

    action.__name__ = f"move_to_{to_status}" + (f"_{rejection_reason}" if rejection_reason else "")
    return action


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@admin.register(Incident)
class IncidentAdmin(HistoryAdmin):
    form = IncidentForm
    list_display = [
        "title",
        "status",
        "severity",
        "category",
        "occurred",
        "platform_names",
        "public",
        "updated_at",
    ]
    list_filter = ["status", "severity", "category", "platforms", "public", "tags"]
    search_fields = ["title", "slug", "summary"]
    date_hierarchy = "occurred_on"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["platforms", "tags", "related"]
    readonly_fields = [
        "status",
        "rejection_reason",
        "merged_into",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary"]}),
        ("Classification", {"fields": ["category", "severity", "occurred_on", "public"]}),
        ("Workflow", {"fields": ["status", "rejection_reason", "merged_into"]}),
        ("Relations", {"fields": ["platforms", "tags", "related"]}),
        ("Record", {"fields": ["created_by", "created_at", "updated_by", "updated_at"]}),
    ]
    inlines = [
        IncidentOrganizationInline,
        TimelineEventInline,
        IncidentSourceInline,
        StatusChangeInline,
    ]
    actions = [
        _move_action(Status.INVESTIGATING),
        _move_action(Status.CONFIRMED),
        _move_action(Status.MITIGATED),
        _move_action(Status.RESOLVED),
        _move_action(Status.REJECTED, Incident.RejectionReason.NOT_SECURITY),
        _move_action(Status.REJECTED, Incident.RejectionReason.RETRACTED),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        return super().get_queryset(request).prefetch_related("platforms")

    @admin.display(ordering="occurred_on", description="occurred")
    def occurred(self, incident: Incident) -> str:
        return incident.occurred.isoformat() if incident.occurred else "—"

    @admin.display(description="platforms")
    def platform_names(self, incident: Incident) -> str:
        return ", ".join(platform.name for platform in incident.platforms.all())

    def save_model(self, request: HttpRequest, obj: Incident, form, change: bool) -> None:
        if not change:
            obj.created_by = acting_user(request)
        obj.updated_by = acting_user(request)
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            if instance.pk is None and hasattr(instance, "created_by_id"):
                instance.created_by = acting_user(request)
            if instance.pk is None and isinstance(instance, IncidentSource):
                instance.linked_by = acting_user(request)
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    # --- Workflow on the change page -----------------------------------------------------------

    def get_urls(self):
        transition = self.admin_site.admin_view(self.transition_view)
        return [
            path("<path:object_id>/transition/", transition, name="incidents_incident_transition"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if obj is not None and self.has_change_permission(request, obj):
            extra_context["allowed_transitions"] = [
                (status, Status(status).label) for status in allowed_transitions(obj.status)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.get_object(request, unquote(object_id))
        if incident is None:
            raise Http404(f"No incident with ID {object_id!r}.")
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
        allowed = allowed_transitions(incident.status)
        if request.method == "POST":
            # Any status is accepted here, so that a refused move gets the workflow's message.
            form = TransitionForm(request.POST)
            if form.is_valid() and self._apply_transition(request, incident, form):
                return HttpResponseRedirect(change_url)
        else:
            form = TransitionForm(initial={"to_status": request.GET.get("to", "")}, allowed=allowed)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Move: {incident}",
            "opts": self.opts,
            "original": incident,
            "form": form,
            "allowed": [Status(s).label for s in allowed],
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/incidents/incident/transition.html", context)

    def _apply_transition(self, request: HttpRequest, incident: Incident, form) -> bool:
        data = form.cleaned_data
        try:
            survivor = None
            if data["merged_into"]:
                survivor = Incident.objects.filter(slug=data["merged_into"]).first()
                if survivor is None:
                    raise ValidationError({"merged_into": ["No incident has this slug."]})
            services.incident_move(
                incident=incident,
                to_status=data["to_status"],
                rejection_reason=data["rejection_reason"] or None,
                merged_into=survivor,
                note=data["note"],
                actor=acting_user(request),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return False
        except DomainError as error:
            form.add_error("to_status", str(error))
            return False
        incident.refresh_from_db()
        self.message_user(request, f"{incident} is now {incident.get_status_display().lower()}.")
        return True
