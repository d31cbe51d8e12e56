"""digest_message: a digest as a multipart mail, escaped, with unsubscribe headers and no way for
a title to add a header."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from django.core import mail
from django.test import Client

from incidents.digests.content import Change, Digest, Section, Source, Story
from incidents.digests.render import digest_message, header_safe, message_id_for
from incidents.digests.unsubscribe import unsubscribe_url
from incidents.models import Subscription

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 24, 6, tzinfo=dt.UTC)
END = START + dt.timedelta(days=1)
HOSTILE = '<script>alert("x")</script> & "quoted" \'single\''


@pytest.fixture
def subscription(viewer) -> Subscription:
    viewer.email = "vera@example.org"
    viewer.save()
    return Subscription.objects.create(
        user=viewer, frequency=Subscription.Frequency.DAILY, time_zone="Europe/Amsterdam"
    )


def _section(title: str = "Meeting bombing wave", **fields) -> Section:
    values = {
        "slug": "meeting-bombing-wave",
        "title": title,
        "severity": "critical",
        "status": "investigating",
        "url": "http://localhost:8000/admin/incidents/incident/7/change/",
        "followed": False,
        "changes": (
            Change("new_incident", START + dt.timedelta(hours=1), "New intrusion incident."),
            Change("status", START + dt.timedelta(hours=2), "Status changed to Investigating."),
            Change("article", START + dt.timedelta(hours=3), f"New article: {title}"),
        ),
        "stories": (
            Story(
                title,
                (
                    Source(title, "https://wire.example/a?x=1&y=2", "Wire"),
                    Source("Copy", "https://herald.example/b", "Herald"),
                    Source("Scan", "urn:sha256:" + "0" * 64, "Archive"),
                ),
            ),
        ),
    }
    return Section(**(values | fields))


def _digest(*sections: Section) -> Digest:
    counts = {
        "incidents": len(sections),
        "new_incidents": len(sections),
        "status_changes": len(sections),
        "timeline_events": 0,
        "articles": len(sections),
    }
    return Digest(START, END, sections, counts)


def _parts(message) -> tuple[str, str]:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def _parsed(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def test_the_mail_has_a_text_and_an_html_part_with_counts_links_and_sources(subscription):
    second = _section("Teams outage", slug="teams-outage", severity="low", changes=(), stories=())
    message = digest_message(_digest(_section(), second), subscription=subscription)

    text, html = _parts(message)
    assert message.subject == (
        "vcwatch daily digest: 2 incidents, 2026-11-25 - Meeting bombing wave"
    )
    for part in (text, html):
        assert "2 incidents · 2 new · 2 status changes · 2 articles" in part
        assert part.index("Meeting bombing wave") < part.index("Teams outage")
        assert "Status changed to Investigating." in part
        assert "Wire" in part
        assert "Herald" in part
        assert "Archive" in part
        assert unsubscribe_url(subscription) in part
    assert "http://localhost:8000/admin/incidents/incident/7/change/" in text
    assert "https://wire.example/a?x=1&y=2" in text
    assert "urn:sha256" not in text  # named, not linked
    assert 'href="http://localhost:8000/admin/incidents/incident/7/change/"' in html
    assert 'href="https://wire.example/a?x=1&amp;y=2"' in html
    assert "urn:sha256" not in html
    # Times in the subscriber's zone: 07:00 UTC is 08:00 in Amsterdam.
    assert "24 Nov 08:00" in text
    assert "<img" not in html


def test_titles_are_escaped_in_html_and_verbatim_in_text(subscription):
    message = digest_message(_digest(_section(HOSTILE)), subscription=subscription)

    text, html = _parts(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in html
    assert "&#x27;single&#x27;" in html
    assert HOSTILE in text
    assert "&lt;" not in text


def test_headers_name_the_subscriber_sender_message_id_and_one_click_unsubscribe(
    subscription, settings
):
    settings.DEFAULT_FROM_EMAIL = "vcwatch <digests@vcwatch.example>"
    message_id = message_id_for(subscription.pk, dt.date(2026, 11, 25), "daily")

    parsed = _parsed(
        digest_message(_digest(_section()), subscription=subscription, message_id=message_id)
    )

    assert parsed["To"] == "vera@example.org"
    assert parsed["From"] == "vcwatch <digests@vcwatch.example>"
    assert parsed["Message-ID"] == message_id
    # Folded before the "<" (the URL is longer than a line): unfolded, the same value.
    assert parsed["List-Unsubscribe"].strip() == f"<{unsubscribe_url(subscription)}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in parsed.iter_parts()]
    assert types == ["text/plain", "text/html"]


def test_without_a_message_id_django_makes_one(subscription):
    parsed = _parsed(digest_message(_digest(_section()), subscription=subscription))

    assert parsed["Message-ID"].startswith("<")


def test_the_message_id_is_fixed_by_subscriber_period_and_frequency(settings):
    settings.TRACKER_BASE_URL = "https://vcwatch.example:8443"
    day = dt.date(2026, 11, 25)

    assert message_id_for(12, day, "daily") == "<digest-daily-2026-11-25-12@vcwatch.example>"
    assert message_id_for(12, day, "daily") == message_id_for(12, day, "daily")
    assert message_id_for(12, day, "weekly") != message_id_for(12, day, "daily")
    assert message_id_for(13, day, "daily") != message_id_for(12, day, "daily")


@pytest.mark.parametrize(
    "title",
    [
        "Zoom\r\nBcc: victim@example.com",
        "Zoom\nBcc: victim@example.com",
        "Zoom\rBcc: victim@example.com",
        "Zoom\x85Bcc: victim@example.com",
        "Zoom\u2028Bcc: victim@example.com",
        "Zoom\x00\x0b\x0cBcc: victim@example.com",
    ],
)
def test_a_title_cannot_add_a_header(subscription, title):
    message = digest_message(_digest(_section(title)), subscription=subscription)

    message.send()  # Django refuses (BadHeaderError) any header still holding a newline

    (sent,) = mail.outbox
    assert sent.recipients() == ["vera@example.org"]
    parsed = _parsed(sent)
    assert parsed["Bcc"] is None
    assert parsed["Subject"].endswith("- Zoom Bcc: victim@example.com")
    assert "\n" not in str(parsed["Subject"])


def test_header_safe_keeps_ordinary_text_and_folds_whitespace():
    assert header_safe("Zoom: “waiting rooms” fail — é ") == "Zoom: “waiting rooms” fail — é"
    assert header_safe("a\t\tb\r\n\r\nc") == "a b c"


def test_an_empty_digest_renders_a_plain_note(subscription):
    digest = Digest(START, END, (), dict.fromkeys(["incidents", "articles"], 0))

    message = digest_message(digest, subscription=subscription)

    assert message.subject == "vcwatch daily digest: 0 incidents, 2026-11-25"
    assert "Nothing matched your filters" in message.body


def test_the_unsubscribe_link_in_the_mail_opens_the_confirmation_page(subscription):
    message = digest_message(_digest(_section()), subscription=subscription)
    url = _parsed(message)["List-Unsubscribe"].strip().strip("<>")

    response = Client().get(url.removeprefix("http://localhost:8000"))

    assert response.status_code == 200


def test_each_subscriber_reads_times_in_their_own_zone(subscription, analyst):
    analyst.email = "ana@example.org"
    analyst.save()
    in_tokyo = Subscription.objects.create(
        user=analyst, frequency=Subscription.Frequency.WEEKLY, time_zone="Asia/Tokyo"
    )
    digest = _digest(_section())

    amsterdam = digest_message(digest, subscription=subscription)
    tokyo = digest_message(digest, subscription=in_tokyo)

    assert "24 Nov 08:00  New intrusion incident." in amsterdam.body
    assert "24 Nov 16:00  New intrusion incident." in tokyo.body
    assert tokyo.subject.startswith("vcwatch weekly digest: 1 incident, 2026-11-25")
    assert tokyo.to == ["ana@example.org"]
