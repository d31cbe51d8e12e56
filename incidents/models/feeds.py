"""News feeds the tracker polls, and the items they listed (remembered, and processed once)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models.articles import Article
from incidents.models.fields import actor_field

# Poll intervals, in seconds: adapted to how often a feed publishes, within these bounds.
MIN_POLL_INTERVAL = 5 * 60
MAX_POLL_INTERVAL = 24 * 3600
DEFAULT_POLL_INTERVAL = 3600
# A feed with nothing new for this long is shown as silent.
SILENT_AFTER = timedelta(days=7)


class FeedHealth(models.TextChoices):
    NEW = "new", "Never polled"
    OK = "ok", "OK"
    SILENT = "silent", "Silent"
    FAILING = "failing", "Failing"
    DISABLED = "disabled", "Disabled"


class Feed(models.Model):
    """An RSS or Atom feed polled for articles; its schedule, validators and failures."""

    Health = FeedHealth

    url = models.CharField(max_length=2048, unique=True, help_text="Canonical http(s) URL.")
    name = models.CharField(max_length=200)
    language = models.CharField(
        max_length=2, blank=True, help_text="ISO 639-1 hint when an article's text cannot tell."
    )
    enabled = models.BooleanField(default=True)
    poll_interval = models.PositiveIntegerField(
        default=DEFAULT_POLL_INTERVAL,
        help_text="Seconds between polls; adapted to how often the feed publishes.",
    )
    next_poll_at = models.DateTimeField(default=timezone.now)
    # Validators of the last response, sent back for a conditional GET.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # sha256 of the last body parsed and stored: the same body again is not parsed again (for
    # servers that ignore the validators).
    body_hash = models.CharField(max_length=64, blank=True, editable=False)
    ttl_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="RSS <ttl>.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_new_item_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # A poll holds the feed for a while (a lease in PostgreSQL, not in Redis): a second worker
    # given the same feed at once sees it held and does nothing.
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = actor_field()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="feed_name_idx"),
            # The dispatcher: enabled feeds whose next poll is due.
            models.Index(fields=["next_poll_at"], condition=Q(enabled=True), name="feed_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__regex=r"^https?://[^\s]+$"), name="feed_url_is_http"
            ),
            models.CheckConstraint(
                condition=Q(language="") | Q(language__regex=r"^[a-z]{2}$"),
                name="feed_language_iso639_1",
            ),
            models.CheckConstraint(
                condition=Q(poll_interval__gte=MIN_POLL_INTERVAL)
                & Q(poll_interval__lte=MAX_POLL_INTERVAL),
                name="feed_poll_interval_bounded",
            ),
            models.CheckConstraint(
                condition=Q(lease_token__isnull=True, lease_expires_at__isnull=True)
                | Q(lease_token__isnull=False, lease_expires_at__isnull=False),
                name="feed_lease_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def health(self) -> FeedHealth:
        """At a glance: disabled, failing, silent for ``SILENT_AFTER``, never polled, or OK."""
        if not self.enabled:
            return FeedHealth.DISABLED
        if self.consecutive_failures:
            return FeedHealth.FAILING
        if self.last_success_at is None:
            return FeedHealth.NEW
        quiet_since = self.last_new_item_at or self.created_at
        if timezone.now() - quiet_since > SILENT_AFTER:
            return FeedHealth.SILENT
        return FeedHealth.OK


class FeedEntryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class FeedEntry(models.Model):
    """An item a feed listed: remembered by GUID and canonical URL so that it is taken once,
    and the record of work to do on it (fetch the page, store the article) until done."""

    State = FeedEntryState

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    # sha256 of the item's GUID (or of its link, or of its title and summary when it has none).
    guid = models.CharField(max_length=64)
    url = models.CharField(max_length=2048, blank=True, help_text="Canonical link; may be blank.")
    title = models.CharField(max_length=500, blank=True)
    summary_html = models.TextField(blank=True, help_text="Sanitised with nh3.")
    summary_text = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    author = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=2, blank=True, help_text="As the feed declares it.")
    state = models.CharField(
        max_length=10, choices=FeedEntryState.choices, default=FeedEntryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the sweeper queues a pending entry (again): past its queued message's grace, past a
    # claim that lapsed (the worker died), at a retry's time.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker holds the entry until then (a conditional update claims it).
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="feed_entries"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        verbose_name_plural = "feed entries"
        indexes = [
            models.Index(fields=["-first_seen_at", "-id"], name="feedentry_seen_idx"),
            # The sweeper: pending entries whose work is due (again).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state=FeedEntryState.PENDING),
                name="feedentry_pending_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["feed", "guid"], name="feedentry_feed_guid_unique"),
            models.UniqueConstraint(
                fields=["feed", "url"], condition=~Q(url=""), name="feedentry_feed_url_unique"
            ),
            models.CheckConstraint(
                condition=Q(guid__regex=r"^[0-9a-f]{64}$"), name="feedentry_guid_sha256"
            ),
            models.CheckConstraint(
                condition=Q(state__in=FeedEntryState.values), name="feedentry_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__regex=r"^https?://[^\s]+$"),
                name="feedentry_url_is_http",
            ),
            models.CheckConstraint(
                condition=~Q(state=FeedEntryState.DONE) | Q(processed_at__isnull=False),
                name="feedentry_done_when_processed",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url or self.guid
