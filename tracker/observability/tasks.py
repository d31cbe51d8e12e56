"""Celery signal handlers: a task carries the request id of the request that queued it, and
every run is counted (see ``metrics``). Connected by tracker/celery.py."""

from __future__ import annotations

import time
from contextlib import suppress
from contextvars import Token
from typing import Any

from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun

from tracker.observability.context import request_id, request_id_get
from tracker.observability.metrics import task_run_record

# The message header that carries the id from the web process to the worker.
HEADER = "vcwatch_request_id"

# Per running task id (a worker's pool process runs one task at a time; threads, several).
_started: dict[str, tuple[float, Token[str | None]]] = {}


@before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Puts the current request id (if any) into the message headers of a task being queued."""
    current = request_id_get()
    if current and headers is not None:
        headers.setdefault(HEADER, current)


@task_prerun.connect
def _enter_task(task_id: str, task: Task, **kwargs: Any) -> None:
    # Custom headers arrive as attributes of the task's request (Celery's protocol 2).
    # A task run in-process (eager) has no message: it keeps the id of the code that ran it.
    carried = getattr(task.request, HEADER, None) or request_id_get()
    _started[task_id] = (time.perf_counter(), request_id.set(carried))


@task_postrun.connect
def _leave_task(task_id: str, task: Task, state: str | None = None, **kwargs: Any) -> None:
    started, token = _started.pop(task_id, (None, None))
    if token is not None:
        with suppress(ValueError):  # set in another context (a pool that switches them)
            request_id.reset(token)
    seconds = None if started is None else time.perf_counter() - started
    task_run_record(task=task.name, state=state or "unknown", seconds=seconds)
