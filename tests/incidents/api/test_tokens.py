import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import ApiToken
from incidents.tokens import _hash, api_token_issue

PASSWORD = "correct horse battery staple"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.mark.django_db
def test_a_password_gets_a_token_stored_only_as_its_hash(api, analyst):
    response = api.post(TOKEN_URL, {"username": analyst.username, "password": PASSWORD})
    assert response.status_code == 201
    key = response.json()["token"]
    stored = ApiToken.objects.get(user=analyst)
    assert stored.key_hash == _hash(key)
    assert key not in (stored.key_hash, stored.prefix)
    assert stored.expires_at > timezone.now() + dt.timedelta(days=89)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/incidents/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"username": "ana-analyst", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_wrong_credentials_get_401_and_no_token(api, analyst, body):
    response = api.post(TOKEN_URL, body)
    assert response.status_code == 401
    assert response.json() == {
        "error": "authentication_failed",
        "detail": "Wrong username or password.",
    }
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_missing_fields_are_400_naming_them(api):
    response = api.post(TOKEN_URL, {"username": "x"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"password"}


@pytest.mark.django_db
def test_failed_logins_are_throttled(api, analyst, settings):
    for _ in range(10):
        api.post(TOKEN_URL, {"username": analyst.username, "password": "wrong"})
    response = api.post(TOKEN_URL, {"username": analyst.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"] == "throttled"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-token", "Token", "Token a b", "Bearer x"],
)
def test_bad_tokens_get_401(api, header, analyst):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/incidents/")
    assert response.status_code == 401


@pytest.mark.django_db
def test_expired_and_revoked_tokens_are_refused(analyst):
    expired, expired_key = api_token_issue(user=analyst)
    ApiToken.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - dt.timedelta(days=100),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    revoked, revoked_key = api_token_issue(user=analyst)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    for key in (expired_key, revoked_key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/incidents/").status_code == 401


@pytest.mark.django_db
def test_a_token_of_a_deactivated_user_is_refused(analyst):
    _, key = api_token_issue(user=analyst)
    analyst.is_active = False
    analyst.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/incidents/").status_code == 401


@pytest.mark.django_db
def test_owner_lists_and_revokes_own_tokens_but_not_others(analyst, viewer):
    token, key = api_token_issue(user=analyst, name="soar")
    other, _ = api_token_issue(user=viewer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = client.get("/api/v1/auth/tokens/").json()["results"]
    assert [(t["id"], t["name"], t["prefix"]) for t in listed] == [(token.pk, "soar", key[:8])]
    assert "key_hash" not in listed[0]
    assert client.delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
    assert client.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
    assert client.get("/api/v1/auth/tokens/").status_code == 401


@pytest.mark.django_db
def test_revoking_a_token_that_is_not_a_number_is_404(as_analyst):
    assert as_analyst.delete("/api/v1/auth/tokens/null,null/").status_code == 404
