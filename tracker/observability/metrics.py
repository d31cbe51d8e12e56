"""Prometheus metrics that are right across processes and hosts.

Web requests are counted by every gunicorn worker and task runs by every Celery worker, each
a process of its own, often on several containers. So the counters live in Redis (the one
REDIS_URL all of them share): each request or task adds to them with one pipelined HINCRBY
round trip, and a scrape of any web process reads the totals. Feed health and digest
deliveries are states, not events: they are counted in PostgreSQL at scrape time.
prometheus_client only writes the exposition format.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import cast

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

logger = logging.getLogger(__name__)

KEY_PREFIX = "vcwatch:metrics:"
HTTP_REQUESTS = KEY_PREFIX + "http_requests"
HTTP_DURATION = KEY_PREFIX + "http_duration"
TASK_RUNS = KEY_PREFIX + "task_runs"
TASK_DURATION = KEY_PREFIX + "task_duration"
# Upper bounds in seconds, prometheus_client's defaults: a page is ms, a feed poll seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
_SEP = "|"  # between label values in a hash field; no view, task or state name holds one
# Any other method a client sends is counted as "other": labels must stay a bounded set.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@cache
def _redis() -> redis.Redis:
    # Short timeouts: a slow Redis must not hold up a request for the sake of a counter.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


def _field(*labels: str) -> str:
    return _SEP.join(labels)


def _observe(
    pipe: redis.client.Pipeline, key: str, labels: tuple[str, ...], seconds: float
) -> None:
    bucket = next((str(bound) for bound in BUCKETS if seconds <= bound), "+Inf")
    pipe.hincrby(key, _field(*labels, bucket), 1)
    pipe.hincrbyfloat(key, _field(*labels, "sum"), seconds)
    pipe.hincrby(key, _field(*labels, "count"), 1)


def _record(write: Callable[[redis.client.Pipeline], None]) -> None:
    """Runs ``write`` on a pipeline; a metric lost to a Redis failure never fails the work."""
    try:
        pipe = _redis().pipeline(transaction=False)
        write(pipe)
        pipe.execute()
    except redis.RedisError:
        logger.debug("metrics: Redis unreachable, a sample was dropped", exc_info=True)


def http_request_record(*, method: str, view: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"

    def write(pipe: redis.client.Pipeline) -> None:
        pipe.hincrby(HTTP_REQUESTS, _field(method, view, str(status)), 1)
        _observe(pipe, HTTP_DURATION, (method, view), seconds)

    _record(write)


def task_run_record(*, task: str, state: str, seconds: float | None) -> None:
    def write(pipe: redis.client.Pipeline) -> None:
        pipe.hincrby(TASK_RUNS, _field(task, state.lower()), 1)
        if seconds is not None:
            _observe(pipe, TASK_DURATION, (task,), seconds)

    _record(write)


class RequestMetricsMiddleware:
    """Counts every request by method, view and status, and times it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        http_request_record(
            method=request.method or "",
            view=self._view(request),
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response

    def _view(self, request: HttpRequest) -> str:
        # The URL pattern's name, not the path: one series per view, whatever the ids.
        if request.resolver_match is not None:
            return request.resolver_match.view_name or "unnamed"
        return "static" if request.path.startswith(self.static_prefix) else "unmatched"


# --- Scrape ------------------------------------------------------------------------------------


def _read(key: str) -> dict[tuple[str, ...], float]:
    fields = cast(dict[bytes, bytes], _redis().hgetall(key))  # a sync client: never awaitable
    return {tuple(field.decode().split(_SEP)): float(value) for field, value in fields.items()}


def _counter(name: str, doc: str, labels: list[str], key: str) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for values, count in sorted(_read(key).items()):
        family.add_metric(list(values), count)
    return family


def _histogram(name: str, doc: str, labels: list[str], key: str) -> HistogramMetricFamily:
    """Redis holds a count per bucket; Prometheus wants them cumulative, with +Inf."""
    series: dict[tuple[str, ...], dict[str, float]] = {}
    for values, number in _read(key).items():
        series.setdefault(values[:-1], {})[values[-1]] = number
    family = HistogramMetricFamily(name, doc, labels=labels)
    for values, numbers in sorted(series.items()):
        cumulative, buckets = 0.0, []
        for bound in (*map(str, BUCKETS), "+Inf"):
            cumulative += numbers.get(bound, 0)
            buckets.append((bound, cumulative))
        family.add_metric(list(values), buckets, sum_value=numbers.get("sum", 0))
    return family


def _gauge(name: str, doc: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for value, count in counts.items():
        family.add_metric([value], count)
    return family


class TrackerCollector:
    """Every vcwatch metric, read when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        from incidents.selectors import delivery_status_counts, feed_health_counts

        yield _counter(
            "vcwatch_http_requests",
            "HTTP requests answered, by method, view and status.",
            ["method", "view", "status"],
            HTTP_REQUESTS,
        )
        yield _histogram(
            "vcwatch_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and view.",
            ["method", "view"],
            HTTP_DURATION,
        )
        runs = _counter(
            "vcwatch_celery_task_runs",
            "Celery task runs, by task and final state (success, failure, retry, ...).",
            ["task", "state"],
            TASK_RUNS,
        )
        yield runs
        failures = CounterMetricFamily(
            "vcwatch_celery_task_failures",
            "Celery task runs that failed, by task.",
            labels=["task"],
        )
        for sample in runs.samples:
            if sample.name.endswith("_total") and sample.labels["state"] == "failure":
                failures.add_metric([sample.labels["task"]], sample.value)
        yield failures
        yield _histogram(
            "vcwatch_celery_task_duration_seconds",
            "Time a Celery task ran, by task.",
            ["task"],
            TASK_DURATION,
        )
        yield _gauge("vcwatch_feeds", "Feeds in each health state.", "health", feed_health_counts())
        yield _gauge(
            "vcwatch_digest_deliveries",
            "Digest deliveries in each status (sent, failed, sending, empty).",
            "status",
            delivery_status_counts(),
        )
