"""Login brute-force protection (django-axes): LOGIN_FAILURE_LIMIT failures for one username
from one address lock that pair out, in the admin and at the API's token endpoint alike."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import ApiToken

PASSWORD = "correct horse battery staple"  # the personas' (tests/conftest.py)
LIMIT = 3
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def _admin_login(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def _token(username: str, password: str, address: str = "198.51.100.7"):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=address
    )


# --- Admin --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_login_locks_a_username_out_at_the_limit_of_failures(client, analyst):
    for _ in range(LIMIT - 1):
        assert _admin_login(client, analyst.username, "wrong").status_code == 200  # the form
    locked = _admin_login(client, analyst.username, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins for this username" in locked.content.decode()
    assert locked["Retry-After"] == str(15 * 60)
    # Now even the right password is refused, and no session is opened.
    right = _admin_login(client, analyst.username, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username=analyst.username)
    assert attempt.ip_address == "198.51.100.7"


@pytest.mark.django_db
def test_an_admin_lockout_holds_one_username_from_one_address_only(client, analyst, viewer):
    for _ in range(LIMIT):
        _admin_login(client, analyst.username, "wrong")
    assert _admin_login(client, analyst.username, PASSWORD).status_code == 429
    # Another address may still log in as that user, and the address as another user.
    elsewhere = _admin_login(client, analyst.username, PASSWORD, address="203.0.113.9")
    assert elsewhere.status_code == 302
    client.logout()
    assert _admin_login(client, viewer.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_admin_login_forgets_earlier_failures(client, analyst):
    for _ in range(LIMIT - 1):
        _admin_login(client, analyst.username, "wrong")
    assert _admin_login(client, analyst.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _admin_login(client, analyst.username, "wrong").status_code == 200


# --- Token endpoint -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_token_endpoint_locks_a_username_out_at_the_limit_of_failures(analyst):
    for _ in range(LIMIT - 1):
        wrong = _token(analyst.username, "wrong")
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "authentication_failed"
    locked = _token(analyst.username, "wrong")
    assert locked.status_code == 429
    assert locked.json() == {
        "error": "locked_out",
        "detail": "Too many failed logins for this username from your address: "
        "try again in 15 minutes.",
    }
    assert locked["Retry-After"] == str(15 * 60)

    right = _token(analyst.username, PASSWORD)
    assert right.status_code == 429
    assert right.json()["error"] == "locked_out"
    assert not ApiToken.objects.filter(user=analyst).exists()


@pytest.mark.django_db
def test_a_token_lockout_holds_one_username_from_one_address_only(analyst):
    for _ in range(LIMIT):
        _token(analyst.username, "wrong")
    assert _token(analyst.username, PASSWORD, address="203.0.113.9").status_code == 201
    assert ApiToken.objects.filter(user=analyst).count() == 1


@pytest.mark.django_db
def test_failures_at_the_admin_and_the_api_count_together(client, analyst):
    _admin_login(client, analyst.username, "wrong")
    for _ in range(LIMIT - 2):
        _token(analyst.username, "wrong")
    assert _token(analyst.username, "wrong").status_code == 429
    assert _admin_login(client, analyst.username, PASSWORD).status_code == 429


def _forwarded_failures(username: str, proxy: str, forwarded: list[str]) -> None:
    for address in forwarded:
        APIClient().post(
            TOKEN_URL,
            {"username": username, "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=address,
        )


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(analyst):
    _forwarded_failures(analyst.username, "198.51.100.7", [f"192.0.2.{n}" for n in range(LIMIT)])
    assert _token(analyst.username, PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_address_is_the_one_it_forwarded(analyst, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # TRUSTED_PROXY_COUNT
    # The proxy appends the address it saw; what the client claimed before that is ignored.
    _forwarded_failures(analyst.username, "10.0.0.2", ["203.0.113.50, 192.0.2.44"] * LIMIT)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.44"}
    locked = APIClient().post(
        TOKEN_URL,
        {"username": analyst.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.44",
    )
    assert locked.status_code == 429
    assert _token(analyst.username, PASSWORD, address="10.0.0.2").status_code == 201
