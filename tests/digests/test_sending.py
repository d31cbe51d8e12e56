"""Digests sent through a real SMTP server: once per subscriber and period, whatever runs twice,
fails or is retried."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.digests.sending import (
    deliveries_claim,
    deliveries_overdue,
    deliveries_send,
    subscriptions_due,
)
from incidents.models import Delivery, DigestFrequency, Incident, Subscription
from incidents.roles import Role
from tests.factories import IncidentFactory, PlatformFactory

# The job runs "a day from now" at the subscribers' hour: the incidents a test files now fall in
# the day before, the first digest's window.
LATER = dt.timedelta(days=1)


def _subscriber(username: str, now: dt.datetime, **fields) -> Subscription:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.org")
    user.groups.add(Group.objects.get(name=Role.VIEWER))
    platforms = fields.pop("platforms", [])
    followed = fields.pop("followed", [])
    subscription = Subscription.objects.create(
        user=user,
        frequency=fields.pop("frequency", DigestFrequency.DAILY),
        delivery_hour=now.hour,
        time_zone="UTC",
        **fields,
    )
    subscription.platforms.set(platforms)
    subscription.followed.set(followed)
    return subscription


def _run(now: dt.datetime):
    """What the beat job does: claim what is due, send it."""
    return deliveries_send(deliveries_claim(subscriptions_due(now=now), now=now), now=now)


@pytest.mark.django_db
def test_a_subscriber_gets_one_digest_with_what_their_filters_let_through(smtp):
    now = timezone.now() + LATER
    zoom, teams = PlatformFactory(slug="zoom"), PlatformFactory(slug="microsoft-teams")
    shown = IncidentFactory(title="Zoom meetings hijacked", platforms=[zoom])
    IncidentFactory(title="Teams chat leak", platforms=[teams])
    IncidentFactory(title="Low Zoom nuisance", platforms=[zoom], severity=Incident.Severity.LOW)
    followed = IncidentFactory(
        title="Followed Teams issue", platforms=[teams], severity=Incident.Severity.LOW
    )
    _subscriber(
        "sam", now, platforms=[zoom], min_severity=Incident.Severity.MEDIUM, followed=[followed]
    )

    report = _run(now)

    assert len(report.sent) == 1
    assert len(smtp.accepted) == 1
    message = smtp.accepted[0]
    assert message["To"] == "sam@example.org"
    text = message.get_payload(0).get_payload(decode=True).decode()
    html = message.get_payload(1).get_payload(decode=True).decode()
    for body in (text, html):
        assert shown.title in body
        assert followed.title in body
        assert "Teams chat leak" not in body
        assert "Low Zoom nuisance" not in body
    assert message.get_payload(1).get_content_type() == "text/html"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    assert message["Message-ID"] == delivery.message_id
    assert delivery.summary["incidents"] == 2

    # The job again: nothing due, nothing sent.
    again = _run(now)
    assert again.sent == []
    assert len(smtp.accepted) == 1


@pytest.mark.django_db
def test_nothing_matched_sends_nothing_and_moves_the_window(smtp):
    now = timezone.now() + LATER
    IncidentFactory(platforms=[PlatformFactory(slug="webex")])
    _subscriber("quiet", now, platforms=[PlatformFactory(slug="zoom")])

    report = _run(now)

    assert report.empty == [Delivery.objects.get().pk]
    assert smtp.attempts == 0
    assert Delivery.objects.get().status == Delivery.Status.EMPTY


# Committed for real (two connections); the roles and the gazetteer of the migrations survive.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_jobs_at_once_send_one_digest(smtp):
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("twice", now)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    reports: list = []

    def job() -> None:
        try:
            due = subscriptions_due(now=now)
            barrier.wait(timeout=10)  # both found the digest due before either claimed it
            reports.append(deliveries_send(deliveries_claim(due, now=now), now=now))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(len(report.sent) for report in reports) == [0, 1], reports
    assert len(smtp.accepted) == 1
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_the_unsubscribe_link_works_without_login_and_stops_the_next_digest(smtp):
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    subscription = _subscriber("leaver", now)
    _run(now)
    header = "".join(smtp.accepted[0]["List-Unsubscribe"].split())
    url = re.fullmatch(r"<(https?://[^>]+)>", header)[1]
    path = urlsplit(url).path

    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.frequency == DigestFrequency.OFF
    IncidentFactory(title="Another incident")
    assert _run(now + dt.timedelta(days=1)).sent == []
    assert len(smtp.accepted) == 1


@pytest.mark.django_db
def test_a_server_that_refuses_then_accepts_gets_the_digest_exactly_once(smtp):
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("patient", now)
    smtp.script = ["451 4.3.0 Try again later"]

    first = _run(now)

    delivery = Delivery.objects.get()
    assert first.retry == [delivery.pk]
    assert delivery.status == Delivery.Status.SENDING
    assert "451" in delivery.last_error
    assert smtp.accepted == []
    # Not before its time...
    assert deliveries_overdue(now=now) == []
    assert deliveries_send([delivery.pk], now=now).skipped == [delivery.pk]
    # ...then once, with the same Message-ID.
    later = delivery.next_attempt_at
    assert deliveries_overdue(now=later) == [delivery.pk]
    second = deliveries_send(deliveries_overdue(now=later), now=later)
    assert second.sent == [delivery.pk]
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0]["Message-ID"] == delivery.message_id
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 2
    assert deliveries_overdue(now=later + dt.timedelta(days=1)) == []


@pytest.mark.django_db
def test_a_permanent_refusal_is_recorded_and_not_retried(smtp):
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("gone", now)
    smtp.script = ["550 5.1.1 No such user"]

    report = _run(now)

    delivery = Delivery.objects.get()
    assert report.failed == [delivery.pk]
    assert delivery.status == Delivery.Status.FAILED
    assert "550" in delivery.last_error
    assert deliveries_overdue(now=now + dt.timedelta(days=30)) == []
    assert smtp.attempts == 1


@pytest.mark.django_db
def test_a_hung_server_times_out_and_the_digest_is_retried(smtp):
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("hung", now)
    smtp.script = ["hang"]

    report = _run(now)

    delivery = Delivery.objects.get()
    assert report.retry == [delivery.pk]
    assert "timed out" in delivery.last_error.lower()
    assert delivery.next_attempt_at > now


@pytest.mark.django_db
def test_an_unreachable_server_leaves_every_digest_to_retry(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    now = timezone.now() + LATER
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("one", now)
    _subscriber("two", now)

    report = _run(now)

    assert sorted(report.retry) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENDING}


@pytest.mark.django_db
def test_the_queries_do_not_grow_with_the_subscribers_of_a_batch(smtp):
    now = timezone.now() + LATER
    zoom = PlatformFactory(slug="zoom")
    IncidentFactory(title="Zoom meetings hijacked", platforms=[zoom])

    def queries(count: int, offset: int) -> int:
        for n in range(count):
            _subscriber(f"user{offset + n}", now, platforms=[zoom])
        with CaptureQueriesContext(connection) as captured:
            _run(now)
        Subscription.objects.update(frequency=DigestFrequency.OFF)
        return len(captured)

    assert queries(1, 0) == queries(20, 100)
    assert len(smtp.accepted) == 21


@pytest.mark.django_db
def test_a_new_subscriber_waits_for_their_next_hour(smtp):
    now = timezone.now()
    hour_came = now.replace(minute=0, second=0, microsecond=0)
    IncidentFactory(title="Zoom meetings hijacked")
    newcomer = _subscriber("newcomer", now)
    regular = _subscriber("regular", now)
    # The newcomer subscribed after their hour came today; the regular one the day before.
    Subscription.objects.filter(pk=newcomer.pk).update(
        created_at=hour_came + dt.timedelta(minutes=1)
    )
    Subscription.objects.filter(pk=regular.pk).update(created_at=hour_came - dt.timedelta(days=1))

    due = subscriptions_due(now=hour_came + dt.timedelta(minutes=30))

    assert [subscription.pk for subscription, _ in due] == [regular.pk]


@pytest.mark.django_db
def test_send_digests_sends_whatever_the_hour_and_only_once(smtp, capsys):
    now = timezone.now()
    IncidentFactory(title="Zoom meetings hijacked")
    subscription = _subscriber("eager", now)
    Subscription.objects.filter(pk=subscription.pk).update(
        delivery_hour=(now.hour + 12) % 24, created_at=now - dt.timedelta(days=3)
    )

    call_command("send_digests", "--frequency", "daily")
    call_command("send_digests")

    assert len(smtp.accepted) == 1
    assert "1 sent" in capsys.readouterr().out


@pytest.mark.django_db
def test_send_digests_dry_run_prints_and_sends_nothing(smtp, capsys):
    now = timezone.now()
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("curious", now)
    _subscriber("other", now)

    call_command("send_digests", "--dry-run", "--user", "curious")

    out = capsys.readouterr().out
    assert "curious" in out
    assert "Zoom meetings hijacked" in out
    assert "other@" not in out
    assert smtp.attempts == 0
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_send_digests_refuses_an_unknown_user(smtp):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("send_digests", "--user", "nobody")


@pytest.mark.django_db
def test_send_digests_fails_when_a_digest_could_not_be_sent(smtp):
    now = timezone.now()
    IncidentFactory(title="Zoom meetings hijacked")
    _subscriber("bounced", now)
    smtp.script = ["550 5.1.1 No such user"]
    with pytest.raises(CommandError, match="1 digest"):
        call_command("send_digests")
