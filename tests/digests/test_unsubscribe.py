"""One-click unsubscribe: GET asks, POST (a button or RFC 8058) turns digests off, no login,
no CSRF token; a bad link is a 400 that changes nothing."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.digests.sending import subscriptions_due
from incidents.digests.unsubscribe import (
    UnsubscribeTokenInvalid,
    unsubscribe_apply,
    unsubscribe_token,
    unsubscribe_url,
)
from incidents.models import Subscription

pytestmark = pytest.mark.django_db
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def subscription(viewer) -> Subscription:
    viewer.email = "vera@example.org"
    viewer.save()
    return Subscription.objects.create(user=viewer, frequency=Subscription.Frequency.WEEKLY)


@pytest.fixture
def client() -> Client:
    """Anonymous, and checking CSRF as a real browser request would be checked."""
    return Client(enforce_csrf_checks=True)


def _path(token: str) -> str:
    return reverse("digests:unsubscribe", kwargs={"token": token})


def _one_click(client: Client, path: str):
    return client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")


def test_the_url_is_absolute_and_signed(subscription):
    url = unsubscribe_url(subscription)

    assert url == "http://localhost:8000" + _path(unsubscribe_token(subscription))
    assert unsubscribe_token(subscription) == unsubscribe_token(subscription)


def test_get_shows_a_confirmation_page_and_unsubscribes_nobody(client, subscription):
    before = Subscription.objects.get(pk=subscription.pk).updated_at

    response = client.get(_path(unsubscribe_token(subscription)))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<form method="post">' in body
    assert "vera@example.org" in body
    assert response["Cache-Control"] == "no-store"
    subscription.refresh_from_db()
    assert subscription.frequency == Subscription.Frequency.WEEKLY
    assert subscription.updated_at == before


def test_a_one_click_post_unsubscribes_without_login_or_csrf_token(client, subscription):
    response = _one_click(client, _path(unsubscribe_token(subscription)))

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.frequency == Subscription.Frequency.OFF


def test_the_confirmation_button_posts_the_one_click_body(client, subscription):
    response = client.post(
        _path(unsubscribe_token(subscription)), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.frequency == Subscription.Frequency.OFF


def test_unsubscribing_twice_is_harmless_and_writes_nothing_the_second_time(client, subscription):
    path = _path(unsubscribe_token(subscription))
    _one_click(client, path)
    first = Subscription.objects.get(pk=subscription.pk).updated_at

    response = _one_click(client, path)

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.frequency == Subscription.Frequency.OFF
    assert subscription.updated_at == first
    assert client.get(path).status_code == 200  # the page says it is off already


def test_only_the_named_subscription_is_turned_off(client, subscription, analyst):
    other = Subscription.objects.create(user=analyst, frequency=Subscription.Frequency.DAILY)

    _one_click(client, _path(unsubscribe_token(subscription)))

    other.refresh_from_db()
    assert other.frequency == Subscription.Frequency.DAILY


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
        lambda token: "WzEsMV0" + token[token.index(":") :],  # payload swapped
        lambda token: token.split(":")[0],  # signature cut off
        lambda token: "nonsense",
        # The same ids signed with the project's key, but for another purpose (no salt).
        lambda token: signing.Signer().sign(token.split(":")[0]),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_with_a_plain_400_and_changes_nothing(
    client, subscription, tamper, method
):
    path = _path(tamper(unsubscribe_token(subscription)))

    response = getattr(client, method)(path)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "This unsubscribe link is not valid.\n"
    subscription.refresh_from_db()
    assert subscription.frequency == Subscription.Frequency.WEEKLY


def test_unsubscribe_apply_names_a_bad_token(subscription):
    with pytest.raises(UnsubscribeTokenInvalid, match="not valid"):
        unsubscribe_apply(unsubscribe_token(subscription) + "x")


def test_a_link_to_a_deleted_subscription_answers_404(client, subscription):
    path = _path(unsubscribe_token(subscription))
    subscription.delete()

    assert client.get(path).status_code == 404
    assert _one_click(client, path).status_code == 404


def test_other_methods_are_refused(client, subscription):
    assert client.put(_path(unsubscribe_token(subscription))).status_code == 405


def test_after_unsubscribing_no_digest_is_due(client, subscription):
    now = timezone.now()
    assert [due.pk for due, _ in subscriptions_due(now=now, force=True)] == [subscription.pk]

    _one_click(client, _path(unsubscribe_token(subscription)))

    assert subscriptions_due(now=now, force=True) == []
