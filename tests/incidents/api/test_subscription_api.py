"""/api/v1/me/subscription/: any role reads and sets its own digest subscription; no role is a
403, no login a 401; bad input a 400 naming each field, changing nothing; reads take a
constant number of queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.api import subscriptions as api_docs
from incidents.models import Delivery, Subscription
from tests.factories import IncidentFactory, PlatformFactory
from tests.incidents.api.conftest import client_for

URL = "/api/v1/me/subscription/"

WEEKLY = {
    "frequency": "weekly",
    "delivery_hour": 8,
    "delivery_weekday": 4,
    "time_zone": "Europe/Amsterdam",
    "platforms": ["zoom"],
    "min_severity": "high",
    "categories": ["intrusion", "privacy"],
    "followed": ["wave"],
}
DEFAULT = {
    "frequency": "off",
    "delivery_hour": 7,
    "delivery_weekday": 0,
    "time_zone": "UTC",
    "platforms": [],
    "min_severity": None,
    "categories": [],
    "followed": [],
    "next_digest_at": None,
    "last_delivery": None,
}


@pytest.fixture
def catalog(db):
    PlatformFactory(slug="zoom")
    PlatformFactory(slug="teams")
    IncidentFactory(slug="wave")


def _stored() -> list[tuple]:
    return [
        (
            s.user_id,
            s.frequency,
            s.delivery_hour,
            s.delivery_weekday,
            s.time_zone,
            s.min_severity,
            s.categories,
            sorted(s.platforms.values_list("slug", flat=True)),
            sorted(s.followed.values_list("slug", flat=True)),
        )
        for s in Subscription.objects.order_by("pk")
    ]


# --- Who ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_anonymous_gets_401(api, catalog, method):
    response = getattr(api, method)(URL, WEEKLY)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"
    assert not Subscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_a_user_without_a_role_gets_403(as_outsider, catalog, method):
    response = getattr(as_outsider, method)(URL, WEEKLY)
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert not Subscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["viewer", "analyst", "admin_user"])
def test_every_role_reads_and_sets_its_own_subscription(request, catalog, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(URL).json() == DEFAULT
    response = client.put(URL, WEEKLY)
    assert response.status_code == 200, response.json()
    assert _stored() == [
        (
            user.pk,
            "weekly",
            8,
            4,
            "Europe/Amsterdam",
            "high",
            ["intrusion", "privacy"],
            ["zoom"],
            ["wave"],
        )
    ]


@pytest.mark.django_db
def test_each_user_sees_only_their_own_subscription(as_viewer, analyst, catalog):
    assert client_for(analyst).put(URL, WEEKLY).status_code == 200
    assert as_viewer.get(URL).json() == DEFAULT


# --- Reading and writing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_put_answers_the_subscription_with_its_schedule(as_viewer, viewer, catalog):
    viewer.email = "vera@example.org"
    viewer.save()
    response = as_viewer.put(URL, WEEKLY)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {key: body[key] for key in WEEKLY} == WEEKLY
    assert body["last_delivery"] is None
    # The first digest comes at the next Friday 08:00 in Amsterdam, after subscribing.
    due = dt.datetime.fromisoformat(body["next_digest_at"])
    local = due.astimezone(zoneinfo.ZoneInfo("Europe/Amsterdam"))
    assert (local.weekday(), local.hour, local.minute) == (4, 8, 0)
    now = dt.datetime.now(dt.UTC)
    assert now < due <= now + dt.timedelta(days=7)


@pytest.mark.django_db
def test_the_last_delivery_is_shown(as_viewer, viewer, catalog):
    as_viewer.put(URL, WEEKLY | {"frequency": "daily"})
    subscription = Subscription.objects.get(user=viewer)
    end = dt.datetime(2026, 3, 2, 7, tzinfo=dt.UTC)
    for period, status, sent_at in [
        (dt.date(2026, 3, 1), Delivery.Status.SENT, end - dt.timedelta(days=1)),
        (dt.date(2026, 3, 2), Delivery.Status.FAILED, None),
    ]:
        Delivery.objects.create(
            subscription=subscription,
            frequency="daily",
            period=period,
            window_start=dt.datetime.combine(period, dt.time(6), dt.UTC) - dt.timedelta(days=1),
            window_end=dt.datetime.combine(period, dt.time(6), dt.UTC),
            status=status,
            message_id=f"<{period}@test>",
            recipient="vera@example.org",
            sent_at=sent_at,
        )
    body = as_viewer.get(URL).json()
    assert body["last_delivery"] == {"period": "2026-03-02", "status": "failed", "sent_at": None}


@pytest.mark.django_db
def test_patch_changes_only_the_fields_sent(as_viewer, viewer, catalog):
    as_viewer.put(URL, WEEKLY)
    response = as_viewer.patch(URL, {"frequency": "off", "platforms": ["teams", "zoom"]})
    assert response.status_code == 200, response.json()
    assert _stored() == [
        (
            viewer.pk,
            "off",
            8,
            4,
            "Europe/Amsterdam",
            "high",
            ["intrusion", "privacy"],
            ["teams", "zoom"],
            ["wave"],
        )
    ]
    assert response.json()["next_digest_at"] is None


@pytest.mark.django_db
def test_patch_without_a_subscription_starts_from_the_defaults(as_viewer, viewer, catalog):
    response = as_viewer.patch(URL, {"frequency": "daily"})
    assert response.status_code == 200, response.json()
    assert _stored() == [(viewer.pk, "daily", 7, 0, "UTC", "", [], [], [])]


@pytest.mark.django_db
def test_null_min_severity_means_none(as_viewer, catalog):
    as_viewer.put(URL, WEEKLY)
    response = as_viewer.patch(URL, {"min_severity": None})
    assert response.json()["min_severity"] is None
    assert Subscription.objects.get().min_severity == ""


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"delivery_hour": 24}, "delivery_hour"),
        ({"delivery_hour": "seven"}, "delivery_hour"),
        ({"delivery_weekday": -1}, "delivery_weekday"),
        ({"time_zone": "Europe/Amsterdan"}, "time_zone"),
        ({"time_zone": "+02:00"}, "time_zone"),
        ({"platforms": ["zooom"]}, "platforms"),
        ({"platforms": ["zoom", "zoom"]}, "platforms"),
        ({"platforms": "zoom"}, "platforms"),
        ({"min_severity": "severe"}, "min_severity"),
        ({"min_severity": ""}, "min_severity"),
        ({"categories": ["spam"]}, "categories"),
        ({"categories": ["legal", "legal"]}, "categories"),
        ({"followed": ["no-such-incident"]}, "followed"),
        ({"followed": ["wave", "wave"]}, "followed"),
        ({"followed": ["x"] * 501}, "followed"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(as_viewer, catalog, changes, field):
    as_viewer.put(URL, WEEKLY)
    before = _stored()
    for method in ("put", "patch"):
        response = getattr(as_viewer, method)(URL, WEEKLY | changes if method == "put" else changes)
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["error"] == "invalid"
        assert list(body["fields"]) == [field]
        assert body["fields"][field]
        assert _stored() == before


@pytest.mark.django_db
def test_put_needs_every_field(as_viewer, catalog):
    response = as_viewer.put(URL, {"frequency": "daily"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == set(WEEKLY) - {"frequency"}
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_every_invalid_field_is_named_in_one_answer(as_viewer, catalog):
    body = WEEKLY | {"time_zone": "Mars/Olympus", "followed": ["nope"], "platforms": ["x"]}
    response = as_viewer.put(URL, body)
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The request has invalid fields: followed, platforms, time_zone."
    )
    assert not Subscription.objects.exists()


# --- Queries, schema examples ---------------------------------------------------------------------


def _get_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_reading_takes_a_constant_number_of_queries(viewer, django_assert_max_num_queries):
    client = client_for(viewer)
    IncidentFactory(slug="wave")
    PlatformFactory(slug="zoom")
    client.put(URL, WEEKLY)
    small = _get_queries(client)
    platforms = [p.slug for p in PlatformFactory.create_batch(10)]
    followed = [i.slug for i in IncidentFactory.create_batch(10)]
    client.put(URL, WEEKLY | {"platforms": platforms, "followed": followed})
    subscription = Subscription.objects.get()
    for day in range(1, 11):
        period = dt.date(2026, 3, day)
        end = dt.datetime.combine(period, dt.time(7), dt.UTC)
        Delivery.objects.create(
            subscription=subscription,
            frequency="weekly",
            period=period,
            window_start=end - dt.timedelta(days=7),
            window_end=end,
            status=Delivery.Status.EMPTY,
            message_id=f"<{day}@test>",
            recipient="v@example.org",
        )
    assert _get_queries(client) == small
    # The token lookup, the user's permissions, and the subscription with its lists: one each.
    with django_assert_max_num_queries(4):
        client.get(URL)


@pytest.mark.django_db
def test_the_schema_examples_work(as_viewer, seeded):
    subscribed = as_viewer.put(URL, api_docs.SUBSCRIBE.value)
    assert subscribed.status_code == 200, subscribed.json()
    assert set(subscribed.json()) == set(api_docs.SUBSCRIBED.value)
    assert {k: subscribed.json()[k] for k in api_docs.SUBSCRIBE.value} == api_docs.SUBSCRIBE.value
    stopped = as_viewer.patch(URL, api_docs.UNSUBSCRIBE.value)
    assert stopped.status_code == 200, stopped.json()
    assert stopped.json()["frequency"] == "off"

    example = api_docs.SUBSCRIPTION_INVALID.examples[0].value
    invalid = as_viewer.put(
        URL,
        api_docs.SUBSCRIBE.value
        | {"followed": ["zoombombing-2021"], "time_zone": "Europe/Amsterdan"},
    )
    assert invalid.status_code == 400
    assert invalid.json() == example
