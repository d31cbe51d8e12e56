"""Digest periods: when a subscriber's digest is due, in their own time zone, and the window of
changes it covers.

A daily digest's period is a local day: it is due from ``delivery_hour`` that day. A weekly
one's is the week starting on ``delivery_weekday``: due from that day's ``delivery_hour``. The
period is named by that local date; it is the unique key of its delivery. The window of a digest
runs from the end of the subscriber's previous digest's window (or one period back, for the first)
to the moment its period fell due, so consecutive digests neither overlap nor leave a gap, even
when one is sent late or the subscriber changes the hour.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from incidents.models import DigestFrequency, Subscription

LENGTH = {DigestFrequency.DAILY: dt.timedelta(days=1), DigestFrequency.WEEKLY: dt.timedelta(days=7)}


@dataclass(frozen=True)
class Period:
    """A subscriber's current period: its name (a local date) and the instant it fell due."""

    frequency: DigestFrequency
    period: dt.date
    due_at: dt.datetime  # aware, UTC


def period_current(subscription: Subscription, now: dt.datetime) -> Period | None:
    """The latest period of the subscription that has fallen due by ``now`` (None when the
    subscription is off). Whether its digest went out already is the delivery's business."""
    frequency = DigestFrequency(subscription.frequency)
    if frequency == DigestFrequency.OFF:
        return None
    zone = zoneinfo.ZoneInfo(subscription.time_zone)
    local = now.astimezone(zone)
    day = local.date()
    if frequency == DigestFrequency.WEEKLY:
        day -= dt.timedelta(days=(day.weekday() - subscription.delivery_weekday) % 7)
    due_at = _local_instant(day, subscription.delivery_hour, zone)
    if due_at > now:
        day -= LENGTH[frequency]
        due_at = _local_instant(day, subscription.delivery_hour, zone)
    return Period(frequency, day, due_at.astimezone(dt.UTC))


def period_running(subscription: Subscription, now: dt.datetime) -> Period | None:
    """The period ``now`` falls in, by its local date, made due now whatever its hour
    (``send_digests``); None when the subscription is off."""
    frequency = DigestFrequency(subscription.frequency)
    if frequency == DigestFrequency.OFF:
        return None
    day = now.astimezone(zoneinfo.ZoneInfo(subscription.time_zone)).date()
    if frequency == DigestFrequency.WEEKLY:
        day -= dt.timedelta(days=(day.weekday() - subscription.delivery_weekday) % 7)
    return Period(frequency, day, now.astimezone(dt.UTC))


def window_start_first(period: Period) -> dt.datetime:
    """Where the first digest's window starts: one period before it fell due."""
    return period.due_at - LENGTH[period.frequency]


def _local_instant(day: dt.date, hour: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``hour`` o'clock on ``day`` in ``zone``. With fold 0 (PEP 495), an hour skipped by a clock
    change falls after the gap (02:30 becomes 03:30 summer time), and an hour that happens twice
    is its first occurrence."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
