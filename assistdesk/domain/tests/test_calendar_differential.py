"""Differential tests: our calendar against businesstimedelta and pandas' CustomBusinessHour.

The same calendars are built in each library (time zone, weekly hours with a lunch break,
the `holidays` package's dates) and the same random cases, from fixed seeds, are run
through all of them. Every disagreement must fall in a class explained by the other
library's documented behaviour; the count of unexplained ones must be zero:

- pandas moves a result that lands exactly on a closing time to the next opening (its
  offsets are "rolled forward"); DESIGN §2.1 keeps it at the closing time. Explained when
  ours is an interval end and pandas' is `next_working(ours)`.
- businesstimedelta: none expected.

pandas works on wall-clock (naive) timestamps and cannot add minutes (its `n` counts whole
hours), so it gets whole-hour durations and local naive starts. The calendars' hours do
not touch a DST transition, so wall-clock and real durations agree; the DST behaviour
itself is checked against an independent day-by-day oracle at the end.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pandas as pd
import pytest
import pytz

from assistdesk.domain.calendar import Calendar

YEARS = range(2023, 2031)
FIRST = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 4 * 365 * 86_400
CASES_PER_CALENDAR = 3_400  # x 3 calendars: 10 200 cases per library and operation


@dataclass(frozen=True)
class Setup:
    name: str
    timezone: str
    hours: list[tuple[time, time]]  # Monday to Friday
    country: str

    @property
    def ours(self) -> Calendar:
        text = [f"{a:%H:%M}-{b:%H:%M}" for a, b in self.hours]
        week = {day: text for day in ("mon", "tue", "wed", "thu", "fri")}
        return Calendar(self.timezone, week, holidays_country=self.country)

    @property
    def holiday_dates(self) -> list[date]:
        return sorted(holidays.country_holidays(self.country, years=YEARS))

    def businesstimedelta(self) -> btd.Rules:
        tz = pytz.timezone(self.timezone)
        workdays = [0, 1, 2, 3, 4]
        rules = [btd.WorkDayRule(self.hours[0][0], self.hours[-1][1], workdays, tz=tz)]
        for (_, lunch_start), (lunch_end, _) in zip(self.hours, self.hours[1:], strict=False):
            rules.append(btd.LunchTimeRule(lunch_start, lunch_end, workdays, tz=tz))
        rules.append(btd.HolidayRule(frozenset(self.holiday_dates), tz=tz))
        return btd.Rules(rules)

    def pandas_hour(self) -> pd.offsets.CustomBusinessHour:
        return pd.offsets.CustomBusinessHour(
            start=[f"{a:%H:%M}" for a, _ in self.hours],
            end=[f"{b:%H:%M}" for _, b in self.hours],
            weekmask="Mon Tue Wed Thu Fri",
            holidays=self.holiday_dates,
        )


SETUPS = [
    Setup("rome-8:30-16:30", "Europe/Rome", [(time(8, 30), time(16, 30))], "IT"),
    Setup("rome-lunch", "Europe/Rome", [(time(9), time(13)), (time(14), time(18))], "IT"),
    Setup("bucharest-8:30-16:30", "Europe/Bucharest", [(time(8, 30), time(16, 30))], "RO"),
]


def random_start(rng: random.Random) -> datetime:
    # Whole minutes mostly, whole seconds sometimes; many land on the hour to hit edges.
    seconds = rng.randrange(SPAN_SECONDS)
    choice = rng.random()
    if choice < 0.3:
        seconds -= seconds % 3600
    elif choice < 0.8:
        seconds -= seconds % 60
    return FIRST + timedelta(seconds=seconds)


def random_duration(rng: random.Random) -> timedelta:
    # Up to 6 working days: businesstimedelta walks interval by interval, so longer spans
    # only cost time (the hypothesis laws cover long spans).
    if rng.random() < 0.3:
        return timedelta(hours=rng.randrange(1, 49))
    return timedelta(seconds=rng.randrange(1, 48 * 3600))


@pytest.fixture(scope="module")
def report() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    print("\ncalendar differential:", dict(sorted(counts.items())))


@pytest.mark.parametrize("setup", SETUPS, ids=[s.name for s in SETUPS])
def test_against_businesstimedelta(setup: Setup, report: Counter[str]) -> None:
    ours, theirs = setup.ours, setup.businesstimedelta()
    rng = random.Random(f"btd-{setup.name}")
    unexplained = []
    for _ in range(CASES_PER_CALENDAR):
        start, duration = random_start(rng), random_duration(rng)
        expected = start + btd.BusinessTimeDelta(theirs, timedelta=duration)
        report["btd add cases"] += 1
        if ours.add(start, duration) != expected:
            unexplained.append(("add", start, duration, ours.add(start, duration), expected))
        end = start + timedelta(seconds=rng.randrange(0, 10 * 86_400))
        report["btd between cases"] += 1
        if ours.between(start, end) != theirs.difference(start, end).timedelta:
            unexplained.append(("between", start, end, ours.between(start, end)))
    report["btd unexplained"] += len(unexplained)
    assert unexplained == []


@pytest.mark.parametrize("setup", SETUPS, ids=[s.name for s in SETUPS])
def test_against_pandas(setup: Setup, report: Counter[str]) -> None:
    ours, hour = setup.ours, setup.pandas_hour()
    tz = ZoneInfo(setup.timezone)
    rng = random.Random(f"pandas-{setup.name}")
    unexplained = []
    for _ in range(CASES_PER_CALENDAR):
        start, hours = random_start(rng), rng.randrange(1, 41)
        local_start = pd.Timestamp(start.astimezone(tz).replace(tzinfo=None))
        theirs = (local_start + hour * hours).to_pydatetime().replace(tzinfo=tz)
        result = ours.add(start, timedelta(hours=hours))
        report["pandas add cases"] += 1
        if result == theirs:
            continue
        at_closing = not ours.is_working(result) and ours.is_working(result - timedelta(seconds=1))
        if at_closing and ours.next_working(result) == theirs:
            report["pandas: closing time rolled to next opening"] += 1
        else:
            unexplained.append((start, hours, result, theirs))
    report["pandas unexplained"] += len(unexplained)
    assert unexplained == []


# -- DST: an independent day-by-day oracle ----------------------------------------------


def first_instant_showing(tz: ZoneInfo, wall: datetime) -> datetime:
    """The first instant at which the local clock shows `wall` (scan, minute by minute)."""
    candidates = [wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    shown = [c for c in candidates if c.astimezone(tz).replace(tzinfo=None) == wall]
    if shown:
        return min(shown)
    at = min(candidates)  # inside a spring gap: walk to the jump
    while at.astimezone(tz).replace(tzinfo=None) < wall:
        at += timedelta(minutes=1)
    return at


def oracle_intervals(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    midnight = datetime.combine(day, time())
    return [
        (
            first_instant_showing(calendar.tz, midnight + timedelta(seconds=a)),
            first_instant_showing(calendar.tz, midnight + timedelta(seconds=b)),
        )
        for a, b in calendar.hours_on(day)
    ]


def oracle_between(calendar: Calendar, a: datetime, b: datetime) -> timedelta:
    total, day = timedelta(), a.astimezone(calendar.tz).date() - timedelta(1)
    while day <= b.astimezone(calendar.tz).date() + timedelta(1):
        for start, end in oracle_intervals(calendar, day):
            total += max(timedelta(), min(end, b) - max(start, a))
        day += timedelta(1)
    return total


def oracle_add(calendar: Calendar, a: datetime, duration: timedelta) -> datetime:
    day = a.astimezone(calendar.tz).date() - timedelta(1)
    while True:
        for start, end in oracle_intervals(calendar, day):
            start = max(start, a)
            if start < end:
                if end - start >= duration:
                    return start + duration
                duration -= end - start
        day += timedelta(1)


DST_CALENDARS = {
    "rome-24x7": Calendar("Europe/Rome", "24x7"),
    "rome-nights": Calendar(
        "Europe/Rome", {"sat": ["18:00-24:00"], "sun": ["00:00-06:00"], "mon": ["02:30-04:00"]}
    ),
    "bucharest-gap-and-fold": Calendar(
        "Europe/Bucharest",
        {day: ["02:00-03:30", "03:45-05:00", "22:00-24:00"] for day in ("sat", "sun", "mon")},
    ),
}
# Transition weekends are rare among uniform instants: aim half of the cases at them.
TRANSITION_WEEKENDS = [datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC)]


@pytest.mark.parametrize("name", DST_CALENDARS)
def test_dst_against_a_day_by_day_oracle(name: str, report: Counter[str]) -> None:
    calendar = DST_CALENDARS[name]
    rng = random.Random(f"oracle-{name}")
    for case in range(400):
        start = random_start(rng)
        if case % 2:
            start = rng.choice(TRANSITION_WEEKENDS) + timedelta(minutes=rng.randrange(3 * 1440))
        duration = timedelta(minutes=rng.randrange(1, 3000))
        due = calendar.add(start, duration)
        assert due == oracle_add(calendar, start, duration), (start, duration)
        end = start + timedelta(minutes=rng.randrange(0, 20_000))
        assert calendar.between(start, end) == oracle_between(calendar, start, end), (start, end)
        report["oracle cases"] += 1
