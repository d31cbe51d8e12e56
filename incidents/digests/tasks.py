"""Celery tasks of digests: thin wrappers around incidents.digests.sending.

Beat runs ``digests_dispatch`` every few minutes: it claims the digests that fell due and queues
their sending in batches once the claims are committed. ``deliveries_sweep`` re-queues what a
retry or a dead worker left (the work is in the database; a lost message loses nothing).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from incidents.digests.sending import (
    BATCH,
    SEND_LEASE,
    deliveries_claim,
    deliveries_overdue,
    deliveries_send,
    subscriptions_due,
)

# A dispatch's messages are stale past this: the sweeper sends what they carried.
SEND_EXPIRES = int(SEND_LEASE.total_seconds())


@shared_task(name="digests.dispatch", ignore_result=True)
def digests_dispatch() -> int:
    """Claim every digest due now and queue its sending; several at once claim each once."""
    claimed = deliveries_claim(subscriptions_due(now=timezone.now()), now=timezone.now())
    _queue(claimed)
    return len(claimed)


@shared_task(
    name="digests.send",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
    # An SMTP timeout (EMAIL_TIMEOUT) bounds each command; this bounds a batch of them.
    soft_time_limit=int(SEND_LEASE.total_seconds()) - 60,
    time_limit=int(SEND_LEASE.total_seconds()),
)
def digests_send(delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of claimed digests (a delivery sent or held already is skipped)."""
    report = deliveries_send(delivery_ids)
    return {name: len(getattr(report, name)) for name in ("sent", "empty", "retry", "failed")}


@shared_task(name="digests.sweep", ignore_result=True)
def deliveries_sweep() -> int:
    """Queue again the digests whose retry time came or whose sender died."""
    overdue = deliveries_overdue(now=timezone.now())
    _queue(overdue)
    return len(overdue)


def _queue(ids: list[int]) -> None:
    def send() -> None:
        for start in range(0, len(ids), BATCH):
            digests_send.apply_async((ids[start : start + BATCH],), expires=SEND_EXPIRES)

    transaction.on_commit(send)
