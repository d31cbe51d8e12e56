"""Sending digests exactly once per subscriber and period.

1. Claim: in one transaction per batch, the subscriptions' rows are locked, each one's window is
   fixed (from the end of its previous digest's window to the moment its period fell due) and a
   Delivery row is inserted; the unique key (subscription, frequency, period) refuses a second
   claim, so two jobs at once claim each digest once.
2. Send: a batch of claimed deliveries is taken by a conditional update (a lease), their digests
   built together (a constant number of queries) and sent over one SMTP connection, each with a
   Message-ID fixed by subscriber and period, by the courier (``incidents.digests.courier``)
   while the next batch is built. Sent is recorded after the server accepted.
3. A temporary failure (4xx, a timeout, a dropped connection) leaves the delivery to be tried
   again later with backoff; a permanent one (5xx) marks it failed, shown in the admin, never
   retried. A worker that dies mid-send leaves its lease to lapse: the sweeper sends it again.

The one window no protocol closes: the server accepted the message but the reply, or the
worker, was lost before the delivery was marked sent. The retry then sends it a second time,
with the same Message-ID, which lets mail clients and archives drop the copy.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from incidents.digests.content import digests_build
from incidents.digests.courier import Courier
from incidents.digests.periods import (
    LENGTH,
    Period,
    period_current,
    period_running,
    window_start_first,
)
from incidents.digests.render import digest_message, message_id_for
from incidents.models import Delivery, DigestFrequency, Subscription

# A batch is claimed, built and sent together: its queries do not grow with its size.
BATCH = 200
# A send holds its deliveries this long; past it, the worker is taken for dead.
SEND_LEASE = dt.timedelta(minutes=10)
# Temporary failures are retried after RETRY_BASE * 2^(attempt-1), at most MAX_ATTEMPTS times.
RETRY_BASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 8


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)  # temporary failure: tried again later
    failed: list[int] = field(default_factory=list)  # permanent failure, or retries ran out
    skipped: list[int] = field(default_factory=list)  # held by another send, or done already


def subscriptions_due(
    *, now: dt.datetime, frequency: DigestFrequency | None = None, force: bool = False
) -> list[tuple[Subscription, Period]]:
    """Subscriptions whose digest for their current period is not claimed yet.

    Without ``force``, the period must have fallen due (the subscriber's hour, in their zone),
    at most one period ago, and after they subscribed (a new subscriber's first digest comes at
    their next hour). With ``force`` (``send_digests``), the period running now counts,
    whatever the hour.
    """
    subscriptions = Subscription.objects.exclude(frequency=DigestFrequency.OFF).select_related(
        "user"
    )
    if frequency is not None:
        subscriptions = subscriptions.filter(frequency=frequency)
    subscriptions = subscriptions.filter(user__is_active=True).exclude(user__email="")
    found: list[tuple[Subscription, Period]] = []
    for subscription in subscriptions.order_by("pk"):
        period = period_running(subscription, now) if force else period_current(subscription, now)
        if period is None:
            continue
        if not force and (
            now - period.due_at >= LENGTH[period.frequency]
            or period.due_at < subscription.created_at
        ):
            continue
        found.append((subscription, period))
    if not found:
        return []
    claimed = set(
        Delivery.objects.filter(
            subscription__in=[s.pk for s, _ in found],
            period__gte=min(p.period for _, p in found),
        ).values_list("subscription_id", "frequency", "period")
    )
    return [(s, p) for s, p in found if (s.pk, p.frequency, p.period) not in claimed]


def deliveries_claim(due: Sequence[tuple[Subscription, Period]], *, now: dt.datetime) -> list[int]:
    """Claim the digests of ``due`` (in batches); the ids of the deliveries this call claimed.

    Safe to run twice at once: the subscriptions are locked for the batch, and a period claimed
    already is skipped by the database.
    """
    claimed: list[int] = []
    for start in range(0, len(due), BATCH):
        claimed += _claim_batch(due[start : start + BATCH], now=now)
    return claimed


def _claim_batch(batch: Sequence[tuple[Subscription, Period]], *, now: dt.datetime) -> list[int]:
    ids = [s.pk for s, _ in batch]
    with transaction.atomic():
        # Every claim locks its subscriptions first: a second claim of the same ones waits,
        # then finds the periods taken and the windows moved on.
        list(Subscription.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
        deliveries = Delivery.objects.filter(subscription__in=ids)
        ends = dict(
            deliveries.values("subscription")
            .annotate(end=Max("window_end"))
            .values_list("subscription", "end")
        )
        taken = set(
            deliveries.filter(period__gte=min(p.period for _, p in batch)).values_list(
                "subscription_id", "frequency", "period"
            )
        )
        claims = []
        for subscription, period in batch:
            if (subscription.pk, period.frequency, period.period) in taken:
                continue
            start = ends.get(subscription.pk) or window_start_first(period)
            end = min(period.due_at, now)
            if start >= end:
                continue  # this stretch went out already (the hour or the frequency changed)
            claims.append(
                Delivery(
                    subscription=subscription,
                    frequency=period.frequency,
                    period=period.period,
                    window_start=start,
                    window_end=end,
                    message_id=message_id_for(
                        subscription.pk, period.period, period.frequency.value
                    ),
                    recipient=subscription.user.email,
                    next_attempt_at=now,
                )
            )
        return [delivery.pk for delivery in Delivery.objects.bulk_create(claims)]


def deliveries_send(ids: Iterable[int], *, now: dt.datetime | None = None) -> SendReport:
    """Send the claimed deliveries of ``ids`` that are due, in batches, over one SMTP connection.

    Each batch is leased, built and rendered here while the courier (a forked process) sends
    what was rendered before; a batch's outcomes are recorded once the courier is done with it.
    """
    report = SendReport()
    ids = list(ids)
    pending: list[_Batch] = []
    with Courier() as courier:
        try:
            for start in range(0, len(ids), BATCH):
                batch = _batch_take(ids[start : start + BATCH], report, now=now or timezone.now())
                if batch is None:
                    continue
                pending.append(batch)
                _batch_submit(batch, courier)
                while len(pending) > 1:
                    _batch_record(pending.pop(0), courier, report)
        except BaseException:
            courier.abort()  # what was sent is recorded below, the rest waits for a retry
            raise
        finally:
            while pending:
                _batch_record(pending.pop(0), courier, report)
    return report


def deliveries_overdue(*, now: dt.datetime, limit: int = 10_000) -> list[int]:
    """Deliveries still to send whose time has come: a retry's, or a lapsed lease's."""
    return list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass
class _Batch:
    number: int
    taken: list[Delivery]
    now: dt.datetime
    outcomes: dict[str, list[int]] = field(
        default_factory=lambda: {"sent": [], "empty": [], "retry": [], "failed": []}
    )
    summaries: dict[int, dict] = field(default_factory=dict)


def _batch_take(ids: list[int], report: SendReport, *, now: dt.datetime) -> _Batch | None:
    """Lease the deliveries of ``ids`` still to send and not held by another send."""
    with transaction.atomic():
        taken = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, status=Delivery.Status.SENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .select_related("subscription__user")
            .order_by("pk")
        )
        Delivery.objects.filter(pk__in=[d.pk for d in taken]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE
        )
    report.skipped += sorted(set(ids) - {d.pk for d in taken})
    if not taken:
        return None
    return _Batch(number=taken[0].pk, taken=taken, now=now)


def _batch_submit(batch: _Batch, courier: Courier) -> None:
    """Build the batch's digests and hand their mails to the courier (not the empty ones)."""
    courier.batch_open(batch.number)
    try:
        windows = [(d.subscription, d.window_start, d.window_end) for d in batch.taken]
        digests = digests_build(windows)
        for delivery, digest in zip(batch.taken, digests, strict=True):
            batch.summaries[delivery.pk] = digest.counts
            if digest.empty:
                batch.outcomes["empty"].append(delivery.pk)
                continue
            message = digest_message(
                digest, subscription=delivery.subscription, message_id=delivery.message_id
            )
            courier.submit(batch.number, delivery.pk, message)
    finally:
        courier.batch_close(batch.number)


def _batch_record(batch: _Batch, courier: Courier, report: SendReport) -> None:
    """Wait for the courier to be done with ``batch``, then record each outcome."""
    attempts = {d.pk: d.attempts + 1 for d in batch.taken}
    errors: dict[int, str] = {}
    for outcome in courier.outcomes(batch.number):
        if outcome.error is None:
            batch.outcomes["sent"].append(outcome.key)
            continue
        errors[outcome.key] = _describe(outcome.error)
        if not outcome.tried:
            kind = "retry"  # the connection was not there: this mail was never offered
        elif not _transient(outcome.error):
            kind = "failed"
        else:
            kind = "retry" if attempts[outcome.key] < MAX_ATTEMPTS else "failed"
        batch.outcomes[kind].append(outcome.key)
    _record(batch.outcomes, errors, batch.summaries, batch.taken, now=batch.now)
    for name, keys in batch.outcomes.items():
        getattr(report, name).extend(keys)


def _record(
    outcomes: dict[str, list[int]],
    errors: dict[int, str],
    summaries: dict[int, dict],
    taken: list[Delivery],
    *,
    now: dt.datetime,
) -> None:
    """Record each outcome: one update per kind of outcome, plus one per failure. Retries are
    timed from ``now``, the job's clock."""
    attempts = {d.pk: d.attempts + 1 for d in taken}
    with transaction.atomic():
        deliveries = Delivery.objects.filter(status=Delivery.Status.SENDING)
        deliveries.filter(pk__in=outcomes["sent"]).update(
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
            next_attempt_at=None,
            last_error="",
        )
        deliveries.filter(pk__in=outcomes["empty"]).update(
            status=Delivery.Status.EMPTY, next_attempt_at=None
        )
        for pk in outcomes["failed"]:
            deliveries.filter(pk=pk).update(
                status=Delivery.Status.FAILED, next_attempt_at=None, last_error=errors[pk]
            )
        for pk in outcomes["retry"]:
            delay = RETRY_BASE * 2 ** (attempts[pk] - 1)
            deliveries.filter(pk=pk).update(next_attempt_at=now + delay, last_error=errors[pk])
        _summaries_store(summaries)


def _summaries_store(summaries: dict[int, dict]) -> None:
    """The counts of each digest, for the admin, in one statement."""
    Delivery.objects.bulk_update(
        [Delivery(pk=pk, summary=counts) for pk, counts in summaries.items()], ["summary"]
    )


def _transient(error: BaseException) -> bool:
    """Whether trying again later may succeed: 4xx replies, timeouts, dropped connections."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"SMTP {error.smtp_code}: {text}"[:1000]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: SMTP {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in error.recipients.items()
        )[:1000]
    return f"{type(error).__name__}: {error}"[:1000]


def windows_next(
    subscriptions: Sequence[Subscription], now: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The window each subscriber's next digest would cover if it were sent now (previews, the
    dry run): from the end of their last one, or one period back; one query for them all."""
    ends = dict(
        Delivery.objects.filter(subscription__in=[s.pk for s in subscriptions])
        .values("subscription")
        .annotate(end=Max("window_end"))
        .values_list("subscription", "end")
    )
    windows = []
    for subscription in subscriptions:
        start = ends.get(subscription.pk)
        if start is None:
            frequency = DigestFrequency(subscription.frequency)
            start = now - LENGTH.get(frequency, LENGTH[DigestFrequency.DAILY])
        windows.append((start, max(now, start + dt.timedelta(seconds=1))))
    return windows


def window_next(subscription: Subscription, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``windows_next`` of one subscriber."""
    return windows_next([subscription], now)[0]
