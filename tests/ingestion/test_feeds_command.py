"""`manage.py feeds`: add (checked as fetching checks), list, poll."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.models import Article, Feed
from tests.ingestion.conftest import respond

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
    b"<item><title>Zoom flaw</title><guid>g-1</guid><description>Zoom said intruders joined "
    b"meetings without a password; hosts should turn on waiting rooms.</description></item>"
    b"</channel></rss>"
)


@pytest.mark.django_db
def test_add_stores_the_canonical_url(capsys):
    call_command("feeds", "add", "http://93.184.215.14/feed.xml?utm_medium=rss", "--language", "NL")
    feed = Feed.objects.get(url="http://93.184.215.14/feed.xml")
    assert feed.language == "nl"
    assert feed.enabled
    assert f"feed {feed.pk} added" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "language", "message"),
    [
        ("http://169.254.169.254/latest", "", "cloud metadata"),
        ("http://10.0.0.1/feed", "", "private"),
        ("gopher://example.com/", "", "scheme"),
        ("http://93.184.215.14/feed.xml", "dutch", "ISO 639-1"),
    ],
)
def test_add_refuses_with_one_line_and_stores_nothing(url, language, message):
    before = Feed.objects.count()
    with pytest.raises(CommandError, match=message) as refusal:
        call_command("feeds", "add", url, "--language", language)
    assert "\n" not in str(refusal.value)
    assert Feed.objects.count() == before


@pytest.mark.django_db
def test_add_refuses_a_feed_already_there():
    call_command("feeds", "add", "http://93.184.215.14/feed.xml")
    with pytest.raises(CommandError, match="already a feed"):
        call_command("feeds", "add", "http://93.184.215.14/feed.xml#x")


@pytest.mark.django_db
def test_list_shows_each_feed_with_its_health(capsys):
    call_command("feeds", "list")
    out = capsys.readouterr().out
    assert "disabled" in out  # the default feeds
    assert "BleepingComputer" in out


@pytest.mark.django_db
def test_poll_sync_prints_what_it_stored(feed_server, allow_private, capsys):
    feed_server.routes["/feed.xml"] = lambda h: respond(h, 200, RSS, {"Content-Type": "text/xml"})
    feed = Feed.objects.create(url=feed_server.url("/feed.xml"), name="Local")

    call_command("feeds", "poll", str(feed.pk), "--sync")

    out = capsys.readouterr().out
    assert (
        f"feed {feed.pk}: fetched 1 items; new 1, duplicates 0, linked 0, queued 0, errors 0"
    ) in out
    assert Article.objects.get().language == "en"


@pytest.mark.django_db
def test_poll_sync_fails_naming_the_failed_feeds(feed_server, allow_private, capsys):
    feed_server.routes["/feed.xml"] = lambda h: respond(h, 500, b"down")
    feed = Feed.objects.create(url=feed_server.url("/feed.xml"), name="Local")
    with pytest.raises(CommandError, match="1 of 1 feed"):
        call_command("feeds", "poll", str(feed.pk), "--sync")
    assert "HTTP 500" in capsys.readouterr().out


@pytest.mark.django_db
def test_poll_of_an_unknown_feed_is_refused():
    with pytest.raises(CommandError, match="no feed with id 999999"):
        call_command("feeds", "poll", "999999", "--sync")
