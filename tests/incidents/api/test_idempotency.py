import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import IdempotencyKey, Incident
from tests.incidents.api.conftest import client_for

URL = "/api/v1/incidents/"
BODY = {"title": "Intruders in a council meeting", "category": "intrusion"}


@pytest.mark.django_db
def test_the_same_key_returns_the_first_result_and_files_once(as_analyst):
    first = as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_a_different_body_with_the_same_key_is_422(as_analyst):
    as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    response = as_analyst.post(URL, {**BODY, "title": "Other"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_user_and_expire_after_a_day(as_analyst, admin_user):
    as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    other = client_for(admin_user).post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 201
    assert other.json()["slug"] == "intruders-in-a-council-meeting-2"
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    later = as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert later.status_code == 201
    assert Incident.objects.count() == 3


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_the_key(as_analyst):
    bad = as_analyst.post(URL, {"title": "x"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201


@pytest.mark.django_db
def test_an_over_long_key_is_400(as_analyst):
    response = as_analyst.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_file_one_incident(analyst):
    barrier, statuses = threading.Barrier(3), []

    def post() -> None:
        client = client_for(analyst)
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [201, 201, 201]
    assert Incident.objects.count() == 1
