"""Admin for email digests: who receives what (with a preview of their next digest), and each
digest sent or failed. Both are the Admin role's only (roles._PRIVATE_MODELS)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from incidents.models import Delivery, Subscription
from incidents.models.incidents import IncidentCategory
from incidents.services.subscriptions import subscription_check, subscription_preview


class SubscriptionForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        choices=IncidentCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None: every category.",
    )

    class Meta:
        model = Subscription
        fields = [
            "user",
            "frequency",
            "delivery_hour",
            "delivery_weekday",
            "time_zone",
            "platforms",
            "min_severity",
            "categories",
            "followed",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        if self.errors or user is None:
            return cleaned
        # The API's checks: a user who may not read incidents follows none, among others.
        try:
            subscription_check(
                user=user,
                frequency=cleaned["frequency"],
                delivery_hour=cleaned["delivery_hour"],
                delivery_weekday=cleaned["delivery_weekday"],
                time_zone=cleaned["time_zone"],
                platforms=[platform.slug for platform in cleaned["platforms"]],
                min_severity=cleaned["min_severity"],
                categories=cleaned["categories"],
                followed=[incident.slug for incident in cleaned["followed"]],
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "user",
        "email",
        "frequency",
        "delivery_hour",
        "delivery_weekday",
        "time_zone",
        "min_severity",
        "updated_at",
    ]
    list_filter = ["frequency", "delivery_hour", "min_severity", "time_zone", "platforms"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "platforms", "followed"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["user"]}),
        (
            "When",
            {"fields": ["frequency", "delivery_hour", "delivery_weekday", "time_zone"]},
        ),
        (
            "What",
            {
                "fields": ["platforms", "min_severity", "categories", "followed"],
                "description": "An empty filter lets everything through; a followed incident "
                "is always in.",
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Subscription | None = None):
        # A subscription belongs to its user for good: another user's is another row.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    @admin.display(ordering="user__email", description="email")
    def email(self, subscription: Subscription) -> str:
        return subscription.user.email

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<path:object_id>/preview/", preview, name="incidents_subscription_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The digest the subscriber would get if it were sent now: built and shown, never sent
        nor recorded."""
        subscription = self.get_object(request, unquote(object_id))
        if subscription is None:
            raise Http404(f"No subscription with ID {object_id!r}.")
        if not self.has_view_permission(request, subscription):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": subscription,
            "title": f"Next digest of {subscription.user}",
            "change_url": reverse("admin:incidents_subscription_change", args=[subscription.pk]),
            "preview": subscription_preview(subscription=subscription, now=timezone.now()),
        }
        return TemplateResponse(request, "admin/incidents/subscription/preview.html", context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Digests claimed, sent, empty or failed: read-only for everyone (the sending job alone
    writes them; a failed one is not retried from here)."""

    list_display = [
        "recipient",
        "frequency",
        "period",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    ]
    list_filter = ["status", "frequency", "period"]
    list_select_related = ["subscription__user"]
    search_fields = ["recipient", "message_id", "subscription__user__username"]
    date_hierarchy = "period"
    fields = readonly_fields = (
        "subscription",
        "recipient",
        "frequency",
        "period",
        "window_start",
        "window_end",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "message_id",
        "summary",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("subscription__user")
