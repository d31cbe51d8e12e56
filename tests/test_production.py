"""The production environment: `check --deploy` clean, HTTPS by default with DEBUG off, the
security headers on admin and API answers, and the admin wherever ADMIN_URL puts it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
# Switches of local runs and tests that production leaves unset.
LOCAL_ONLY = ("DEBUG", "TRACKER_HTTPS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "LOG_FORMAT")


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LOCAL_ONLY}
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        PYTHONPATH=str(ROOT),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="vcwatch.example.org",
        DEBUG="0",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=tempfile.gettempdir(),  # away from a developer's .env and the tests' packages
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings(env: dict[str, str], *names: str) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings as s; " + "; ".join(
        f"print(repr(s.{name}))" for name in names
    )
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_check_deploy_reports_nothing_under_the_production_environment():
    result = _run(
        [str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"], _production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_manage_py_refuses_to_start_without_secret_key_in_one_line():
    env = _production_env()
    del env["SECRET_KEY"]
    result = _run([str(ROOT / "manage.py"), "check"], env)
    assert result.returncode == 1
    assert result.stderr == (
        "error: SECRET_KEY is not set: it is required when DEBUG is off "
        "(`make run` generates one into var/secret_key)\n"
    )


def test_debug_off_means_https_redirect_secure_cookies_and_a_year_of_hsts():
    values = _settings(
        _production_env(),
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "LOG_FORMAT",
    )
    assert values == ["True", "True", "True", "True", "31536000", "True", "'json'"]


def test_tracker_https_off_serves_plain_http_as_make_run_does():
    values = _settings(
        _production_env(TRACKER_HTTPS="0"),
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
    )
    assert values == ["False", "False", "False", "0"]


def test_behind_a_proxy_the_header_it_sets_says_https():
    [header] = _settings(
        _production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"), "SECURE_PROXY_SSL_HEADER"
    )
    assert header == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_admin_url_moves_the_admin_and_every_link_to_it():
    code = (
        "import django; django.setup(); from django.test import Client; "
        "from django.urls import reverse; "
        "from incidents.digests.content import incident_url; "
        "print(reverse('admin:index')); print(incident_url(7)); "
        "print(Client().get('/')['Location']); print(Client().get('/admin/').status_code)"
    )
    env = _production_env(ADMIN_URL="control-room/", TRACKER_HTTPS="0", ALLOWED_HOSTS="testserver")
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "/control-room/",
        "http://localhost:8000/control-room/incidents/incident/7/change/",
        "/control-room/",
        "404",
    ]


@pytest.mark.parametrize("value", ["/admin/", "admin", "/"])
def test_a_malformed_admin_url_is_refused(value):
    result = _run(["-c", "import django; django.setup()"], _production_env(ADMIN_URL=value))
    assert result.returncode != 0
    assert "ADMIN_URL must end with / and not start with one" in result.stderr


# --- Headers ------------------------------------------------------------------------------------


@pytest.fixture
def https(settings):
    """The production defaults that the tests' plain-HTTP session turns off."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


def _assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src ")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/admin/login/", "/api/v1/incidents/", "/api/v1/schema/", "/api/v1/docs/", "/healthz"]
)
def test_answers_carry_the_security_headers_and_hsts_over_https(client, https, path):
    response = client.get(path, secure=True)
    assert response.status_code in (200, 401)
    _assert_security_headers(response)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


@pytest.mark.django_db
def test_the_admin_pages_of_a_logged_in_user_carry_the_security_headers(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("admin:incidents_incident_changelist"))
    assert response.status_code == 200
    _assert_security_headers(response)


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_but_the_probes_are_not(client, https):
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"
    assert "Strict-Transport-Security" not in response  # only ever sent over HTTPS
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_and_the_session_one_http_only(client, https, analyst):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": analyst.username, "password": "correct horse battery staple"},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    page = Client().get("/admin/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True


def test_the_swagger_ui_runs_its_inline_code_by_the_responses_nonce(client):
    response = client.get("/api/v1/docs/")
    csp = response["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    assert html.count(f'nonce="{nonce}"') == 2  # its <style> and its start-up <script>
    assert "<script>" not in html
    assert "<style>" not in html


@pytest.mark.django_db
def test_the_browsable_api_puts_the_nonce_on_its_inline_style(client, analyst):
    client.force_login(analyst)
    response = client.get("/api/v1/incidents/", HTTP_ACCEPT="text/html")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<style>" not in html
    if "<style " in html:
        nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert f'<style nonce="{nonce}">' in html
