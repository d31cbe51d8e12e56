"""Digests in the admin: the Admin role alone sees subscriptions and deliveries; a subscription
is edited through the API's checks and its next digest previewed, never sent; deliveries are
read-only for everyone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from incidents.models import Delivery, Subscription
from incidents.services.subscriptions import subscription_update
from tests.factories import DAILY_SUBSCRIPTION as DAILY
from tests.factories import IncidentFactory, PlatformFactory


@pytest.fixture
def subscription(viewer) -> Subscription:
    viewer.email = "vera@example.org"
    viewer.save()
    return subscription_update(user=viewer, **DAILY)


def _delivery(subscription: Subscription, day: int, status: str, error: str = "") -> Delivery:
    end = dt.datetime(2026, 3, day, 6, tzinfo=dt.UTC)
    return Delivery.objects.create(
        subscription=subscription,
        frequency="daily",
        period=dt.date(2026, 3, day),
        window_start=end - dt.timedelta(days=1),
        window_end=end,
        status=status,
        message_id=f"<{day}@test>",
        recipient="vera@example.org",
        attempts=1,
        last_error=error,
        sent_at=end if status == Delivery.Status.SENT else None,
    )


@pytest.fixture
def delivery(subscription) -> Delivery:
    return _delivery(subscription, 2, Delivery.Status.FAILED, "SMTP 550: mailbox unavailable")


def _pages(subscription: Subscription, delivery: Delivery) -> list[str]:
    return [
        reverse("admin:incidents_subscription_changelist"),
        reverse("admin:incidents_subscription_change", args=[subscription.pk]),
        reverse("admin:incidents_subscription_preview", args=[subscription.pk]),
        reverse("admin:incidents_delivery_changelist"),
        reverse("admin:incidents_delivery_change", args=[delivery.pk]),
    ]


# --- Who ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["viewer", "analyst"])
def test_viewers_and_analysts_get_403_on_every_digest_page(
    request, client, subscription, delivery, persona
):
    client.force_login(request.getfixturevalue(persona))
    for url in _pages(subscription, delivery):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("admin:incidents_subscription_add")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "Subscriptions" not in index
    assert "Deliveries" not in index


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_the_admin_role_sees_every_digest_page(request, client, subscription, delivery, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in _pages(subscription, delivery):
        assert client.get(url).status_code == 200, url
    assert mail.outbox == []


# --- Subscriptions --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_each_subscriber_with_address_and_schedule(client, admin_user, subscription):
    client.force_login(admin_user)
    response = client.get(reverse("admin:incidents_subscription_changelist"))
    page = response.content.decode()
    for shown in ("vera-viewer", "vera@example.org", "Europe/Amsterdam"):
        assert shown in page
    filtered = client.get(reverse("admin:incidents_subscription_changelist"), {"frequency": "off"})
    assert filtered.context["cl"].result_count == 0


@pytest.mark.django_db
def test_the_change_page_offers_the_preview(client, admin_user, subscription):
    client.force_login(admin_user)
    page = client.get(reverse("admin:incidents_subscription_change", args=[subscription.pk]))
    preview = reverse("admin:incidents_subscription_preview", args=[subscription.pk])
    assert f'href="{preview}"' in page.content.decode()


def _form(subscription: Subscription, **changes) -> dict:
    data = {
        "frequency": subscription.frequency,
        "delivery_hour": subscription.delivery_hour,
        "delivery_weekday": subscription.delivery_weekday,
        "time_zone": subscription.time_zone,
        "min_severity": subscription.min_severity,
    }
    return data | changes


@pytest.mark.django_db
def test_an_admin_changes_a_subscription(client, admin_user, subscription):
    zoom, wave = PlatformFactory(slug="zoom"), IncidentFactory(slug="wave")
    client.force_login(admin_user)
    url = reverse("admin:incidents_subscription_change", args=[subscription.pk])
    data = _form(
        subscription,
        frequency="weekly",
        platforms=[zoom.pk],
        followed=[wave.pk],
        categories=["privacy", "legal"],
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription.refresh_from_db()
    assert subscription.frequency == "weekly"
    assert sorted(subscription.categories) == ["legal", "privacy"]
    assert list(subscription.platforms.all()) == [zoom]
    assert list(subscription.followed.all()) == [wave]


@pytest.mark.django_db
def test_the_admin_refuses_what_the_api_refuses(client, admin_user, outsider):
    wave = IncidentFactory(slug="wave")
    client.force_login(admin_user)
    url = reverse("admin:incidents_subscription_add")
    data = _form(Subscription(), user=outsider.pk, time_zone="Mars/Olympus", followed=[wave.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "time_zone" in errors
    data["time_zone"] = "UTC"
    errors = client.post(url, data).context["adminform"].form.errors
    assert errors == {"followed": ["You may not read incidents, so none to follow."]}
    assert not Subscription.objects.exists()


# --- Preview --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_shows_the_mail_html_and_text_and_sends_nothing(
    client, admin_user, subscription
):
    incident = IncidentFactory(title="Intruders <script>alert(1)</script> in a meeting")
    client.force_login(admin_user)
    response = client.get(reverse("admin:incidents_subscription_preview", args=[subscription.pk]))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.message is not None
    assert incident.title in preview.message.body
    page = response.content.decode()
    assert '<iframe title="HTML part" sandbox srcdoc="' in page
    assert "vera@example.org" in page
    assert "List-Unsubscribe" in page
    # The mail's HTML is the iframe's srcdoc, escaped as an attribute value: the title, escaped
    # in the mail, is escaped twice over there; once in the text part; never markup.
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page
    assert page.count("<html") == 1
    assert "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert mail.outbox == []
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_preview_says_when_nothing_would_be_sent(client, admin_user, subscription):
    client.force_login(admin_user)
    url = reverse("admin:incidents_subscription_preview", args=[subscription.pk])
    assert "no mail would be sent" in client.get(url).content.decode()
    subscription_update(user=subscription.user, **(DAILY | {"frequency": "off"}))
    assert "Digests are off" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_preview_of_no_such_subscription_is_404(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:incidents_subscription_preview", args=[987654])
    assert client.get(url).status_code == 404


# --- Deliveries -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_deliveries_are_filtered_with_their_error(client, admin_user, subscription):
    _delivery(subscription, 1, Delivery.Status.SENT)
    _delivery(subscription, 2, Delivery.Status.FAILED, "SMTP 550: mailbox unavailable")
    client.force_login(admin_user)
    response = client.get(reverse("admin:incidents_delivery_changelist"), {"status": "failed"})
    assert [d.status for d in response.context["cl"].result_list] == ["failed"]
    assert "SMTP 550: mailbox unavailable" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_deliveries_are_read_only_for_everyone(request, client, delivery, persona):
    client.force_login(request.getfixturevalue(persona))
    change = reverse("admin:incidents_delivery_change", args=[delivery.pk])
    assert not client.get(change).context["has_change_permission"]
    assert client.get(reverse("admin:incidents_delivery_add")).status_code == 403
    assert client.post(change, {"status": "sent"}).status_code == 403
    delete = reverse("admin:incidents_delivery_delete", args=[delivery.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
