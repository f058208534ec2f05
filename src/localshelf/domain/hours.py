"""Opening hours and time zones of a store.

Hours map a weekday key (mon..sun) to a list of [open, close] pairs in 24-hour
"HH:MM"; an empty list means closed that day and a missing day means unknown.
A close earlier than its open runs past midnight ("18:00"-"02:00"); "24:00" is allowed
as a closing time.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from localshelf.domain.errors import ErrorCode, InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS_PER_DAY = 6
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, ErrorCode.INVALID_OPENING_HOURS)


def validate_opening_hours(hours: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        raise _bad(f"Unknown weekday key(s) {unknown}: use {', '.join(WEEKDAYS)}.")
    for day in WEEKDAYS:
        intervals = hours.get(day)
        if intervals is None:
            continue
        if len(intervals) > MAX_INTERVALS_PER_DAY:
            raise _bad(f"{day}: at most {MAX_INTERVALS_PER_DAY} opening intervals.")
        for interval in intervals:
            if len(interval) != 2 or not all(isinstance(t, str) and _TIME.match(t) for t in interval):
                raise _bad(f"{day}: each interval is [open, close] in 24-hour 'HH:MM', got {interval!r:.40}.")
            if interval[0] == interval[1] or interval[0] == "24:00":
                raise _bad(f"{day}: interval {interval} is empty or starts at 24:00.")
    return {day: [list(i) for i in hours[day]] for day in WEEKDAYS if day in hours}


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{name!r:.40} is not an IANA time zone (e.g. 'America/Los_Angeles').", ErrorCode.INVALID_TIMEZONE
        ) from None
    if name not in available_timezones():
        raise InvalidInput(f"{name!r:.40} is not an IANA time zone.", ErrorCode.INVALID_TIMEZONE)
    return name
