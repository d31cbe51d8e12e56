"""Admin for the triage queue: the links the system suggests, accepted or dismissed by analysts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from incidents import selectors, services
from incidents.forms import DismissForm
from incidents.models import LinkCandidate
from incidents.permissions import acting_user

# How much of a candidate's reasons the list shows.
_SUMMARY_LENGTH = 120


class ConfidenceFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence"
    # (value, label, lowest, highest): [lowest, highest)
    BANDS = (
        ("high", "High (0.8 and over)", 0.8, None),
        ("medium", "Medium (0.5 to 0.8)", 0.5, 0.8),
        ("low", "Low (under 0.5)", None, 0.5),
    )

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(value, label) for value, label, _, _ in self.BANDS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        for value, _, lowest, highest in self.BANDS:
            if self.value() == value:
                if lowest is not None:
                    queryset = queryset.filter(confidence__gte=lowest)
                if highest is not None:
                    queryset = queryset.filter(confidence__lt=highest)
        return queryset


def reasons_summary(reasons: dict) -> str:
    """One line of a candidate's reasons: lists and plain values, nested details left out."""
    parts = []
    for name, value in (reasons or {}).items():
        if isinstance(value, list) and value:
            parts.append(f"{name.replace('_', ' ')}: {', '.join(map(str, value))}")
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            parts.append(f"{name.replace('_', ' ')}: {value}")
    text = "; ".join(parts)
    return text if len(text) <= _SUMMARY_LENGTH else text[: _SUMMARY_LENGTH - 1] + "…"


@admin.register(LinkCandidate)
class LinkCandidateAdmin(admin.ModelAdmin):
    list_display = [
        "article_link",
        "incident",
        "confidence_shown",
        "status",
        "reasons_shown",
        "created_at",
    ]
    list_display_links = ["confidence_shown"]
    list_filter = ["status", ConfidenceFilter]
    search_fields = ["article__title", "incident__slug", "incident__title"]
    fields = readonly_fields = (
        "article",
        "incident",
        "confidence",
        "reasons",
        "status",
        "dismiss_reason",
        "decided_by",
        "decided_at",
        "created_at",
    )
    actions = ["accept_selected", "dismiss_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LinkCandidate]:
        return selectors.candidate_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the system suggests; an analyst links an article by hand instead

    def has_accept_permission(self, request: HttpRequest) -> bool:
        # Accepting links the article: the incident's sources change too.
        return request.user.has_perms(
            ["incidents.change_linkcandidate", "incidents.add_incidentsource"]
        )

    @admin.display(description="article", ordering="article__title")
    def article_link(self, candidate: LinkCandidate) -> str:
        url = reverse("admin:incidents_article_change", args=[candidate.article_id])
        return format_html('<a href="{}">{}</a>', url, candidate.article.title)

    @admin.display(description="confidence", ordering="confidence")
    def confidence_shown(self, candidate: LinkCandidate) -> str:
        return f"{candidate.confidence:.2f}"

    @admin.display(description="reasons")
    def reasons_shown(self, candidate: LinkCandidate) -> str:
        return reasons_summary(candidate.reasons)

    @admin.action(
        description="Accept selected suggestions (link the articles)", permissions=["accept"]
    )
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[LinkCandidate]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        report = services.candidates_accept(ids=ids, actor=acting_user(request))
        self._report(request, report, "Accepted")

    @admin.action(description="Dismiss selected suggestions…", permissions=["change"])
    def dismiss_selected(
        self, request: HttpRequest, queryset: QuerySet[LinkCandidate]
    ) -> HttpResponse | None:
        """Asks for the reason on a page of its own, then dismisses with it."""
        form = DismissForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ids = list(queryset.values_list("pk", flat=True))
            try:
                report = services.candidates_dismiss(
                    ids=ids, actor=acting_user(request), reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error("reason", error.message_dict.get("reason", error.messages))
            else:
                self._report(request, report, "Dismissed")
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Dismiss suggestions",
            "opts": self.opts,
            "form": form,
            "candidates": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/incidents/linkcandidate/dismiss.html", context)

    def _report(self, request: HttpRequest, report: services.TriageReport, verb: str) -> None:
        if report.decided:
            self.message_user(request, f"{verb} {len(report.decided)} suggestion(s).")
        if report.already_decided:
            skipped = ", ".join(f"#{pk}" for pk in report.already_decided)
            self.message_user(request, f"Skipped, decided already: {skipped}.", messages.WARNING)
