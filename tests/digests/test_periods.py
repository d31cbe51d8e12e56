"""When a digest is due, in the subscriber's own time zone, across clock changes."""

import datetime as dt

import pytest

from incidents.digests.periods import period_current, period_running, window_start_first
from incidents.models import DigestFrequency, Subscription

UTC = dt.UTC


def _subscription(frequency=DigestFrequency.DAILY, hour=7, weekday=0, zone="UTC"):
    return Subscription(
        frequency=frequency, delivery_hour=hour, delivery_weekday=weekday, time_zone=zone
    )


def test_a_daily_digest_falls_due_at_the_local_hour():
    amsterdam = _subscription(hour=7, zone="Europe/Amsterdam")
    # 06:30 UTC on 25 November is 07:30 in Amsterdam (UTC+1): today's is due, since 06:00 UTC.
    period = period_current(amsterdam, dt.datetime(2026, 11, 25, 6, 30, tzinfo=UTC))
    assert period.period == dt.date(2026, 11, 25)
    assert period.due_at == dt.datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    # 05:30 UTC is 06:30 there: the latest due is yesterday's.
    period = period_current(amsterdam, dt.datetime(2026, 11, 25, 5, 30, tzinfo=UTC))
    assert period.period == dt.date(2026, 11, 24)


def test_a_zone_ahead_of_utc_is_on_its_own_date():
    tokyo = _subscription(hour=8, zone="Asia/Tokyo")
    # 23:30 UTC on the 24th is 08:30 on the 25th in Tokyo.
    period = period_current(tokyo, dt.datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    assert period.period == dt.date(2026, 11, 25)
    assert period.due_at == dt.datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def test_a_weekly_digest_falls_due_on_its_weekday():
    weekly = _subscription(DigestFrequency.WEEKLY, hour=9, weekday=4)  # Fridays at 09:00
    # Wednesday 25 November 2026: the latest due was Friday the 20th.
    period = period_current(weekly, dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    assert period.period == dt.date(2026, 11, 20)
    assert period.due_at == dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert window_start_first(period) == dt.datetime(2026, 11, 13, 9, 0, tzinfo=UTC)
    # Friday the 27th at 08:59: still the 20th's; at 09:00 the 27th's.
    assert period_current(weekly, dt.datetime(2026, 11, 27, 8, 59, tzinfo=UTC)).period == (
        dt.date(2026, 11, 20)
    )
    assert period_current(weekly, dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)).period == (
        dt.date(2026, 11, 27)
    )


def test_an_hour_skipped_by_the_clock_change_falls_after_the_gap():
    # 29 March 2026, Amsterdam: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    night = _subscription(hour=2, zone="Europe/Amsterdam")
    period = period_current(night, dt.datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert period.period == dt.date(2026, 3, 29)
    assert period.due_at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_an_hour_that_happens_twice_is_its_first_occurrence():
    # 25 October 2026, Amsterdam: 03:00 CEST falls back to 02:00 CET; 02:00 happens twice.
    night = _subscription(hour=2, zone="Europe/Amsterdam")
    period = period_current(night, dt.datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    assert period.due_at == dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST


@pytest.mark.parametrize("period_of", [period_current, period_running])
def test_an_unsubscribed_user_has_no_period(period_of):
    off = _subscription(DigestFrequency.OFF)
    assert period_of(off, dt.datetime(2026, 11, 25, tzinfo=UTC)) is None


def test_the_running_period_is_due_now_whatever_the_hour():
    late = _subscription(hour=23, zone="America/New_York")
    now = dt.datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York
    period = period_running(late, now)
    assert period.period == dt.date(2026, 11, 25)
    assert period.due_at == now
