"""A server that ignores the validators and sends the same feed again: the poll does not parse
it again, and a changed body is parsed as usual."""

from __future__ import annotations

import pytest

from incidents.ingestion import polling
from incidents.ingestion.polling import feed_poll
from incidents.models import Feed, FeedEntry
from tests.ingestion.conftest import FeedServer, respond

pytestmark = pytest.mark.usefixtures("allow_private")


def _rss(server: FeedServer, guids: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Zoom story {guid}</title><link>{server.url('/' + guid)}</link>"
        f"<guid>{guid}</guid><description>Summary {guid}</description></item>"
        for guid in guids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Example News</title><link>{server.url('/')}</link>{items}</channel></rss>"
    ).encode()


def _serve_ignoring_validators(server: FeedServer, body: list[bytes]) -> None:
    # Always 200 and the body, whatever If-None-Match says; an ETag all the same.
    server.routes["/feed.xml"] = lambda handler: respond(
        handler, 200, body[0], {"Content-Type": "application/rss+xml", "ETag": '"always"'}
    )


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    calls: list[bytes] = []
    parse = polling.feed_parse_limited

    def counted(body: bytes, **kwargs):
        calls.append(body)
        return parse(body, **kwargs)

    monkeypatch.setattr(polling, "feed_parse_limited", counted)
    return calls


@pytest.mark.django_db
def test_the_same_body_again_is_not_parsed(feed_server, parses):
    body = [_rss(feed_server, ["g-1", "g-2"])]
    _serve_ignoring_validators(feed_server, body)
    feed = Feed.objects.create(url=feed_server.url("/feed.xml"), name="Example News")

    first = feed_poll(feed_id=feed.pk)
    again = feed_poll(feed_id=feed.pk)

    assert len(first.new_entries) == 2
    assert not first.unchanged
    assert again.unchanged
    assert not again.not_modified
    assert not again.error
    assert again.new_entries == []
    assert len(parses) == 1
    feed.refresh_from_db()
    assert feed.last_success_at == feed.last_polled_at
    assert feed.lease_token is None
    assert feed_server.requests[-1][1]["if-none-match"] == '"always"'


@pytest.mark.django_db
def test_a_changed_body_is_parsed_and_its_new_items_taken(feed_server, parses):
    body = [_rss(feed_server, ["g-1"])]
    _serve_ignoring_validators(feed_server, body)
    feed = Feed.objects.create(url=feed_server.url("/feed.xml"), name="Example News")
    feed_poll(feed_id=feed.pk)

    body[0] = _rss(feed_server, ["g-2", "g-1"])
    changed = feed_poll(feed_id=feed.pk)

    assert len(parses) == 2
    assert not changed.unchanged
    assert len(changed.new_entries) == 1
    assert FeedEntry.objects.filter(feed=feed).count() == 2


@pytest.mark.django_db
def test_a_body_that_failed_to_parse_is_parsed_again(feed_server, parses):
    body = [b"<html>not a feed</html>"]
    _serve_ignoring_validators(feed_server, body)
    feed = Feed.objects.create(url=feed_server.url("/feed.xml"), name="Example News")

    first = feed_poll(feed_id=feed.pk)
    again = feed_poll(feed_id=feed.pk)

    assert first.error
    assert again.error
    assert not again.unchanged
    assert len(parses) == 2
