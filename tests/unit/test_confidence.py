from datetime import UTC, datetime, timedelta, timezone

import pytest

from localshelf.domain.confidence import (
    CONFIRMED_WITHIN,
    LIKELY_WITHIN,
    Confidence,
    as_utc,
    confidence_for,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), Confidence.CONFIRMED),
        (timedelta(minutes=59), Confidence.CONFIRMED),
        (CONFIRMED_WITHIN, Confidence.CONFIRMED),
        (CONFIRMED_WITHIN + TICK, Confidence.LIKELY),
        (timedelta(hours=12), Confidence.LIKELY),
        (LIKELY_WITHIN, Confidence.LIKELY),
        (LIKELY_WITHIN + TICK, Confidence.UNCERTAIN),
        (timedelta(days=400), Confidence.UNCERTAIN),
    ],
)
def test_confidence_falls_with_the_age_of_the_last_sync(age: timedelta, expected: Confidence) -> None:
    assert confidence_for(NOW - age, NOW) is expected


def test_thresholds_are_one_hour_and_one_day() -> None:
    assert CONFIRMED_WITHIN.total_seconds() == 3600
    assert LIKELY_WITHIN.total_seconds() == 24 * 3600


def test_never_synced_is_unknown() -> None:
    assert confidence_for(None, NOW) is Confidence.UNKNOWN


@pytest.mark.parametrize("ahead", [TICK, timedelta(minutes=5), timedelta(days=3)])
def test_sync_in_the_future_from_clock_skew_counts_as_confirmed(ahead: timedelta) -> None:
    assert confidence_for(NOW + ahead, NOW) is Confidence.CONFIRMED


def test_naive_timestamps_are_read_as_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    assert confidence_for(naive_now - timedelta(hours=2), NOW) is Confidence.LIKELY
    assert confidence_for(NOW - timedelta(minutes=30), naive_now) is Confidence.CONFIRMED


def test_timestamps_in_other_zones_are_compared_by_instant() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 20:30 in Tokyo is 11:30 UTC, half an hour before NOW.
    assert confidence_for(datetime(2025, 6, 1, 20, 30, tzinfo=tokyo), NOW) is Confidence.CONFIRMED
    # 06:00 in New York (UTC-4) is 10:00 UTC, two hours before NOW.
    new_york = timezone(timedelta(hours=-4))
    assert confidence_for(datetime(2025, 6, 1, 6, 0, tzinfo=new_york), NOW) is Confidence.LIKELY


def test_confidence_values_are_the_public_strings() -> None:
    assert [c.value for c in Confidence] == ["confirmed", "likely", "uncertain", "unknown"]


def test_as_utc_marks_naive_datetimes_as_utc_without_shifting_them() -> None:
    converted = as_utc(datetime(2025, 1, 2, 3, 4, 5))
    assert converted == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert converted.tzinfo is UTC


def test_as_utc_converts_aware_datetimes_to_utc() -> None:
    converted = as_utc(datetime(2025, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    assert converted.utcoffset() == timedelta(0)
    assert (converted.year, converted.month, converted.day, converted.hour, converted.minute) == (
        2025,
        1,
        1,
        21,
        30,
    )
