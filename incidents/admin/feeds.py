"""Admin for ingestion: feeds with their health at a glance, the items they listed, the
gazetteer the relevance score reads."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from incidents.ingestion.feeds import feed_url_check
from incidents.models import Feed, FeedEntry, GazetteerTerm


class FeedForm(forms.ModelForm):
    class Meta:
        model = Feed
        fields = ["url", "name", "language", "enabled", "poll_interval"]

    def clean_url(self) -> str:
        # The same check as `manage.py feeds add`: a URL fetching would refuse is refused here.
        try:
            return feed_url_check(self.cleaned_data["url"])
        except ValueError as error:
            raise ValidationError(str(error)) from None


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    form = FeedForm
    list_display = [
        "name",
        "health",
        "language",
        "poll_interval",
        "last_success_at",
        "last_new_item_at",
        "consecutive_failures",
        "last_error",
    ]
    list_filter = ["enabled", "language"]
    search_fields = ["name", "url"]
    readonly_fields = [
        "next_poll_at",
        "etag",
        "last_modified",
        "ttl_minutes",
        "last_polled_at",
        "last_success_at",
        "last_new_item_at",
        "last_error",
        "last_error_at",
        "consecutive_failures",
    ]
    actions = ["enable", "disable", "poll_now"]

    @admin.display(description="Health")
    def health(self, feed: Feed) -> str:
        return feed.health.label

    def save_model(self, request: HttpRequest, obj: Feed, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Enable selected feeds", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = queryset.update(enabled=True, next_poll_at=timezone.now())
        self.message_user(request, f"Enabled {count} feed(s); they are polled within a minute.")

    @admin.action(description="Disable selected feeds", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        self.message_user(request, f"Disabled {queryset.update(enabled=False)} feed(s).")

    @admin.action(description="Poll selected feeds now", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = queryset.filter(enabled=True).update(next_poll_at=timezone.now())
        self.message_user(request, f"{count} enabled feed(s) are due now.")


@admin.register(FeedEntry)
class FeedEntryAdmin(admin.ModelAdmin):
    list_display = ["title", "feed", "state", "attempts", "first_seen_at", "article", "last_error"]
    list_filter = ["state", "feed"]
    list_select_related = ["feed", "article"]
    search_fields = ["title", "url"]
    readonly_fields = [f.name for f in FeedEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries come from polls

    def has_change_permission(self, request: HttpRequest, obj: FeedEntry | None = None) -> bool:
        return False


@admin.register(GazetteerTerm)
class GazetteerTermAdmin(admin.ModelAdmin):
    list_display = ["text", "key", "kind", "language", "weight", "enabled"]
    list_filter = ["kind", "language", "enabled"]
    search_fields = ["text", "key"]
