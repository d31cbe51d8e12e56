"""Runs a function on untrusted input in a child process that is killed at a deadline.

feedparser backtracks for minutes on some crafted documents, and Python's `re` neither releases
the GIL nor lets a signal handler run while it matches: neither a thread nor an alarm stops it.
Only another process can be stopped, so the function runs in a worker forked from this process,
which stays warm across calls and is started again only after a timeout or a crash.

One worker per process; threads take turns, and each call's `seconds` count from its turn.
Overhead measured on the development machine (2 cores, Django set up, 10,000 calls of a no-op):
45-50 µs a call with the worker warm, plus about 1 µs per KB of argument or result; 5 ms to
kill a worker and fork the next after a timeout or crash.
"""

import contextlib
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any, TypeVar, cast

R = TypeVar("R")

MAX_MESSAGE_CHARS = 300
_MIB = 1024 * 1024


class SandboxError(Exception):
    """The sandboxed call returned no result; str() is one line that says why."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


class SandboxTimeout(SandboxError):
    """The call ran past its deadline; the worker was killed."""


class SandboxCrashed(SandboxError):
    """The worker died during the call, or ran out of the memory it was allowed."""


class SandboxFailed(SandboxError):
    """The function raised; the message names the exception's type."""


def sandbox_call(
    function: Callable[..., R], *args: object, seconds: float, memory_mb: int | None = None
) -> R:
    """Call `function(*args)` in the worker and return its result within `seconds`.

    The function must be a top-level function and args and result must pickle. `memory_mb`
    is address space the call may add to the worker's. Raises a SandboxError subclass.
    """
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    try:
        request = bytes(ForkingPickler.dumps((function, args, memory_mb)))
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        message = f"sandbox_call needs a top-level function and picklable args: {error}"
        raise TypeError(message) from error
    with _lock:
        worker = _worker_get()
        try:
            status, value = worker.call(request, seconds)
        except _Late:
            _worker_stop()
            raise SandboxTimeout(f"took longer than {seconds:g} s") from None
        except (EOFError, OSError):
            raise SandboxCrashed(f"the worker died: {_worker_stop()}") from None
        except BaseException:
            # Interrupted between request and reply (Ctrl-C, Celery's soft time limit): the
            # late reply would answer the next call, so this worker goes.
            _worker_stop()
            raise
        if status == _MEMORY:
            _worker_stop()
            raise SandboxCrashed(f"out of memory (allowed {memory_mb} MB more): {value}")
    if status == _FAILED:
        raise SandboxFailed(value)
    return cast(R, value)


# --- The worker: a forked child serving one call at a time over a pipe --------------------------

_OK, _FAILED, _MEMORY = "ok", "failed", "memory"


class _Late(Exception):
    """No reply by the deadline."""


class _Worker:
    """The child process and this process's end of the pipe to it."""

    def __init__(self) -> None:
        self.connection, child_end = Pipe()
        # os.fork rather than multiprocessing.Process: Celery's pool workers are daemonic, and
        # multiprocessing refuses daemonic processes children; nor should its exit handler in a
        # process forked later terminate a worker that is not that process's own.
        self.pid = os.fork()
        if self.pid == 0:
            try:
                self.connection.close()
                _serve(child_end)
            finally:
                # No atexit handlers, no finalizers: the database and broker connections the
                # child inherited stay untouched, whatever happens here.
                os._exit(0)
        child_end.close()
        self.owner = os.getpid()

    def call(self, request: bytes, seconds: float) -> tuple[str, Any]:
        deadline = time.monotonic() + seconds
        self.connection.send_bytes(request)
        if not self.connection.poll(max(0.0, deadline - time.monotonic())):
            raise _Late
        reply: tuple[str, Any] = self.connection.recv()
        return reply

    def alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def stop(self) -> str:
        """Kills the child and reaps it; says how it ended."""
        self.connection.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "already reaped"
        if os.WIFSIGNALED(status):
            return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
        return f"exit status {os.WEXITSTATUS(status)}"


_lock = threading.Lock()
_worker: _Worker | None = None


def _worker_get() -> _Worker:
    global _worker
    if _worker is not None and not _worker.alive():
        _worker_stop()
    if _worker is None:
        _worker = _Worker()
    return _worker


def _worker_stop() -> str:
    global _worker
    worker, _worker = _worker, None
    return worker.stop() if worker is not None else "no worker"


def _after_fork_in_child() -> None:
    # A forked process (a Celery pool worker, or the sandbox worker itself) must not share its
    # parent's worker or inherit the lock held at fork time: it starts its own when it needs one.
    global _lock, _worker
    _lock = threading.Lock()
    if _worker is not None and _worker.owner != os.getpid():
        _worker.connection.close()
        _worker = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def _serve(connection: Connection) -> None:
    """The child's loop: one request, one reply, until the parent closes its end."""
    # The parent decides when the worker ends: Ctrl-C in a terminal reaches the whole process
    # group, and the inherited SIGTERM handler may be Celery's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    limits = resource.getrlimit(resource.RLIMIT_AS)
    while True:
        try:
            function, args, memory_mb = connection.recv()
        except EOFError:
            return
        except Exception as error:  # noqa: BLE001 - a function this process cannot import
            connection.send((_FAILED, _error_line(error)))
            continue
        try:
            _memory_limit(memory_mb, limits)
            reply: tuple[str, Any] = (_OK, function(*args))
        except MemoryError as error:
            reply = (_MEMORY, _error_line(error))
        except BaseException as error:  # noqa: BLE001 - SystemExit too must come back as a reply
            reply = (_FAILED, _error_line(error))
        finally:
            resource.setrlimit(resource.RLIMIT_AS, limits)
        try:
            connection.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            connection.send((_FAILED, f"the result does not pickle: {_error_line(error)}"))
        if reply[0] == _MEMORY:
            return  # a MemoryError may leave any state half-built: start afresh


def _memory_limit(memory_mb: int | None, limits: tuple[int, int]) -> None:
    if memory_mb is None:
        return
    # RLIMIT_AS counts address space, and the fork already maps everything the parent had
    # loaded (Django, models): the limit is what the call may add to that.
    limit = _address_space() + memory_mb * _MIB
    hard = limits[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _error_line(error: BaseException) -> str:
    return _one_line(f"{type(error).__name__}: {error}")


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1] + "…"
    return line
