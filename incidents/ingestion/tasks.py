"""Celery tasks of ingestion: thin wrappers that take ids and call the services.

Beat runs ``feeds_dispatch`` and ``entries_sweep`` (schedules in the admin, django-celery-beat).
Nothing depends on a message arriving: a feed taken by the dispatcher whose poll message is lost
is due again when its lease lapses, and an entry whose message is lost is re-queued by the
sweeper; both services claim their row before working, so a message delivered twice does nothing
the second time.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from incidents.ingestion.entries import entries_process, entries_requeue, entry_batches
from incidents.ingestion.polling import LEASE, QUEUED_GRACE, feed_poll, feeds_take_due

# Messages of a dispatch older than this are stale: the feed is due again by then anyway.
DISPATCH_EXPIRES = int(LEASE.total_seconds())

# Retries of a task whose database was unreachable (the work itself is recorded in the database).
TRANSIENT = (OperationalError,)
# The tasks that do the work: acknowledged once done (redelivered if the worker dies), retried
# with backoff and jitter, bounded in time.
WORK = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": 120,
    "time_limit": 180,
}


@shared_task(name="ingestion.feeds_dispatch", ignore_result=True)
def feeds_dispatch() -> int:
    """Queue one poll per due feed; several dispatchers at once take disjoint feeds."""
    due = feeds_take_due()
    for feed_id in due:
        feed_poll_task.apply_async((feed_id,), expires=DISPATCH_EXPIRES)
    return len(due)


@shared_task(name="ingestion.feed_poll", **WORK)
def feed_poll_task(feed_id: int) -> None:
    """Poll one feed, then queue its new entries."""
    report = feed_poll(feed_id=feed_id)
    for batch in entry_batches(report.new_entries):
        entries_process_task.delay(batch)


@shared_task(name="ingestion.entries_process", **WORK)
def entries_process_task(entry_ids: list[int]) -> None:
    """Make entries articles (a second delivery finds them claimed or done)."""
    entries_process(entry_ids=entry_ids)


@shared_task(name="ingestion.entries_sweep", ignore_result=True)
def entries_sweep() -> int:
    """Queue again the entries whose work is overdue (a lost message, a worker that died, a
    retry's time come)."""
    due = entries_requeue(grace=QUEUED_GRACE)
    for batch in entry_batches(due):
        entries_process_task.apply_async((batch,), expires=DISPATCH_EXPIRES)
    return len(due)
