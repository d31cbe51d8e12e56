"""Polling feeds served by a local HTTP server: every story lands once, in its language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.ingestion.entries import entry_process
from incidents.ingestion.polling import feed_lease_claim, feed_poll, poll_interval_adapt
from incidents.ingestion.store import Stored
from incidents.models import Article, Feed, FeedEntry
from incidents.models.feeds import MAX_POLL_INTERVAL, MIN_POLL_INTERVAL
from tests.ingestion.conftest import FeedServer, respond

pytestmark = pytest.mark.usefixtures("allow_private")

ENGLISH_STORY = (
    "Zoom said on Thursday it would fix a flaw that let intruders join meetings without a "
    "password. The company urged hosts to turn on waiting rooms and to share meeting links "
    "only with invited guests, after schools reported strangers disrupting online classes. "
    "Security researchers said the flaw had been exploited for weeks before the fix."
)
DUTCH_STORY = (
    "Het populaire videobelplatform Zoom heeft een beveiligingslek gedicht waardoor "
    "indringers zonder wachtwoord vergaderingen konden binnendringen. Scholen meldden dat "
    "onbekenden lessen verstoorden. Het bedrijf raadt gebruikers aan de wachtkamer aan te "
    "zetten en vergaderlinks alleen met genodigden te delen."
)


def _page(title: str, body: str, lang: str = "en") -> bytes:
    paragraphs = "".join(f"<p>{sentence.strip()}.</p>" for sentence in body.split(". "))
    return (
        f'<!doctype html><html lang="{lang}"><head><title>{title}</title></head><body>'
        "<nav>Home | World | Tech</nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Copyright Example News</footer></body></html>"
    ).encode()


def _rss(server: FeedServer, items: list[tuple[str, str, str, str | None]]) -> bytes:
    rows = "".join(
        f"<item><title>{title}</title><link>{server.url(path)}</link><guid>{guid}</guid>"
        f"<description>{summary}</description>"
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + "</item>"
        for title, path, guid, date, summary in [
            (title, path, guid, date, f"Summary of {title}") for title, path, guid, date in items
        ]
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Example News</title><link>{server.url('/')}</link><ttl>30</ttl>{rows}"
        "</channel></rss>"
    ).encode()


def _serve_feed(server: FeedServer, path: str, body: bytes, etag: str = '"v1"') -> None:
    def route(handler) -> None:
        if handler.headers.get("If-None-Match") == etag:
            respond(handler, 304, headers={"ETag": etag})
        else:
            respond(handler, 200, body, {"Content-Type": "application/rss+xml", "ETag": etag})

    server.routes[path] = route


def _serve_page(server: FeedServer, path: str, body: bytes) -> None:
    server.routes[path] = lambda handler: respond(
        handler, 200, body, {"Content-Type": "text/html; charset=utf-8"}
    )


def _feed(server: FeedServer, path: str = "/feed.xml", **fields) -> Feed:
    return Feed.objects.create(url=server.url(path), name="Example News", **fields)


def _process(report) -> list:
    return [entry_process(entry_id=entry_id) for entry_id in report.new_entries]


@pytest.mark.django_db
def test_a_poll_stores_every_story_once_in_its_language(feed_server):
    same_date = "Thu, 02 Apr 2020 10:00:00 GMT"
    _serve_feed(
        feed_server,
        "/feed.xml",
        _rss(
            feed_server,
            [
                ("Zoom fixes meeting flaw", "/zoom-flaw?utm_source=rss#top", "a-1", same_date),
                ("Zoom dicht lek", "/zoom-lek", "a-2", same_date),  # the same date: both taken
                ("Undated note", "/missing-page", "a-3", None),  # page 404: summary stands in
            ],
        ),
    )
    # The page is asked at its canonical URL, without the tracking parameter.
    _serve_page(feed_server, "/zoom-flaw", _page("Zoom fixes flaw", ENGLISH_STORY))
    _serve_page(feed_server, "/zoom-lek", _page("Zoom dicht lek", DUTCH_STORY, "nl"))
    feed = _feed(feed_server)

    report = feed_poll(feed_id=feed.pk)
    outcomes = _process(report)

    assert report.items == 3
    assert len(report.new_entries) == 3
    assert not report.error
    assert [o.stored for o in outcomes] == [Stored.NEW, Stored.NEW, Stored.NEW]
    by_url = {a.url: a for a in Article.objects.all()}
    english = by_url[feed_server.url("/zoom-flaw")]  # tracking parameter and fragment gone
    assert english.language == "en"
    assert "waiting rooms" in english.text
    assert "Copyright" not in english.text
    assert "Home | World" not in english.text
    assert by_url[feed_server.url("/zoom-lek")].language == "nl"
    assert by_url[feed_server.url("/missing-page")].text == "Summary of Undated note"
    entries = FeedEntry.objects.filter(feed=feed)
    assert {e.state for e in entries} == {FeedEntry.State.DONE}
    assert entries.get(url=feed_server.url("/missing-page")).last_error
    feed.refresh_from_db()
    assert feed.health == Feed.Health.OK
    assert feed.etag == '"v1"'
    assert feed.ttl_minutes == 30
    assert feed.next_poll_at == feed.last_polled_at + timedelta(seconds=feed.poll_interval)


@pytest.mark.django_db
def test_a_second_poll_is_conditional_and_stores_nothing(feed_server):
    _serve_feed(feed_server, "/feed.xml", _rss(feed_server, [("Zoom story", "/a", "g-1", None)]))
    _serve_page(feed_server, "/a", _page("Zoom story", ENGLISH_STORY))
    feed = _feed(feed_server)
    _process(feed_poll(feed_id=feed.pk))
    before = (Article.objects.count(), FeedEntry.objects.count())

    again = feed_poll(feed_id=feed.pk)

    assert again.not_modified
    assert again.new_entries == []
    assert feed_server.requests[-1][1]["if-none-match"] == '"v1"'
    assert (Article.objects.count(), FeedEntry.objects.count()) == before


@pytest.mark.django_db
def test_items_seen_by_guid_or_by_url_are_not_taken_again(feed_server):
    feed = _feed(feed_server)
    _serve_feed(feed_server, "/feed.xml", _rss(feed_server, [("One", "/one", "g-1", None)]), '"1"')
    feed_poll(feed_id=feed.pk)
    # The same link under a new GUID, the same GUID under a new link, and one new item.
    items = [("One", "/one", "g-9", None), ("One moved", "/moved", "g-1", None)]
    items.append(("Two", "/two", "g-2", None))
    _serve_feed(feed_server, "/feed.xml", _rss(feed_server, items), '"2"')

    report = feed_poll(feed_id=feed.pk)

    assert len(report.new_entries) == 1
    assert FeedEntry.objects.get(pk=report.new_entries[0]).url == feed_server.url("/two")


@pytest.mark.django_db
def test_the_same_story_under_two_urls_is_stored_as_a_duplicate(feed_server):
    _serve_feed(
        feed_server,
        "/feed.xml",
        _rss(
            feed_server, [("Zoom flaw", "/wire", "w-1", None), ("Zoom flaw", "/copy", "w-2", None)]
        ),
    )
    _serve_page(feed_server, "/wire", _page("Zoom fixes flaw", ENGLISH_STORY))
    republished = ENGLISH_STORY + " Related: how to secure your meetings. Copyright Other Site."
    _serve_page(feed_server, "/copy", _page("Zoom patches meeting flaw", republished))
    feed = _feed(feed_server)

    outcomes = _process(feed_poll(feed_id=feed.pk))

    assert [o.stored for o in outcomes] == [Stored.NEW, Stored.DUPLICATE]
    original, copy = Article.objects.order_by("id")
    assert copy.duplicate_of == original
    assert original.duplicate_of is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "headers", "at_least"),
    [
        (500, {}, timedelta(seconds=MIN_POLL_INTERVAL * 0.9)),
        (429, {"Retry-After": "7200"}, timedelta(seconds=7200)),
        (503, {"Retry-After": "120"}, timedelta(seconds=MIN_POLL_INTERVAL * 0.9)),
        (404, {}, timedelta(seconds=MIN_POLL_INTERVAL * 0.9)),
    ],
)
def test_a_failing_feed_backs_off_and_says_why(feed_server, status, headers, at_least):
    feed_server.routes["/feed.xml"] = lambda h: respond(h, status, b"no", headers)
    feed = _feed(feed_server, poll_interval=MIN_POLL_INTERVAL)

    first = feed_poll(feed_id=feed.pk)
    feed.refresh_from_db()

    assert f"HTTP {status}" in first.error
    assert feed.last_error == first.error
    assert feed.consecutive_failures == 1
    assert feed.health == Feed.Health.FAILING
    assert feed.next_poll_at - feed.last_polled_at >= at_least
    assert feed.lease_token is None  # released
    feed_poll(feed_id=feed.pk)
    feed.refresh_from_db()
    assert feed.consecutive_failures == 2  # still polled, never given up


@pytest.mark.django_db
def test_backoff_doubles_and_is_capped(feed_server):
    feed_server.routes["/feed.xml"] = lambda h: respond(h, 500, b"down")
    feed = _feed(feed_server, poll_interval=4 * 3600)
    rests = []
    for _ in range(6):
        feed_poll(feed_id=feed.pk)
        feed.refresh_from_db()
        rests.append((feed.next_poll_at - feed.last_polled_at).total_seconds())
    assert rests[1] > rests[0] * 1.5
    assert max(rests) <= MAX_POLL_INTERVAL * 1.1


@pytest.mark.django_db
def test_an_item_with_an_overlong_link_is_taken_without_it(feed_server):
    long_path = "/story?" + "a" * 3000
    _serve_feed(feed_server, "/feed.xml", _rss(feed_server, [("Zoom", long_path, "g-1", None)]))
    feed = _feed(feed_server)

    report = feed_poll(feed_id=feed.pk)

    assert not report.error
    (entry,) = FeedEntry.objects.filter(pk__in=report.new_entries)
    assert entry.url == ""


@pytest.mark.django_db
def test_a_malformed_feed_is_recorded_as_its_error(feed_server):
    feed_server.routes["/feed.xml"] = lambda h: respond(
        h, 200, b"<html><body>not a feed", {"Content-Type": "text/html"}
    )
    feed = _feed(feed_server)

    report = feed_poll(feed_id=feed.pk)

    feed.refresh_from_db()
    assert report.error
    assert feed.last_error == report.error
    assert feed.consecutive_failures == 1
    assert FeedEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_feed_held_by_another_poll_is_left_alone(feed_server):
    feed = _feed(feed_server)
    assert feed_lease_claim(feed_id=feed.pk) is not None

    report = feed_poll(feed_id=feed.pk)

    assert report.held
    assert feed_server.requests == []


@pytest.mark.django_db
def test_a_lapsed_lease_is_taken_over(feed_server):
    _serve_feed(feed_server, "/feed.xml", _rss(feed_server, []))
    feed = _feed(feed_server)
    feed_lease_claim(feed_id=feed.pk)
    Feed.objects.filter(pk=feed.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert not feed_poll(feed_id=feed.pk).held


@pytest.mark.django_db
def test_an_entry_processed_twice_is_stored_once(feed_server):
    _serve_feed(feed_server, "/feed.xml", _rss(feed_server, [("Zoom story", "/a", "g-1", None)]))
    _serve_page(feed_server, "/a", _page("Zoom story", ENGLISH_STORY))
    feed = _feed(feed_server)
    (entry_id,) = feed_poll(feed_id=feed.pk).new_entries

    first, second = entry_process(entry_id=entry_id), entry_process(entry_id=entry_id)

    assert first.stored == Stored.NEW
    assert second.stored is None
    assert Article.objects.count() == 1
    assert FeedEntry.objects.get(pk=entry_id).attempts == 1


@pytest.mark.parametrize(
    ("gaps_minutes", "ttl", "expected"),
    [
        ([60, 60, 60], None, 30 * 60),  # half the typical gap
        ([1, 1, 1], None, MIN_POLL_INTERVAL),
        ([5000, 5000], None, MAX_POLL_INTERVAL),
        ([60, 60], 120, 120 * 60),  # never more often than the TTL allows
        ([], None, 3600),  # no dates: unchanged
    ],
)
def test_the_poll_interval_follows_how_often_the_feed_publishes(gaps_minutes, ttl, expected):
    now = timezone.now()
    times = [now]
    for gap in gaps_minutes:
        times.append(times[-1] - timedelta(minutes=gap))
    published = times if gaps_minutes else []
    assert poll_interval_adapt(published, ttl_minutes=ttl, current=3600) == expected
