"""An item a feed listed, made an article: its page fetched and extracted (the feed's summary
when the page cannot be had), stored once, linked to incidents, the entry marked done. Safe to
run twice at once: an entry is claimed by a conditional update before any work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.ingestion.extract import ExtractFailed, PageContent, page_extract_limited
from incidents.ingestion.fetch import FetchError, FetchFailed, fetch
from incidents.ingestion.linking import LinkReport, article_link
from incidents.ingestion.store import Ingested, NotStorable, Stored, article_ingest
from incidents.models import Article, FeedEntry

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# A claim lapses after this (longer than processing can last: the worker that holds it died).
CLAIM = timedelta(minutes=10)
# A page that fails for a passing reason is tried this many times before the summary stands in.
PAGE_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class EntryOutcome:
    """What processing an entry did: ``stored`` is None when it did nothing (not claimed) or
    will try again later (``retry``)."""

    entry_id: int
    stored: Stored | None = None
    article_id: int | None = None
    retry: bool = False
    error: str = ""
    # Incidents the article was linked to, and suggested for (triage), by this run.
    linked: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()


def entries_requeue(
    *, now: datetime | None = None, grace: timedelta, limit: int = 1000
) -> list[int]:
    """Pending entries whose work is overdue (a lost message, a claim that lapsed, a retry's
    time come), marked as queued again for ``grace``; several sweepers take disjoint rows."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            FeedEntry.objects.select_for_update(skip_locked=True)
            .filter(state=FeedEntry.State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        FeedEntry.objects.filter(pk__in=due).update(next_attempt_at=now + grace)
    return due


def entry_claim(*, entry_id: int, now: datetime) -> bool:
    """Take a pending entry for ``CLAIM``; False when another worker holds it or it is done."""
    return bool(
        FeedEntry.objects.filter(pk=entry_id, state=FeedEntry.State.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(attempts=F("attempts") + 1, claimed_until=now + CLAIM, next_attempt_at=now + CLAIM)
    )


def entry_process(*, entry_id: int) -> EntryOutcome:
    """Make the entry an article, once."""
    now = timezone.now()
    if not entry_claim(entry_id=entry_id, now=now):
        return EntryOutcome(entry_id)
    entry = FeedEntry.objects.select_related("feed").get(pk=entry_id)
    page, note = None, ""
    # A story another feed listed first is stored already: its page is not fetched again.
    if (
        entry.url
        and settings.TRACKER_FETCH_PAGES
        and not Article.objects.filter(url=entry.url).exists()
    ):
        try:
            page = _page(entry)
        except FetchFailed as error:
            if error.transient and entry.attempts < PAGE_ATTEMPTS:
                return _later(entry, now=now, error=str(error))
            note = f"page not used: {error}"
        except (FetchError, ExtractFailed) as error:
            note = f"page not used: {error}"
    # Stored, linked and marked done together: a worker that dies midway leaves nothing half
    # done, and the entry is processed again (one commit instead of four, too).
    with transaction.atomic():
        try:
            ingested = _ingest(entry, page)
        except NotStorable as error:
            return _failed(entry, now=now, error=f"{note}; {error}" if note else str(error))
        links = LinkReport()
        if ingested.stored is not Stored.KNOWN:
            links = article_link(ingested.article)
        FeedEntry.objects.filter(pk=entry.pk).update(
            state=FeedEntry.State.DONE,
            claimed_until=None,
            article=ingested.article,
            processed_at=timezone.now(),
            last_error=note,
        )
    return EntryOutcome(
        entry_id,
        stored=ingested.stored,
        article_id=ingested.article.pk,
        error=note,
        linked=tuple(links.linked),
        queued=tuple(links.queued),
    )


def _page(entry: FeedEntry) -> PageContent | None:
    fetched = fetch(entry.url, accept=PAGE_ACCEPT)
    if fetched.content_type not in HTML_TYPES:
        return None
    return page_extract_limited(fetched.body, url=fetched.url, charset=fetched.charset)


def _ingest(entry: FeedEntry, page: PageContent | None) -> Ingested:
    published = entry.published_at.date() if entry.published_at else None
    hint = entry.language or entry.feed.language or None
    if page is not None:
        return article_ingest(
            url=entry.url,
            title=page.title or entry.title,
            text=page.text,
            published=published or page.published,
            author=page.author or entry.author,
            publisher=page.publisher or entry.feed.name,
            language_hint=page.language or hint,
        )
    text = entry.summary_text or entry.title
    return article_ingest(
        # An item without a link is known by its text, as a document is.
        url=entry.url or "",
        title=entry.title,
        text=text,
        published=published,
        author=entry.author,
        publisher=entry.feed.name,
        language_hint=hint,
    )


def _later(entry: FeedEntry, *, now: datetime, error: str) -> EntryOutcome:
    FeedEntry.objects.filter(pk=entry.pk).update(
        claimed_until=None, next_attempt_at=now + RETRY_AFTER * entry.attempts, last_error=error
    )
    return EntryOutcome(entry.pk, retry=True, error=error)


def _failed(entry: FeedEntry, *, now: datetime, error: str) -> EntryOutcome:
    FeedEntry.objects.filter(pk=entry.pk).update(
        state=FeedEntry.State.FAILED, claimed_until=None, processed_at=now, last_error=error
    )
    return EntryOutcome(entry.pk, error=error)
