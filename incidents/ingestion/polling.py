"""Polling a feed: fetch it (conditionally), parse it, remember its new items, schedule the next
poll. The items' own work (page, article) is recorded here and done by ``entries.py``."""

from __future__ import annotations

import hashlib
import random
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.ingestion.canonical import url_canonical
from incidents.ingestion.fetch import FetchError, FetchFailed, fetch
from incidents.ingestion.parse import FeedItem, ParsedFeed, feed_parse_limited
from incidents.models import Feed, FeedEntry
from incidents.models.feeds import MAX_POLL_INTERVAL, MIN_POLL_INTERVAL

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Longer than a poll can last (the fetch deadline, then the parse's): a lease that lapses
# belongs to a worker that died.
LEASE = timedelta(minutes=5)
# After a failure the next poll waits the interval doubled per failure in a row, up to this;
# a failing feed is still polled at this pace (and shown as failing), never dropped.
MAX_BACKOFF = timedelta(seconds=MAX_POLL_INTERVAL)
# The interval is half the typical gap between items, so a new item waits half a gap on average.
INTERVAL_SHARE_OF_GAP = 0.5
RECENT_ITEMS = 20
MAX_URL = 2048  # FeedEntry.url, like Article.url
# A new entry is left to the message its poll sends for this long before the sweeper queues it.
QUEUED_GRACE = timedelta(minutes=15)


@dataclass
class PollReport:
    """What one poll of one feed did."""

    feed_id: int
    held: bool = False  # another worker holds the feed: nothing done
    not_modified: bool = False
    unchanged: bool = False  # the body was the one parsed last time: not parsed again
    items: int = 0  # listed by the feed
    new_entries: list[int] = field(default_factory=list)  # entries to process
    error: str = ""


def feed_lease_claim(*, feed_id: int) -> uuid.UUID | None:
    """Hold the feed for one poll, unless a live lease is held by someone else."""
    token = uuid.uuid4()
    now = timezone.now()
    held = (
        Feed.objects.filter(pk=feed_id)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(lease_token=token, lease_expires_at=now + LEASE)
    )
    return token if held else None


def feed_poll(*, feed_id: int) -> PollReport:
    """Poll one feed now, whatever its schedule; a feed held by another poll is left alone."""
    report = PollReport(feed_id=feed_id)
    token = feed_lease_claim(feed_id=feed_id)
    if token is None:
        report.held = True
        return report
    feed = Feed.objects.get(pk=feed_id)
    now = timezone.now()
    try:
        fetched = fetch(
            feed.url,
            etag=feed.etag or None,
            last_modified=feed.last_modified or None,
            accept=FEED_ACCEPT,
        )
    except FetchError as error:
        retry_after = error.retry_after if isinstance(error, FetchFailed) else None
        report.error = str(error)
        _failed(feed, token, now=now, message=report.error, retry_after=retry_after)
        return report
    if fetched.not_modified:
        report.not_modified = True
        _succeeded(feed, token, now=now, validators=(fetched.etag, fetched.last_modified))
        return report
    # Many servers ignore the validators (or send none) and answer with the same bytes: those
    # hold no item not stored already, and parsing them is most of a poll's cost.
    body_hash = hashlib.sha256(fetched.body).hexdigest()
    if body_hash == feed.body_hash:
        report.unchanged = True
        _succeeded(feed, token, now=now, validators=(fetched.etag, fetched.last_modified))
        return report
    parsed = feed_parse_limited(
        fetched.body, url=fetched.url, content_type=fetched.content_type, charset=fetched.charset
    )
    if parsed.error:
        report.error = parsed.error
        _failed(feed, token, now=now, message=parsed.error, retry_after=None)
        return report
    report.items = len(parsed.items)
    # The items and the feed's success are one transaction: an item is never remembered as
    # seen without its work recorded, and the validators never move past items not stored.
    with transaction.atomic():
        report.new_entries = _entries_store(feed, parsed, now=now)
        _succeeded(
            feed,
            token,
            now=now,
            validators=(fetched.etag, fetched.last_modified),
            parsed=parsed,
            body_hash=body_hash,
            new=bool(report.new_entries),
        )
    return report


def feeds_take_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Enabled feeds whose poll is due, the longest-waiting first, each taken until a poll
    would have ended (so a lost poll message costs a delay, not the feed); several
    dispatchers at once take disjoint feeds."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Feed.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, next_poll_at__lte=now)
            .order_by("next_poll_at")
            .values_list("pk", flat=True)[:limit]
        )
        Feed.objects.filter(pk__in=due).update(next_poll_at=now + LEASE)
    return due


def poll_interval_adapt(published: list[datetime], *, ttl_minutes: int | None, current: int) -> int:
    """Seconds until the next poll: half the median gap between the newest items, at least the
    feed's TTL, within the bounds; the current interval when the items carry no dates."""
    times = sorted((t for t in published if t is not None), reverse=True)[:RECENT_ITEMS]
    gaps = [(a - b).total_seconds() for a, b in pairwise(times)]
    gaps = [gap for gap in gaps if gap > 0]
    interval = int(statistics.median(gaps) * INTERVAL_SHARE_OF_GAP) if gaps else current
    if ttl_minutes:
        interval = max(interval, ttl_minutes * 60)
    return min(max(interval, MIN_POLL_INTERVAL), MAX_POLL_INTERVAL)


def poll_backoff(*, interval: int, failures: int, retry_after: float | None) -> timedelta:
    """How long a feed that failed ``failures`` times in a row rests: doubling, capped, with
    jitter so that feeds of one host do not come back together; at least its Retry-After."""
    seconds = min(interval * 2 ** max(failures - 1, 0), MAX_BACKOFF.total_seconds())
    seconds *= random.uniform(0.9, 1.1)  # noqa: S311 (spreading, not secrecy)
    if retry_after:
        seconds = max(seconds, min(retry_after, MAX_BACKOFF.total_seconds()))
    return timedelta(seconds=seconds)


def _entries_store(feed: Feed, parsed: ParsedFeed, *, now: datetime) -> list[int]:
    """Remember the feed's items not seen before (by GUID or canonical URL); their ids.

    Their work is due at once; the sweeper queues it only past ``QUEUED_GRACE`` (the message
    the poll's caller sends may be lost, never the entry).
    """
    rows: dict[str, FeedEntry] = {}
    for item in parsed.items:
        entry = _entry(feed, item, parsed.language)
        entry.next_attempt_at = now + QUEUED_GRACE
        rows.setdefault(entry.guid, entry)
    urls = [row.url for row in rows.values() if row.url]
    seen = FeedEntry.objects.filter(feed=feed).filter(Q(guid__in=list(rows)) | Q(url__in=urls))
    seen_guids, seen_urls = set(), set()
    for guid, url in seen.values_list("guid", "url"):
        seen_guids.add(guid)
        seen_urls.add(url)
    fresh, taken_urls = [], set(seen_urls)
    for guid, row in rows.items():
        if guid in seen_guids or (row.url and row.url in taken_urls):
            continue
        taken_urls.add(row.url)
        fresh.append(row)
    # A poll of the same feed that outlived its lease may insert the same rows: skipped.
    FeedEntry.objects.bulk_create(fresh, ignore_conflicts=True)
    return list(
        FeedEntry.objects.filter(
            feed=feed, guid__in=[row.guid for row in fresh], first_seen_at__gte=now
        ).values_list("pk", flat=True)
    )


def _entry(feed: Feed, item: FeedItem, feed_language: str | None) -> FeedEntry:
    try:
        url = url_canonical(item.link) if item.link else ""
    except ValueError:
        url = ""  # a link the tracker cannot follow: the summary stands alone
    if len(url) > MAX_URL:
        url = ""  # longer than any article URL is stored: known by its GUID and text only
    return FeedEntry(
        feed=feed,
        guid=hashlib.sha256(item.guid.encode("utf-8")).hexdigest(),
        url=url,
        title=item.title,
        summary_html=item.summary_html,
        summary_text=item.summary_text,
        published_at=item.published,
        author=item.author,
        language=item.language or feed_language or "",
    )


def _succeeded(
    feed: Feed,
    token: uuid.UUID,
    *,
    now: datetime,
    validators: tuple[str | None, str | None],
    parsed: ParsedFeed | None = None,
    body_hash: str = "",
    new: bool = False,
) -> None:
    interval = feed.poll_interval
    changes: dict = {}
    if body_hash:
        # Stored with the items, in their transaction: a body is skipped only once stored.
        changes["body_hash"] = body_hash
    if parsed is not None:
        interval = poll_interval_adapt(
            [item.published for item in parsed.items if item.published],
            ttl_minutes=parsed.ttl_minutes,
            current=feed.poll_interval,
        )
        changes["ttl_minutes"] = parsed.ttl_minutes
    if new:
        changes["last_new_item_at"] = now
    etag, last_modified = validators
    Feed.objects.filter(pk=feed.pk, lease_token=token).update(
        etag=(etag or "")[:500],
        last_modified=(last_modified or "")[:100],
        poll_interval=interval,
        next_poll_at=now + timedelta(seconds=interval),
        last_polled_at=now,
        last_success_at=now,
        consecutive_failures=0,
        lease_token=None,
        lease_expires_at=None,
        updated_at=now,
        **changes,
    )


def _failed(
    feed: Feed, token: uuid.UUID, *, now: datetime, message: str, retry_after: float | None
) -> None:
    failures = feed.consecutive_failures + 1
    rest = poll_backoff(interval=feed.poll_interval, failures=failures, retry_after=retry_after)
    Feed.objects.filter(pk=feed.pk, lease_token=token).update(
        consecutive_failures=F("consecutive_failures") + 1,
        last_error=message,
        last_error_at=now,
        last_polled_at=now,
        next_poll_at=now + rest,
        lease_token=None,
        lease_expires_at=None,
        updated_at=now,
    )
