"""An item a feed listed, made an article: its page fetched and extracted (the feed's summary
when the page cannot be had), stored once, linked to incidents, the entry marked done. Safe to
run twice at once: an entry is claimed (a row lock, then its claim committed) before any work.

Entries are processed in batches when no page is fetched: a batch's lookups and inserts are one
statement each (``store.articles_ingest``), which is most of what an entry costs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.ingestion.extract import ExtractFailed, PageContent, page_extract_limited
from incidents.ingestion.fetch import FetchError, FetchFailed, fetch
from incidents.ingestion.linking import LinkReport, article_link
from incidents.ingestion.store import Document, NotStorable, Stored, articles_ingest
from incidents.models import Article, FeedEntry

logger = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# A claim lapses after this (longer than processing can last: the worker that holds it died).
CLAIM = timedelta(minutes=10)
# A page that fails for a passing reason is tried this many times before the summary stands in.
PAGE_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=5)
# An entry whose processing fails unexpectedly (a bug, not its input) is tried this many times,
# then failed with the error shown.
MAX_ATTEMPTS = 5
# Entries per task when no page is fetched: 50 take a fraction of a second.
ENTRY_BATCH = 50
# Not an entry's fault: the task stops, and Celery retries it or gives up in time.
_PASSED_ON = (OperationalError, InterfaceError, SoftTimeLimitExceeded)


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


def entry_batches(entry_ids: Sequence[int]) -> list[list[int]]:
    """The entries in the batches one task processes: ``ENTRY_BATCH`` at a time, or one by one
    when pages are fetched (a page can take its whole fetch deadline: a slow site then holds
    one task, not a batch, and workers fetch pages side by side)."""
    size = 1 if settings.TRACKER_FETCH_PAGES else ENTRY_BATCH
    return [list(entry_ids[i : i + size]) for i in range(0, len(entry_ids), size)]


def entry_process(*, entry_id: int) -> EntryOutcome:
    """Make the entry an article, once."""
    (outcome,) = entries_process(entry_ids=[entry_id])
    return outcome


def entries_process(*, entry_ids: Sequence[int]) -> list[EntryOutcome]:
    """Make each entry an article, once; an outcome per id, in order (an entry another worker
    holds, or done already, gets an outcome that did nothing)."""
    now = timezone.now()
    claimed = _claim(entry_ids, now=now)
    outcomes = {entry_id: EntryOutcome(entry_id) for entry_id in entry_ids}
    try:
        outcomes.update(_process(claimed, now=now))
    except _PASSED_ON:
        raise
    except Exception as error:
        logger.exception("processing entries %s failed", [entry.pk for entry in claimed])
        if len(claimed) == 1:
            outcomes[claimed[0].pk] = _broken(claimed[0], now=now, error=error)
        else:
            # One entry that breaks the batch must not hold back the others: each alone, as
            # stored (the batch's changes were rolled back; the claims stand).
            for entry in FeedEntry.objects.select_related("feed").filter(
                pk__in=[entry.pk for entry in claimed]
            ):
                outcomes.update(_process_alone(entry, now=now))
    return [outcomes[entry_id] for entry_id in entry_ids]


def _process_alone(entry: FeedEntry, *, now: datetime) -> dict[int, EntryOutcome]:
    try:
        return _process([entry], now=now)
    except _PASSED_ON:
        raise
    except Exception as error:
        logger.exception("processing entry %d failed", entry.pk)
        return {entry.pk: _broken(entry, now=now, error=error)}


def _claim(entry_ids: Sequence[int], *, now: datetime) -> list[FeedEntry]:
    """Take the pending entries for ``CLAIM``, but those another worker holds."""
    with transaction.atomic():
        claimed = list(
            FeedEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("feed")
            .filter(pk__in=entry_ids, state=FeedEntry.State.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("pk")
        )
        FeedEntry.objects.filter(pk__in=[entry.pk for entry in claimed]).update(
            attempts=F("attempts") + 1, claimed_until=now + CLAIM, next_attempt_at=now + CLAIM
        )
    for entry in claimed:
        entry.attempts += 1
    return claimed


def _process(entries: list[FeedEntry], *, now: datetime) -> dict[int, EntryOutcome]:
    outcomes: dict[int, EntryOutcome] = {}
    pages: dict[int, tuple[PageContent | None, str]] = {}
    if settings.TRACKER_FETCH_PAGES:
        # A story another feed listed first is stored already: its page is not fetched again.
        urls = [entry.url for entry in entries if entry.url]
        stored = set(Article.objects.filter(url__in=urls).values_list("url", flat=True))
        for entry in entries:
            if not entry.url or entry.url in stored:
                continue
            try:
                pages[entry.pk] = (_page(entry), "")
            except FetchFailed as error:
                if error.transient and entry.attempts < PAGE_ATTEMPTS:
                    outcomes[entry.pk] = _later(entry, now=now, error=str(error))
                else:
                    pages[entry.pk] = (None, f"page not used: {error}")
            except (FetchError, ExtractFailed) as error:
                pages[entry.pk] = (None, f"page not used: {error}")
    entries = [entry for entry in entries if entry.pk not in outcomes]
    # Stored, linked and marked done together: a worker that dies midway leaves nothing half
    # done, and the entries are processed again.
    with transaction.atomic():
        results = articles_ingest(
            [_document(entry, pages.get(entry.pk, (None, ""))[0]) for entry in entries]
        )
        finished = []
        for entry, result in zip(entries, results, strict=True):
            note = pages.get(entry.pk, (None, ""))[1]
            if isinstance(result, NotStorable):
                entry.state = FeedEntry.State.FAILED
                entry.last_error = f"{note}; {result}" if note else str(result)
                outcomes[entry.pk] = EntryOutcome(entry.pk, error=entry.last_error)
            else:
                links = LinkReport()
                if result.stored is not Stored.KNOWN:
                    links = article_link(result.article)
                entry.state = FeedEntry.State.DONE
                entry.article = result.article
                entry.last_error = note
                outcomes[entry.pk] = EntryOutcome(
                    entry.pk,
                    stored=result.stored,
                    article_id=result.article.pk,
                    error=note,
                    linked=tuple(links.linked),
                    queued=tuple(links.queued),
                )
            finished.append(entry)
        _finish(finished)
    return outcomes


def _finish(entries: list[FeedEntry]) -> None:
    """Record each entry's state, article and note, and release its claim: one statement.
    (``bulk_update`` writes a CASE per field and row, which takes Django 80 ms for 50 rows.)"""
    if not entries:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {FeedEntry._meta.db_table} AS entry
            SET state = done.state, article_id = done.article_id, last_error = done.last_error,
                claimed_until = NULL, processed_at = %s
            FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[])
                AS done (id, state, article_id, last_error)
            WHERE entry.id = done.id
            """,  # noqa: S608 (the table name is the model's; every value is a parameter)
            [
                timezone.now(),
                [entry.pk for entry in entries],
                [entry.state for entry in entries],
                [entry.article_id for entry in entries],
                [entry.last_error for entry in entries],
            ],
        )


def _page(entry: FeedEntry) -> PageContent | None:
    fetched = fetch(entry.url, accept=PAGE_ACCEPT)
    if fetched.content_type not in HTML_TYPES:
        return None
    return page_extract_limited(fetched.body, url=fetched.url, charset=fetched.charset)


def _document(entry: FeedEntry, page: PageContent | None) -> Document:
    published = entry.published_at.date() if entry.published_at else None
    hint = entry.language or entry.feed.language or None
    if page is not None:
        return Document(
            url=entry.url,
            title=page.title or entry.title,
            text=page.text,
            published=published or page.published,
            author=page.author or entry.author,
            publisher=page.publisher or entry.feed.name,
            language_hint=page.language or hint,
        )
    return Document(
        # An item without a link is known by its text, as a document is.
        url=entry.url or "",
        title=entry.title,
        text=entry.summary_text or entry.title,
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


def _broken(entry: FeedEntry, *, now: datetime, error: Exception) -> EntryOutcome:
    """An entry whose processing raised: tried again later, failed after MAX_ATTEMPTS."""
    message = f"internal error: {type(error).__name__}: {error}"[:1000]
    if entry.attempts < MAX_ATTEMPTS:
        return _later(entry, now=now, error=message)
    FeedEntry.objects.filter(pk=entry.pk).update(
        state=FeedEntry.State.FAILED, claimed_until=None, processed_at=now, last_error=message
    )
    return EntryOutcome(entry.pk, error=message)
