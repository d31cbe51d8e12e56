"""Request ids (in the response, the logs, and the tasks a request queues), JSON logs, and the
/metrics endpoint."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
import redis
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from incidents.models import Delivery, Feed
from tests.workers import wait_until
from tracker.observability.context import request_id
from tracker.observability.logs import JsonFormatter, RequestIdFilter
from tracker.observability.metrics import task_run_record
from tracker.observability.tasks import HEADER

METRICS_TOKEN = "scrape-token-" + "x" * 32


@pytest.fixture
def json_log():
    """The root logger's lines, as the console handler of LOG_FORMAT=json writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


# --- Request id ---------------------------------------------------------------------------------


def test_a_request_gets_a_new_id_answered_in_x_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_well_formed_incoming_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c21-0001")
    assert response["X-Request-ID"] == "edge-7f3a9c21-0001"


@pytest.mark.parametrize("incoming", ["short", "a b c d e f g h", "x" * 129, 'id"\n{"level"'])
def test_a_malformed_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_log_lines_of_a_request_are_json_objects_carrying_its_id(client, json_log):
    response = client.get("/no-such-page", HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 404
    [line] = [entry for entry in json_log() if entry["logger"] == "django.request"]
    assert line["request_id"] == "req-0123456789"
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no-such-page"
    assert line["status_code"] == 404  # an extra of the record
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_json_lines_carry_extras_and_exceptions_and_no_id_outside_a_request(json_log):
    logger = logging.getLogger("tests.observability")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed %s", "here", extra={"feed_id": 7})
    [line] = [entry for entry in json_log() if entry["logger"] == "tests.observability"]
    assert line["message"] == "failed here"
    assert line["feed_id"] == 7
    assert line["request_id"] is None
    assert "ValueError: boom" in line["exc_info"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_queued_by_a_request_carries_its_id_in_the_message(admin_user):
    """Through Celery's real publish path to the project's Redis broker."""
    feed = Feed.objects.create(url="http://93.184.215.15/rss", name="Example News")
    api = APIClient()
    api.force_authenticate(admin_user)
    marker = "poll-request-" + request_id_suffix()
    response = api.post(f"/api/v1/feeds/{feed.pk}/poll/", HTTP_X_REQUEST_ID=marker)
    assert response.status_code == 202
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        messages = [json.loads(raw) for raw in queue.lrange("celery", 0, -1)]
        ours = [m for m in messages if m["headers"].get(HEADER) == marker]
        assert len(ours) == 1
        assert ours[0]["headers"]["task"] == "ingestion.feed_poll"
    finally:  # nothing consumes this queue in tests: take our message off it
        for raw in queue.lrange("celery", 0, -1):
            if marker.encode() in raw:
                queue.lrem("celery", 0, raw)
        queue.close()


def request_id_suffix() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_logs_a_task_with_the_id_of_the_request_that_queued_it(broker, workers):
    worker = workers("observed", env_extra={"LOG_FORMAT": "json"})
    marker = "task-request-" + request_id_suffix()
    token = request_id.set(marker)  # as RequestIdMiddleware does around a view
    try:
        broker.send("ingestion.feeds_dispatch")
    finally:
        request_id.reset(token)

    def logged() -> list[dict]:
        lines = [line for line in worker.output().splitlines() if line.startswith("{")]
        return [entry for entry in map(json.loads, lines) if entry["request_id"] == marker]

    wait_until(lambda: any("succeeded" in e["message"] for e in logged()), "the task's log")
    assert {entry["level"] for entry in logged()} <= {"INFO", "DEBUG"}


# --- Metrics ------------------------------------------------------------------------------------


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = METRICS_TOKEN
    return METRICS_TOKEN


@pytest.mark.django_db
def test_metrics_refuse_anonymous_readers_with_401(client, metrics_token):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"vcwatch_" not in response.content


@pytest.mark.django_db
def test_metrics_refuse_a_wrong_token_with_401(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "y" * 45)
    assert response.status_code == 401


@pytest.mark.django_db
def test_metrics_refuse_any_token_when_none_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_metrics_refuse_a_logged_in_analyst_with_403(client, analyst):
    client.force_login(analyst)
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_metrics_answer_a_logged_in_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_metrics_count_requests_tasks_feeds_and_digests(client, metrics_token):
    task_run_record(task="tests.metrics_probe", state="FAILURE", seconds=0.2)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {metrics_token}"}
    before = _samples(client.get("/metrics", **auth).content.decode())

    Feed.objects.create(url="http://93.184.215.15/rss", name="On", enabled=True)
    Feed.objects.create(url="http://93.184.215.16/rss", name="Off", enabled=False)
    client.get("/healthz")
    task_run_record(task="tests.metrics_probe", state="SUCCESS", seconds=0.02)
    response = client.get("/metrics", **auth)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    after = _samples(response.content.decode())

    def grew(name: str, **labels: str) -> float:
        return after[_key(name, labels)] - before.get(_key(name, labels), 0)

    assert grew("vcwatch_http_requests_total", method="GET", view="healthz", status="200") == 1
    assert grew("vcwatch_http_request_duration_seconds_count", method="GET", view="healthz") == 1
    probe = {"task": "tests.metrics_probe"}
    assert grew("vcwatch_celery_task_runs_total", state="success", **probe) == 1
    assert grew("vcwatch_celery_task_failures_total", **probe) == 0
    assert after[_key("vcwatch_celery_task_failures_total", probe)] >= 1
    assert grew("vcwatch_celery_task_duration_seconds_count", **probe) == 1
    assert grew("vcwatch_celery_task_duration_seconds_bucket", le="0.025", **probe) == 1
    assert grew("vcwatch_celery_task_duration_seconds_bucket", le="0.01", **probe) == 0
    assert grew("vcwatch_feeds", health="new") == 1
    assert grew("vcwatch_feeds", health="disabled") == 1
    assert grew("vcwatch_feeds", health="failing") == 0
    for status in Delivery.Status.values:
        assert after[_key("vcwatch_digest_deliveries", {"status": status})] == 0


def _key(name: str, labels: dict[str, str]) -> tuple:
    return (name, frozenset(labels.items()))


def _samples(text: str) -> dict[tuple, float]:
    return {
        _key(sample.name, sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
