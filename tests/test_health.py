import socket

import pytest
from django.db import connection

from tracker.celery import app as celery_app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_ok_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_broker_when_it_is_down(client, monkeypatch):
    # Settings come in under their Django names (CELERY_*), which take precedence in the conf.
    monkeypatch.setitem(
        celery_app.conf, "CELERY_BROKER_URL", f"redis://127.0.0.1:{_closed_port()}/0"
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unreachable"},
    }


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_database_when_it_is_down(client, monkeypatch):
    # A real connection attempt to a port where no PostgreSQL listens.
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(_closed_port()))
    connection.close()
    try:
        response = client.get("/readyz")
    finally:
        monkeypatch.undo()
        connection.close()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "broker": "ok"}


def test_probes_accept_only_get(client):
    assert client.post("/healthz").status_code == 405
