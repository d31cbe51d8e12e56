"""Test setup: real PostgreSQL and Redis, checked before anything runs; personas by role."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import override_settings

from incidents.ingestion.gazetteer import gazetteer_forget
from incidents.roles import Role

# Real Celery workers on a Redis of the tests' own (tests/workers.py), for the tests that need one.
from tests.workers import broker, redis_url, workers  # noqa: F401


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail fast, naming the service, when PostgreSQL or Redis does not answer."""
    database = settings.DATABASES["default"]
    host = database.get("HOST") or database.get("OPTIONS", {}).get("host", "")
    problems = []
    if host and not host.startswith("/"):
        port = int(database.get("PORT") or 5432)
        if not _answers(host, port):
            problems.append(f"PostgreSQL is unreachable at {host}:{port} (DATABASE_URL)")
    redis = urlsplit(settings.CELERY_BROKER_URL)
    if redis.hostname and not _answers(redis.hostname, redis.port or 6379):
        problems.append(
            f"Redis is unreachable at {redis.hostname}:{redis.port or 6379} (REDIS_URL)"
        )
    if problems:
        pytest.exit("; ".join(problems), returncode=3)


# The test client, live_server, curl and schemathesis speak plain HTTP, so the HTTPS defaults
# of DEBUG off (redirect, TLS-only cookies, HSTS) are off, as under `make run`. pytest-django
# loads the settings before any conftest, so the switch cannot reach them through the
# environment; overridden here, before any test module builds a handler (tracker.wsgi).
override_settings(
    SECURE_SSL_REDIRECT=False,
    SESSION_COOKIE_SECURE=False,
    CSRF_COOKIE_SECURE=False,
    SECURE_HSTS_SECONDS=0,
).enable()
# The processes tests start (workers, manage.py) run as `make run` does; the tests of the
# HTTPS defaults set the switch themselves.
os.environ.setdefault("TRACKER_HTTPS", "0")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def _persona(username: str, role: str | None):
    user = get_user_model().objects.create_user(
        username=username, password="correct horse battery staple", is_staff=role is not None
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(db):
    """Reads everything, changes nothing."""
    return _persona("vera-viewer", Role.VIEWER)


@pytest.fixture
def analyst(db):
    """Files and edits incidents, timelines and articles."""
    return _persona("ana-analyst", Role.ANALYST)


@pytest.fixture
def admin_user(db):
    """A member of the Admin group (not a superuser)."""
    return _persona("adam-admin", Role.ADMIN)


@pytest.fixture
def outsider(db):
    """An account in no group and without staff status."""
    return _persona("otto-outsider", None)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", password="x" * 16)


@pytest.fixture(autouse=True)
def _own_cache_keys():
    """Each test counts its own throttles: the cache is the real Redis, keys set apart."""
    previous = cache.key_prefix
    cache.key_prefix = f"test-{uuid.uuid4().hex}"
    yield
    cache.key_prefix = previous


@pytest.fixture(autouse=True)
def _fresh_gazetteer():
    """The gazetteer is cached per process for seconds; a test's terms are rolled back after it,
    which no signal reports."""
    gazetteer_forget()
    yield
    gazetteer_forget()
