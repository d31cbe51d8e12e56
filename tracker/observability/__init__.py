"""Logs, request ids and metrics: what an operator reads to see what the tracker is doing.

- ``context``: the request id of the work in progress (a request, or a task it queued).
- ``logs``: the logging filter and the JSON formatter that put it on every line.
- ``metrics``: counters kept in Redis, shared by every process, and what a scrape reads.
- ``endpoint``: the /metrics view and who may read it.
- ``tasks``: the Celery signal handlers that carry the id into tasks and count task runs.
"""
