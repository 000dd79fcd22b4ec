"""Quiet hours and retry backoff: pure functions, fixed clocks."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

import pytest

from notifications.outbox import backoff_delay, quiet_hours_delay

UTC = timezone.utc


def hanoi(y, mo, d, h, mi=0):
    """A Hà Nội wall-clock time as UTC (UTC+7 all year: Vietnam has no daylight saving)."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - timedelta(hours=7)


NIGHT = (time(21, 0), time(7, 0))


@pytest.mark.parametrize("now, expected", [
    (hanoi(2026, 11, 23, 10), hanoi(2026, 11, 23, 10)),       # daytime: at once
    (hanoi(2026, 11, 23, 20, 59), hanoi(2026, 11, 23, 20, 59)),
    (hanoi(2026, 11, 23, 21), hanoi(2026, 11, 24, 7)),        # start is quiet
    (hanoi(2026, 11, 23, 23, 30), hanoi(2026, 11, 24, 7)),    # before midnight: next morning
    (hanoi(2026, 11, 24, 2), hanoi(2026, 11, 24, 7)),         # after midnight: same morning
    (hanoi(2026, 11, 24, 7), hanoi(2026, 11, 24, 7)),         # end is allowed
    (hanoi(2026, 12, 31, 22), hanoi(2027, 1, 1, 7)),          # across the year
])
def test_quiet_hours_wrapping_midnight(now, expected):
    got = quiet_hours_delay(now, *NIGHT)
    assert got == expected
    assert got.utcoffset() == timedelta(0)


def test_quiet_hours_within_one_day():
    lunch = (time(12, 0), time(13, 30))
    assert quiet_hours_delay(hanoi(2026, 11, 23, 12, 15), *lunch) == hanoi(2026, 11, 23, 13, 30)
    assert quiet_hours_delay(hanoi(2026, 11, 23, 11), *lunch) == hanoi(2026, 11, 23, 11)


def test_equal_start_and_end_means_no_quiet_hours():
    now = hanoi(2026, 11, 23, 3)
    assert quiet_hours_delay(now, time(22), time(22)) == now


def test_quiet_hours_refuse_naive_times():
    with pytest.raises(ValueError):
        quiet_hours_delay(datetime(2026, 11, 23, 3), *NIGHT)


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_stays_within_its_exponential_ceiling(attempt):
    rng = random.Random(attempt)
    base, cap = timedelta(seconds=30), timedelta(hours=2)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt, base=base, cap=cap, rng=rng) for _ in range(500)]
    assert all(timedelta(0) <= d <= ceiling for d in delays)
    # Full jitter: spread over the whole range, not bunched at the ceiling.
    assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9


def test_backoff_is_capped_for_huge_attempt_numbers():
    assert backoff_delay(10_000, cap=timedelta(hours=2)) <= timedelta(hours=2)


def test_backoff_counts_attempts_from_one():
    with pytest.raises(ValueError):
        backoff_delay(0)
