"""Subscription services: read with defaults and schedule, set whole with every field checked,
a refusal writes nothing; the next digest previewed, never sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from incidents.models import Delivery, Incident, Subscription
from incidents.services.subscriptions import (
    LastDelivery,
    subscription_get_or_default,
    subscription_preview,
    subscription_update,
    subscription_values,
)
from tests.factories import DAILY_SUBSCRIPTION as DAILY
from tests.factories import IncidentFactory, PlatformFactory

UTC = dt.UTC


@pytest.fixture
def reader(viewer):
    viewer.email = "vera@example.org"
    viewer.save()
    return viewer


def _stored() -> list[tuple]:
    rows = []
    for subscription in Subscription.objects.order_by("pk"):
        rows.append(
            (
                subscription.user_id,
                subscription.frequency,
                subscription.delivery_hour,
                subscription.delivery_weekday,
                subscription.time_zone,
                subscription.min_severity,
                subscription.categories,
                sorted(subscription.platforms.values_list("slug", flat=True)),
                sorted(subscription.followed.values_list("slug", flat=True)),
            )
        )
    return rows


def _subscribe(user, *, since: dt.datetime | None = None, **changes) -> Subscription:
    subscription = subscription_update(user=user, **(DAILY | changes))
    if since is not None:
        Subscription.objects.filter(pk=subscription.pk).update(created_at=since)
    return subscription


def _delivery(subscription: Subscription, period: dt.date, **fields) -> Delivery:
    end = dt.datetime.combine(period, dt.time(6), UTC)
    values = {
        "frequency": "daily",
        "window_start": end - dt.timedelta(days=1),
        "window_end": end,
        "status": Delivery.Status.SENT,
        "message_id": f"<{subscription.pk}.{period}@test>",
        "recipient": "vera@example.org",
        "sent_at": end + dt.timedelta(seconds=41),
    }
    return Delivery.objects.create(subscription=subscription, period=period, **(values | fields))


# --- Reading --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_without_a_subscription_reads_an_unsaved_default_that_is_off(reader):
    subscription = subscription_get_or_default(reader)
    assert subscription.pk is None
    assert subscription_values(subscription) == {
        "frequency": "off",
        "delivery_hour": 7,
        "delivery_weekday": 0,
        "time_zone": "UTC",
        "platforms": [],
        "min_severity": "",
        "categories": [],
        "followed": [],
    }
    assert subscription.last_delivery is None
    assert subscription.next_digest_at is None
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_reading_a_subscription_is_one_query_however_much_it_holds(
    reader, django_assert_num_queries
):
    platforms = PlatformFactory.create_batch(5)
    incidents = IncidentFactory.create_batch(5)
    subscription = _subscribe(
        reader,
        platforms=[p.slug for p in platforms],
        followed=[i.slug for i in incidents],
    )
    for day in range(1, 6):
        _delivery(subscription, dt.date(2026, 3, day))
    with django_assert_num_queries(1):
        read = subscription_get_or_default(reader)
    assert read.platform_slugs == sorted(p.slug for p in platforms)
    assert read.followed_slugs == sorted(i.slug for i in incidents)
    assert read.last_delivery == LastDelivery(
        dt.date(2026, 3, 5), Delivery.Status.SENT, dt.datetime(2026, 3, 5, 6, 0, 41, tzinfo=UTC)
    )


# --- When the next digest falls due ---------------------------------------------------------------

# 10:00 in Amsterdam (CET), three hours after a 07:00 delivery hour.
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_an_unclaimed_period_due_today_is_the_next_digest(reader):
    _subscribe(reader, since=LONG_AGO)
    read = subscription_get_or_default(reader, now=NOW)
    assert read.next_digest_at == dt.datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_once_today_is_claimed_the_next_digest_is_tomorrow_at_the_hour(reader):
    subscription = _subscribe(reader, since=LONG_AGO)
    _delivery(subscription, dt.date(2026, 3, 10))
    read = subscription_get_or_default(reader, now=NOW)
    assert read.next_digest_at == dt.datetime(2026, 3, 11, 6, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_new_subscriber_gets_the_first_digest_at_the_next_hour(reader):
    _subscribe(reader, since=NOW - dt.timedelta(minutes=5))
    read = subscription_get_or_default(reader, now=NOW)
    assert read.next_digest_at == dt.datetime(2026, 3, 11, 6, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_next_digest_keeps_the_local_hour_across_a_clock_change(reader):
    # Amsterdam moves to summer time on 2026-03-29: 07:00 is then 05:00 UTC, not 06:00.
    subscription = _subscribe(reader, since=LONG_AGO)
    _delivery(subscription, dt.date(2026, 3, 28))
    read = subscription_get_or_default(reader, now=dt.datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert read.next_digest_at == dt.datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_weekly_digest_is_next_due_on_its_weekday(reader):
    # Tuesday 2026-03-10; Friday (4) at 18:00 New York time (EDT since 2026-03-08) is 22:00 UTC.
    _subscribe(
        reader,
        since=NOW,
        frequency="weekly",
        delivery_weekday=4,
        delivery_hour=18,
        time_zone="America/New_York",
    )
    read = subscription_get_or_default(reader, now=NOW)
    assert read.next_digest_at == dt.datetime(2026, 3, 13, 22, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_no_digest_is_due_when_off_or_without_an_email_address(reader, analyst):
    _subscribe(reader, since=LONG_AGO, frequency="off")
    assert subscription_get_or_default(reader, now=NOW).next_digest_at is None
    _subscribe(analyst, since=LONG_AGO)  # analyst has no email address
    assert subscription_get_or_default(analyst, now=NOW).next_digest_at is None


# --- Setting --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_setting_a_subscription_creates_it_once_then_replaces_it_whole(reader):
    zoom, teams = PlatformFactory(slug="zoom"), PlatformFactory(slug="teams")
    wave = IncidentFactory(slug="wave")
    _subscribe(
        reader,
        frequency="weekly",
        delivery_hour=8,
        delivery_weekday=4,
        platforms=["zoom", "teams"],
        min_severity="high",
        categories=["intrusion", "privacy"],
        followed=["wave"],
    )
    assert _stored() == [
        (
            reader.pk,
            "weekly",
            8,
            4,
            "Europe/Amsterdam",
            "high",
            ["intrusion", "privacy"],
            ["teams", "zoom"],
            ["wave"],
        )
    ]
    subscription_update(user=reader, **DAILY)
    assert _stored() == [(reader.pk, "daily", 7, 0, "Europe/Amsterdam", "", [], [], [])]
    assert zoom.subscriptions.count() == teams.subscriptions.count() == 0
    assert Incident.objects.get(pk=wave.pk).followers.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("none", [None, ""])
def test_no_minimum_severity_is_stored_blank(reader, none):
    _subscribe(reader, min_severity=none)
    assert Subscription.objects.get().min_severity == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"frequency": "hourly"}, "frequency", "'hourly' is not one of: off, daily, weekly."),
        ({"delivery_hour": 24}, "delivery_hour", "Give an hour from 0 to 23."),
        ({"delivery_hour": -1}, "delivery_hour", "Give an hour from 0 to 23."),
        ({"delivery_weekday": 7}, "delivery_weekday", "Give a day from 0 (Monday) to 6 (Sunday)."),
        ({"time_zone": "CEST"}, "time_zone", "'CEST' is not an IANA time zone name"),
        ({"time_zone": "Europe/Amsterdan"}, "time_zone", "is not an IANA time zone name"),
        ({"min_severity": "severe"}, "min_severity", "'severe' is not one of: low, medium"),
        ({"categories": ["intrusion", "spam"]}, "categories", "'spam' is not one of: intrusion"),
        ({"categories": ["legal", "legal"]}, "categories", "'legal' is listed more than once."),
        ({"platforms": ["zooom"]}, "platforms", "No platform with the slug 'zooom'."),
        ({"platforms": ["zoom", "zoom"]}, "platforms", "'zoom' is listed more than once."),
        ({"followed": ["no-such-incident"]}, "followed", "No incident with the slug"),
        ({"followed": ["wave", "wave"]}, "followed", "'wave' is listed more than once."),
    ],
)
def test_an_invalid_field_is_refused_by_name_and_nothing_changes(reader, changes, field, message):
    PlatformFactory(slug="zoom")
    IncidentFactory(slug="wave")
    _subscribe(reader, frequency="weekly", platforms=["zoom"])
    before = _stored()
    with pytest.raises(ValidationError) as refused:
        subscription_update(user=reader, **(DAILY | changes))
    assert list(refused.value.message_dict) == [field]
    assert any(message in text for text in refused.value.message_dict[field])
    assert _stored() == before


@pytest.mark.django_db
def test_every_invalid_field_is_named_at_once(reader):
    with pytest.raises(ValidationError) as refused:
        subscription_update(
            user=reader,
            **(DAILY | {"delivery_hour": 99, "time_zone": "Mars/Olympus", "platforms": ["x"]}),
        )
    assert set(refused.value.message_dict) == {"delivery_hour", "time_zone", "platforms"}
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_user_who_may_not_read_incidents_cannot_follow_one(outsider):
    IncidentFactory(slug="wave")
    with pytest.raises(ValidationError) as refused:
        subscription_update(user=outsider, **(DAILY | {"followed": ["wave"]}))
    assert refused.value.message_dict == {
        "followed": ["You may not read incidents, so none to follow."]
    }
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_merged_duplicate_cannot_be_followed(reader):
    survivor = IncidentFactory(slug="survivor")
    IncidentFactory(
        slug="duplicate",
        merged_into=survivor,
        status=Incident.Status.REJECTED,
        rejection_reason=Incident.RejectionReason.DUPLICATE,
    )
    with pytest.raises(ValidationError) as refused:
        subscription_update(user=reader, **(DAILY | {"followed": ["duplicate"]}))
    assert "merged into another incident" in refused.value.message_dict["followed"][0]
    assert not Subscription.objects.exists()


# --- Preview --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_renders_the_next_digest_without_sending_or_recording_it(reader):
    incident = IncidentFactory(title="Intruders <b>in</b> a council meeting")
    subscription = _subscribe(reader, since=LONG_AGO)
    preview = subscription_preview(
        subscription=subscription, now=dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    )
    assert preview is not None
    assert preview.window_start < incident.created_at < preview.window_end
    assert preview.message is not None
    assert preview.message.to == ["vera@example.org"]
    assert incident.title in preview.message.body
    assert "Intruders &lt;b&gt;in&lt;/b&gt; a council meeting" in preview.html
    assert mail.outbox == []
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_preview_says_when_nothing_would_be_sent(reader):
    subscription = _subscribe(reader, since=LONG_AGO)
    preview = subscription_preview(subscription=subscription, now=dt.datetime.now(UTC))
    assert preview is not None
    assert preview.message is None
    assert preview.html == ""


@pytest.mark.django_db
def test_there_is_no_preview_when_digests_are_off(reader):
    IncidentFactory()
    subscription = _subscribe(reader, frequency="off")
    assert subscription_preview(subscription=subscription, now=dt.datetime.now(UTC)) is None
