"""Entries and documents stored in batches: a batch behaves as its members one after the other,
one member that breaks does not hold back the others, and a race with another worker is lost
gracefully."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from incidents.ingestion import entries as entries_module
from incidents.ingestion.entries import (
    ENTRY_BATCH,
    MAX_ATTEMPTS,
    entries_process,
    entry_batches,
    entry_process,
)
from incidents.ingestion.store import Document, NotStorable, Stored, article_ingest, articles_ingest
from incidents.models import Article, Feed, FeedEntry

STORY = (
    "Zoom said on Thursday it would fix a flaw that let intruders join meetings without a "
    "password. The company urged hosts to turn on waiting rooms and to share meeting links "
    "only with invited guests, after schools reported strangers disrupting online classes. "
    "Security researchers said the flaw had been exploited for weeks before the fix."
)
# The same wire story on a second site: a near-duplicate, not the same text.
REPUBLISHED = STORY + " Related: how to secure your meetings. Copyright Other Site."
DUTCH = (
    "Het populaire videobelplatform Zoom heeft een beveiligingslek gedicht waardoor "
    "indringers zonder wachtwoord vergaderingen konden binnendringen. Scholen meldden dat "
    "onbekenden lessen verstoorden."
)
TEAMS = (
    "Microsoft said Teams users were targeted by phishing messages that pretended to come from "
    "the help desk. The attackers asked staff to approve a sign-in request on their phones."
)


def _documents() -> list[Document]:
    """Every kind of member a batch can hold, in an order where each refers to earlier ones."""
    return [
        Document(url="https://a.example.org/zoom", title="Zoom flaw", text=STORY),
        Document(url="https://b.example.org/nl", title="Zoom lek", text=DUTCH),
        Document(url="https://c.example.org/copy", title="Zoom flaw", text=REPUBLISHED),
        Document(url="https://a.example.org/zoom", title="Zoom flaw again", text=TEAMS),
        Document(url="https://d.example.org/same-text", title="Zoom", text=STORY),
        Document(url="https://e.example.org/empty", title="", text=" \x00 "),
        Document(url="https://f.example.org/digits", title="", text="1234 5678"),
        Document(url="https://g.example.org/teams", title="Teams phishing", text=TEAMS),
        Document(url="", title="Teams", text=TEAMS + " Updated."),
    ]


def _shape(results: list) -> list[tuple]:
    """What each result says, with articles named by their place among the stored ones."""
    order = {
        pk: i for i, pk in enumerate(Article.objects.order_by("id").values_list("id", flat=True))
    }
    shape = []
    for result in results:
        if isinstance(result, NotStorable):
            shape.append(("refused", str(result)))
            continue
        article = Article.objects.get(pk=result.article.pk)
        duplicate_of = order[article.duplicate_of_id] if article.duplicate_of_id else None
        shape.append((result.stored, order[article.pk], article.language, duplicate_of))
    return shape


def _one_by_one(documents: list[Document]) -> list:
    results = []
    for document in documents:
        try:
            results.append(article_ingest(**document.__dict__))
        except NotStorable as error:
            results.append(error)
    return results


@pytest.mark.django_db
def test_a_batch_stores_what_its_documents_one_after_the_other_would():
    with transaction.atomic():
        alone = _shape(_one_by_one(_documents()))
        stored_alone = list(Article.objects.order_by("id").values_list("url", "content_hash"))
        transaction.set_rollback(True)

    together = _shape(articles_ingest(_documents()))

    assert together == alone
    assert list(Article.objects.order_by("id").values_list("url", "content_hash")) == stored_alone
    # And what that is: the first story, the Dutch one, the copy as a duplicate of the first,
    # the URL and the text seen before, two refusals, and two Teams stories (near-duplicates).
    assert [row[0] for row in together] == [
        Stored.NEW,
        Stored.NEW,
        Stored.DUPLICATE,
        Stored.KNOWN,
        Stored.KNOWN,
        "refused",
        "refused",
        Stored.NEW,
        Stored.DUPLICATE,
    ]
    assert together[2][3] == 0  # the copy points at the first story
    assert together[3][1] == together[4][1] == 0
    assert together[1][2] == "nl"
    assert together[8][3] == together[7][1]
    assert "no text" in together[5][1]
    assert "language" in together[6][1]


@pytest.mark.django_db
def test_a_batch_finds_the_stories_stored_before_it():
    first = article_ingest(url="https://a.example.org/zoom", title="Zoom flaw", text=STORY)

    known, copy, same_text = articles_ingest(
        [
            Document(url="https://a.example.org/zoom", title="", text=""),
            Document(url="https://c.example.org/copy", title="Zoom", text=REPUBLISHED),
            Document(url="https://d.example.org/same", title="Zoom", text=STORY),
        ]
    )

    assert (known.stored, known.article.pk) == (Stored.KNOWN, first.article.pk)
    assert copy.stored == Stored.DUPLICATE
    assert Article.objects.get(pk=copy.article.pk).duplicate_of_id == first.article.pk
    assert (same_text.stored, same_text.article.pk) == (Stored.KNOWN, first.article.pk)
    assert Article.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_that_loses_a_race_keeps_the_other_workers_story_and_stores_the_rest():
    results: list = []

    def ours() -> None:
        try:
            # Neither lookup sees the other worker's row: the insert waits on its unique key.
            results.extend(
                articles_ingest(
                    [
                        Document(url="https://a.example.org/zoom", title="Zoom", text=STORY),
                        Document(url="https://c.example.org/copy", title="Zoom", text=REPUBLISHED),
                        Document(url="https://g.example.org/teams", title="Teams", text=TEAMS),
                    ]
                )
            )
        finally:
            connection.close()

    story = {"url": "https://a.example.org/zoom", "title": "Zoom", "text": STORY}
    with _other_worker(lambda: article_ingest(**story).article.pk) as theirs:
        batch = threading.Thread(target=ours)
        batch.start()
        batch.join(1)
        assert batch.is_alive()  # held by the other worker's uncommitted row
    batch.join(10)

    lost, copy, stored = results
    assert (lost.stored, lost.article.pk) == (Stored.KNOWN, theirs[0])
    # The copy was found to repeat the batch's own story, which lost: it points at theirs.
    assert copy.stored == Stored.DUPLICATE
    assert Article.objects.get(pk=copy.article.pk).duplicate_of_id == theirs[0]
    assert stored.stored == Stored.NEW
    assert sorted(Article.objects.values_list("url", flat=True)) == [
        "https://a.example.org/zoom",
        "https://c.example.org/copy",
        "https://g.example.org/teams",
    ]


@contextmanager
def _other_worker(work: Callable[[], object]) -> Iterator[list]:
    """``work`` done by another worker (a thread and its connection) in a transaction that stays
    open until the block ends, then commits; the block gets [what work returned]."""
    done, release = threading.Event(), threading.Event()
    returned: list = []

    def run() -> None:
        try:
            with transaction.atomic():
                returned.append(work())
                done.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert done.wait(10)
    try:
        yield returned
    finally:
        release.set()
        thread.join(10)


def _entries(count: int) -> list[FeedEntry]:
    feed = Feed.objects.create(url="https://news.example.org/feed.xml", name="Example News")
    texts = [STORY, DUTCH, TEAMS] + [f"{TEAMS} Story {n} of a long series." for n in range(count)]
    return [
        FeedEntry.objects.create(
            feed=feed,
            guid=hashlib.sha256(f"g-{n}".encode()).hexdigest(),
            url=f"https://news.example.org/{n}",
            title=f"Story {n}",
            summary_text=f"Number {n} of the day. " + texts[n] if n >= 3 else texts[n],
        )
        for n in range(count)
    ]


@pytest.mark.django_db
@override_settings(TRACKER_FETCH_PAGES=False)
def test_an_entry_that_breaks_its_batch_is_retried_alone_and_the_others_are_done(monkeypatch):
    good, broken, other = _entries(3)
    link = entries_module.article_link

    def article_link(article):
        if article.url == broken.url:
            raise RuntimeError("a bug in linking")
        return link(article)

    monkeypatch.setattr(entries_module, "article_link", article_link)

    outcomes = entries_process(entry_ids=[good.pk, broken.pk, other.pk])

    assert [o.entry_id for o in outcomes] == [good.pk, broken.pk, other.pk]
    assert [o.stored for o in outcomes] == [Stored.NEW, None, Stored.NEW]
    assert outcomes[1].retry
    assert "RuntimeError: a bug in linking" in outcomes[1].error
    rows = {entry.pk: entry for entry in FeedEntry.objects.all()}
    assert rows[good.pk].state == rows[other.pk].state == FeedEntry.State.DONE
    assert rows[broken.pk].state == FeedEntry.State.PENDING
    assert rows[broken.pk].article_id is None
    assert rows[broken.pk].claimed_until is None
    assert rows[broken.pk].next_attempt_at > rows[broken.pk].first_seen_at
    assert "a bug in linking" in rows[broken.pk].last_error
    # Its article was rolled back with it: nothing half done.
    assert not Article.objects.filter(url=broken.url).exists()


@pytest.mark.django_db
@override_settings(TRACKER_FETCH_PAGES=False)
def test_an_entry_that_keeps_breaking_fails_after_its_attempts_with_the_error_shown(monkeypatch):
    (entry,) = _entries(1)
    monkeypatch.setattr(
        entries_module, "article_link", lambda article: (_ for _ in ()).throw(KeyError("x"))
    )

    for attempt in range(1, MAX_ATTEMPTS + 1):
        (outcome,) = entries_process(entry_ids=[entry.pk])
        assert outcome.retry == (attempt < MAX_ATTEMPTS)

    entry.refresh_from_db()
    assert entry.state == FeedEntry.State.FAILED
    assert entry.attempts == MAX_ATTEMPTS
    assert entry.last_error == "internal error: KeyError: 'x'"
    assert Article.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TRACKER_FETCH_PAGES=False)
def test_an_entry_another_worker_holds_is_left_to_it_and_the_rest_are_done():
    held, free = _entries(2)
    with _other_worker(lambda: FeedEntry.objects.select_for_update().get(pk=held.pk)):
        outcomes = entries_process(entry_ids=[held.pk, free.pk])

    assert [o.stored for o in outcomes] == [None, Stored.NEW]
    assert FeedEntry.objects.get(pk=held.pk).attempts == 0
    assert FeedEntry.objects.get(pk=held.pk).state == FeedEntry.State.PENDING
    # Once free, it is taken as any other.
    assert entry_process(entry_id=held.pk).stored == Stored.NEW


@pytest.mark.django_db
@override_settings(TRACKER_FETCH_PAGES=False)
def test_a_batch_of_entries_runs_as_many_queries_for_two_as_for_fifty():
    entries = [entry.pk for entry in _entries(ENTRY_BATCH + 4)]
    entries_process(entry_ids=entries[:2])  # the gazetteer and catalogue, read once

    with CaptureQueriesContext(connection) as two:
        entries_process(entry_ids=entries[2:4])
    with CaptureQueriesContext(connection) as fifty:
        outcomes = entries_process(entry_ids=entries[4:])

    assert None not in {o.stored for o in outcomes}
    assert len(fifty.captured_queries) == len(two.captured_queries)
    statements = [q["sql"] for q in fifty.captured_queries]
    assert sum(s.startswith('INSERT INTO "incidents_article"') for s in statements) == 1


@pytest.mark.parametrize(
    ("pages", "sizes"), [(False, [ENTRY_BATCH, ENTRY_BATCH, 7]), (True, [1] * 107)]
)
def test_entries_are_batched_only_when_no_page_is_fetched(pages, sizes):
    with override_settings(TRACKER_FETCH_PAGES=pages):
        batches = entry_batches(list(range(2 * ENTRY_BATCH + 7)))
    assert [len(batch) for batch in batches] == sizes
    assert [entry for batch in batches for entry in batch] == list(range(2 * ENTRY_BATCH + 7))
