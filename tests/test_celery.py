"""A real Celery worker starts with the project's configuration and answers on the broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

from tracker.celery import app

ROOT = Path(__file__).resolve().parents[1]


def test_a_worker_starts_and_answers_a_ping():
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "tracker", "worker"),
            *("--pool", "solo", "--loglevel", "WARNING", "--hostname", "pingtest@%h"),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        replies: list = []
        deadline = time.monotonic() + 60
        while not replies and time.monotonic() < deadline and worker.poll() is None:
            replies = app.control.ping(timeout=1.0)
        assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
        assert any(name.startswith("pingtest@") for reply in replies for name in reply)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
