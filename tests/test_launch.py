"""`make test` stops at once, naming the service, when one does not answer."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pytest(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tests_stop_naming_postgresql_when_it_does_not_answer():
    port = _closed_port()
    result = _pytest(DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/vcwatch")
    assert result.returncode == 3
    assert f"PostgreSQL is unreachable at 127.0.0.1:{port} (DATABASE_URL)" in result.stdout


def test_tests_stop_naming_redis_when_it_does_not_answer():
    port = _closed_port()
    result = _pytest(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 3
    assert f"Redis is unreachable at 127.0.0.1:{port} (REDIS_URL)" in result.stdout
