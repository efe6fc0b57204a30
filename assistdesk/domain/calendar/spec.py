"""Plain data -> calendar parameters: a scenario's `calendars` entry (scenarios/FORMAT.md).

```yaml
timezone: Europe/Bucharest
week: {mon: ["08:30-16:30"], ...}     # or "24x7"; days left out are closed
holidays: {country: RO, subdivision: B}  # optional; subdivision optional
closed: ["2026-01-09"]                # optional extra closed dates
open: ["2026-01-10", {date: "2026-01-11", hours: ["09:00-13:00"]}]   # optional
```

Every error is a `SpecError` whose key is the path inside the entry (`week.mon[0]`).
Times of day are `HH:MM`; `24:00` ends a day. Dates are ISO strings or `date`s (YAML
reads an unquoted 2026-01-09 as a date).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any, TypedDict

from assistdesk.domain.errors import SpecError

DAY_SECONDS = 86_400

Hours = tuple[tuple[int, int], ...]
"""Working intervals of one day: (start, end) in seconds since local midnight, sorted."""


class CalendarArgs(TypedDict):
    timezone: str
    week: Mapping[str, Sequence[str]] | str
    holidays_country: str | None
    holidays_subdivision: str | None
    closed_on: list[date]
    open_on: dict[date, Sequence[str] | None]


def parse_clock(text: str, key: str) -> int:
    """Seconds since midnight of an `HH:MM` time of day (`24:00` allowed)."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise SpecError(key, f"expected HH:MM-HH:MM, got {text!r}")
    seconds = int(hours) * 3600 + int(minutes) * 60
    if int(minutes) >= 60 or seconds > DAY_SECONDS:
        raise SpecError(key, f"{text!r} is not a time of day")
    return seconds


def parse_hours(intervals: object, key: str) -> Hours:
    """A day's `["09:00-13:00", "14:00-18:00"]`, sorted, checked for overlaps."""
    if isinstance(intervals, str) or not isinstance(intervals, Sequence):
        raise SpecError(key, 'expected a list of "HH:MM-HH:MM"')
    parsed: list[tuple[int, int]] = []
    for index, text in enumerate(intervals):
        item_key = f"{key}[{index}]"
        if not isinstance(text, str) or text.count("-") != 1:
            raise SpecError(item_key, f'expected "HH:MM-HH:MM", got {text!r}')
        start_text, end_text = text.split("-")
        start, end = parse_clock(start_text, item_key), parse_clock(end_text, item_key)
        if end <= start:
            # An overnight shift is two intervals, one on each day: the day an hour belongs
            # to decides holidays and working days, so it must be explicit.
            raise SpecError(item_key, f"{text!r} ends before it starts; split it at 24:00")
        parsed.append((start, end))
    parsed.sort()
    for (_, end), (start, _) in pairwise(parsed):
        if start < end:
            raise SpecError(key, "intervals overlap")
    return tuple(parsed)


def parse_date(value: object, key: str) -> date:
    if isinstance(value, datetime):
        raise SpecError(key, f"expected a date, got a date and time {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise SpecError(key, f"expected a date YYYY-MM-DD, got {value!r}")


def _check_keys(spec: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
    unknown = sorted(str(key) for key in spec if key not in allowed)
    if unknown:
        raise SpecError(f"{prefix}{unknown[0]}", "unknown key")


def _list(value: object, key: str) -> Sequence[object]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SpecError(key, "expected a list")
    return value


def calendar_args(spec: object) -> CalendarArgs:
    """Check a calendar entry and return the keyword arguments of `Calendar`."""
    if not isinstance(spec, Mapping):
        raise SpecError("", "a calendar is a mapping")
    _check_keys(spec, {"timezone", "week", "holidays", "closed", "open"})
    for key in ("timezone", "week"):
        if key not in spec:
            raise SpecError(key, "required")
    if not isinstance(spec["timezone"], str):
        raise SpecError("timezone", "expected an IANA time zone name")
    holidays = spec.get("holidays") or {}
    if not isinstance(holidays, Mapping):
        raise SpecError("holidays", "expected {country: XX, subdivision: YY}")
    _check_keys(holidays, {"country", "subdivision"}, "holidays.")
    if holidays and "country" not in holidays:
        raise SpecError("holidays.country", "required")
    closed = [
        parse_date(v, f"closed[{i}]") for i, v in enumerate(_list(spec.get("closed"), "closed"))
    ]
    open_on: dict[date, Sequence[str] | None] = {}
    for i, item in enumerate(_list(spec.get("open"), "open")):
        if isinstance(item, Mapping):
            _check_keys(item, {"date", "hours"}, f"open[{i}].")
            if "date" not in item:
                raise SpecError(f"open[{i}].date", "required")
            hours = item.get("hours")
            if hours is not None:
                parse_hours(hours, f"open[{i}].hours")
            open_on[parse_date(item["date"], f"open[{i}].date")] = hours
        else:
            open_on[parse_date(item, f"open[{i}]")] = None
    country, subdivision = holidays.get("country"), holidays.get("subdivision")
    return CalendarArgs(
        timezone=spec["timezone"],
        week=spec["week"],
        holidays_country=None if country is None else str(country),
        holidays_subdivision=None if subdivision is None else str(subdivision),
        closed_on=closed,
        open_on=open_on,
    )
