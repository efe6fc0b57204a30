"""Calendars: hand-checked tables (seeds, holidays, lunch, edges, DST) and laws."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistdesk.domain.calendar import Calendar
from assistdesk.domain.errors import SpecError

ROME = ZoneInfo("Europe/Rome")
BUCHAREST = ZoneInfo("Europe/Bucharest")
PARIS = ZoneInfo("Europe/Paris")
WORKWEEK = ("mon", "tue", "wed", "thu", "fri")


def week(*intervals: str, days: tuple[str, ...] = WORKWEEK) -> dict[str, list[str]]:
    return {day: list(intervals) for day in days}


# Seed 004 (Platphorma, Brașov): Mon-Fri 8:30-16:30, Romanian holidays.
RO_OFFICE = Calendar("Europe/Bucharest", week("08:30-16:30"), holidays_country="RO")
# Seeds 000/001 (Italy): 9-13 and 14-18 with a lunch break, Italian holidays.
IT_OFFICE = Calendar("Europe/Rome", week("09:00-13:00", "14:00-18:00"), holidays_country="IT")
IT_BENCH = Calendar("Europe/Rome", week("08:30-16:30"), holidays_country="IT")
FR_OFFICE = Calendar("Europe/Paris", week("09:00-12:00", "13:30-17:30"), holidays_country="FR")
ALWAYS_ROME = Calendar("Europe/Rome", "24x7")
ALWAYS_BUCHAREST = Calendar("Europe/Bucharest", "24x7")


def ro(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUCHAREST)  # type: ignore[misc]


def it(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def fr(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


H = timedelta(hours=1)
M = timedelta(minutes=1)

ADD_CASES = [
    # Seed 004 "6 h response": Monday 15:00, Epiphany and St John (6-7 Jan) closed.
    ("ro: 6 h over Epiphany", RO_OFFICE, ro(2026, 1, 5, 15), 6 * H, ro(2026, 1, 8, 13)),
    ("ro: 2 h urgent", RO_OFFICE, ro(2026, 1, 20, 9), 2 * H, ro(2026, 1, 20, 11)),
    ("ro: 48 working hours on site", RO_OFFICE, ro(2026, 1, 20, 9), 48 * H, ro(2026, 1, 28, 9)),
    # Seed 001: urgent on site within 4 working hours across lunch.
    ("it: 4 h across lunch", IT_OFFICE, it(2026, 4, 13, 11), 4 * H, it(2026, 4, 13, 16)),
    # Seed 001: 8 h written answer, Thursday 16:30 before Easter: due Friday 16:30.
    ("it: 8 h before Easter", IT_OFFICE, it(2026, 4, 2, 16, 30), 8 * H, it(2026, 4, 3, 16, 30)),
    ("it: full day ends at 18:00", IT_OFFICE, it(2026, 4, 20, 9), 8 * H, it(2026, 4, 20, 18)),
    # Easter Monday (6 Apr 2026) is an Italian holiday ...
    ("it: Easter Monday", IT_OFFICE, it(2026, 4, 3, 17), 2 * H, it(2026, 4, 7, 10)),
    # ... but not a Romanian one: Orthodox Easter 2026 is 12 Apr (Good Friday 10, Monday 13).
    ("ro: western Easter Monday works", RO_OFFICE, ro(2026, 4, 3, 16), 1 * H, ro(2026, 4, 6, 9)),
    ("ro: Orthodox Easter", RO_OFFICE, ro(2026, 4, 9, 16), 1 * H, ro(2026, 4, 14, 9)),
    # France: Ascension Thursday 14 May, Whit Monday 25 May 2026.
    ("fr: Ascension", FR_OFFICE, fr(2026, 5, 13, 17), 1 * H, fr(2026, 5, 15, 9, 30)),
    ("fr: Whit Monday", FR_OFFICE, fr(2026, 5, 22, 17), 1 * H, fr(2026, 5, 26, 9, 30)),
    # A holiday on a Friday: 1 May 2026 in Italy; Orthodox Good Friday in Romania.
    ("it: Labour Day Friday", IT_OFFICE, it(2026, 4, 30, 17, 30), 1 * H, it(2026, 5, 4, 9, 30)),
    ("ro: Good Friday", RO_OFFICE, ro(2026, 4, 9, 16), 30 * M, ro(2026, 4, 9, 16, 30)),
    # Lunch breaks.
    (
        "it: morning into afternoon",
        IT_OFFICE,
        it(2026, 2, 2, 12, 30),
        1 * H,
        it(2026, 2, 2, 14, 30),
    ),
    ("it: start during lunch", IT_OFFICE, it(2026, 2, 2, 13, 15), 30 * M, it(2026, 2, 2, 14, 30)),
    ("it: lands on lunch", IT_OFFICE, it(2026, 2, 2, 12), 1 * H, it(2026, 2, 2, 13)),
    # Start outside hours.
    ("ro: Saturday", RO_OFFICE, ro(2026, 2, 7, 10), 1 * H, ro(2026, 2, 9, 9, 30)),
    ("ro: before opening", RO_OFFICE, ro(2026, 2, 9, 7), 1 * H, ro(2026, 2, 9, 9, 30)),
    ("ro: after closing", RO_OFFICE, ro(2026, 2, 9, 17), 1 * H, ro(2026, 2, 10, 9, 30)),
    ("ro: at closing", RO_OFFICE, ro(2026, 2, 9, 16, 30), 1 * H, ro(2026, 2, 10, 9, 30)),
    # Exactly at the end of an interval stays there (pandas would move it to 09:00).
    ("ro: lands on closing", RO_OFFICE, ro(2026, 2, 9, 15, 30), 1 * H, ro(2026, 2, 9, 16, 30)),
    ("ro: Friday closing", RO_OFFICE, ro(2026, 2, 13, 8, 30), 8 * H, ro(2026, 2, 13, 16, 30)),
    ("ro: zero from Saturday", RO_OFFICE, ro(2026, 2, 7, 10), 0 * H, ro(2026, 2, 7, 10)),
    (
        "ro: one second",
        RO_OFFICE,
        ro(2026, 2, 9, 16, 29, 59),
        timedelta(seconds=2),
        ro(2026, 2, 10, 8, 30, 1),
    ),
    # A year boundary: 1-2 Jan are Romanian holidays.
    ("ro: new year", RO_OFFICE, ro(2025, 12, 31, 16), 1 * H, ro(2026, 1, 5, 9)),
    # A DST weekend does not change office hours: Friday 16:00 CET -> Monday 09:00 CEST.
    ("it: spring weekend", IT_OFFICE, it(2026, 3, 27, 17), 2 * H, it(2026, 3, 30, 10)),
    ("it: autumn weekend", IT_OFFICE, it(2026, 10, 23, 17), 2 * H, it(2026, 10, 26, 10)),
    ("ro: spring weekend", RO_OFFICE, ro(2026, 3, 27, 16), 1 * H, ro(2026, 3, 30, 9)),
    ("ro: autumn weekend", RO_OFFICE, ro(2026, 10, 23, 16), 1 * H, ro(2026, 10, 26, 9)),
    # 24x7 is real elapsed time: Rome's 29 March 2026 has 23 hours, 25 October 25.
    ("24x7 spring", ALWAYS_ROME, it(2026, 3, 28, 12), 48 * H, it(2026, 3, 30, 13)),
    ("24x7 autumn", ALWAYS_ROME, it(2026, 10, 24, 12), 48 * H, it(2026, 10, 26, 11)),
    ("24x7 through the gap", ALWAYS_ROME, it(2026, 3, 29, 1, 30), 1 * H, it(2026, 3, 29, 3, 30)),
    ("24x7 Bucharest spring", ALWAYS_BUCHAREST, ro(2026, 3, 29, 2), 2 * H, ro(2026, 3, 29, 5)),
    ("24x7 year end", ALWAYS_ROME, it(2026, 12, 31, 23), 2 * H, it(2027, 1, 1, 1)),
]


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "due"),
    [c[1:] for c in ADD_CASES],
    ids=[c[0] for c in ADD_CASES],
)
def test_add(calendar: Calendar, start: datetime, duration: timedelta, due: datetime) -> None:
    result = calendar.add(start, duration)
    assert result == due
    assert result.tzinfo is UTC
    if duration:
        assert calendar.between(start, result) == duration


BETWEEN_CASES = [
    ("ro: seed 004 lateness", RO_OFFICE, ro(2026, 1, 8, 13), ro(2026, 1, 8, 13, 30), 30 * M),
    # Seed 001: Friday 16:30 -> Tuesday 10:15 over Easter Monday = 1 h 30 + 1 h 15.
    ("it: over Easter Monday", IT_OFFICE, it(2026, 4, 3, 16, 30), it(2026, 4, 7, 10, 15), 165 * M),
    ("it: lunch not counted", IT_OFFICE, it(2026, 2, 2, 12), it(2026, 2, 2, 15), 2 * H),
    ("it: weekend", IT_OFFICE, it(2026, 2, 6, 17), it(2026, 2, 9, 10), 2 * H),
    ("ro: closed to closed", RO_OFFICE, ro(2026, 2, 9, 16, 30), ro(2026, 2, 10, 8, 30), 0 * H),
    ("fr: Ascension week", FR_OFFICE, fr(2026, 5, 11), fr(2026, 5, 18), 4 * 7 * H),
    ("24x7 spring day", ALWAYS_ROME, it(2026, 3, 29), it(2026, 3, 30), 23 * H),
    ("24x7 autumn day", ALWAYS_ROME, it(2026, 10, 25), it(2026, 10, 26), 25 * H),
    ("24x7 Bucharest autumn", ALWAYS_BUCHAREST, ro(2026, 10, 25), ro(2026, 10, 26), 25 * H),
    ("24x7 whole year", ALWAYS_ROME, it(2026, 1, 1), it(2027, 1, 1), 365 * 24 * H),
    ("reversed", IT_OFFICE, it(2026, 2, 2, 15), it(2026, 2, 2, 12), -2 * H),
    ("ro: two years", RO_OFFICE, ro(2025, 1, 1), ro(2027, 1, 1), (248 + 250) * 8 * H),
]


@pytest.mark.parametrize(
    ("calendar", "a", "b", "expected"),
    [c[1:] for c in BETWEEN_CASES],
    ids=[c[0] for c in BETWEEN_CASES],
)
def test_between(calendar: Calendar, a: datetime, b: datetime, expected: timedelta) -> None:
    assert calendar.between(a, b) == expected


def test_ro_working_days_per_year_match_the_holiday_list() -> None:
    # 2025: 261 weekdays, 13 holidays on weekdays; 2026: 261 weekdays, 11 on weekdays.
    workdays_2025 = sum(
        RO_OFFICE.is_working_day(date(2025, 1, 1) + timedelta(d)) for d in range(365)
    )
    assert workdays_2025 == 248
    workdays_2026 = sum(
        RO_OFFICE.is_working_day(date(2026, 1, 1) + timedelta(d)) for d in range(365)
    )
    assert workdays_2026 == 250


WORKING_DAYS_CASES = [
    # §2.1: the day of start does not count, even when start is before its opening.
    ("ro: Monday early", RO_OFFICE, ro(2026, 2, 9, 7), 1, ro(2026, 2, 10, 16, 30)),
    ("ro: Friday", RO_OFFICE, ro(2026, 2, 13, 10), 1, ro(2026, 2, 16, 16, 30)),
    ("ro: Saturday", RO_OFFICE, ro(2026, 2, 14, 10), 1, ro(2026, 2, 16, 16, 30)),
    ("ro: over Epiphany", RO_OFFICE, ro(2026, 1, 5, 15), 2, ro(2026, 1, 9, 16, 30)),
    ("it: ends after lunch", IT_OFFICE, it(2026, 4, 2, 16, 30), 2, it(2026, 4, 7, 18)),
    # Seed 003: 15 working days; seed 004 "Tip 0": 30 working days.
    # 8 May (Victory Day), 14 May (Ascension) and 25 May (Whit Monday) do not count.
    ("fr: 15 days over Ascension", FR_OFFICE, fr(2026, 5, 4, 11), 15, fr(2026, 5, 28, 17, 30)),
    # 10 and 13 April (Orthodox Good Friday, Easter Monday) and 1 May do not count.
    ("ro: 30 days over Orthodox Easter", RO_OFFICE, ro(2026, 4, 1, 9), 30, ro(2026, 5, 18, 16, 30)),
    ("ro: into next year", RO_OFFICE, ro(2026, 12, 30, 9), 2, ro(2027, 1, 4, 16, 30)),
    ("24x7: end of tomorrow", ALWAYS_ROME, it(2026, 3, 28, 12), 1, it(2026, 3, 30)),
    ("zero days", RO_OFFICE, ro(2026, 2, 14, 10), 0, ro(2026, 2, 14, 10)),
]


@pytest.mark.parametrize(
    ("calendar", "start", "days", "due"),
    [c[1:] for c in WORKING_DAYS_CASES],
    ids=[c[0] for c in WORKING_DAYS_CASES],
)
def test_add_working_days(calendar: Calendar, start: datetime, days: int, due: datetime) -> None:
    assert calendar.add_working_days(start, days) == due


@pytest.mark.parametrize(
    ("at", "working", "next_working"),
    [
        (ro(2026, 2, 9, 8, 29, 59), False, ro(2026, 2, 9, 8, 30)),
        (ro(2026, 2, 9, 8, 30), True, ro(2026, 2, 9, 8, 30)),
        (ro(2026, 2, 9, 16, 29, 59), True, ro(2026, 2, 9, 16, 29, 59)),
        (ro(2026, 2, 9, 16, 30), False, ro(2026, 2, 10, 8, 30)),
        (ro(2026, 1, 5, 17), False, ro(2026, 1, 8, 8, 30)),
        (ro(2026, 12, 31, 17), False, ro(2027, 1, 4, 8, 30)),
    ],
)
def test_is_working_and_next_working(at: datetime, working: bool, next_working: datetime) -> None:
    assert RO_OFFICE.is_working(at) is working
    assert RO_OFFICE.next_working(at) == next_working


# -- DST: intervals that touch the transitions themselves ------------------------------

SUNDAYS = ("sun",)


@pytest.mark.parametrize(
    ("timezone", "hours", "on", "length"),
    [
        # Rome: 29 Mar 2026 02:00 -> 03:00; 25 Oct 2026 03:00 -> 02:00.
        ("Europe/Rome", "01:00-05:00", date(2026, 3, 29), 3 * H),
        ("Europe/Rome", "01:00-05:00", date(2026, 10, 25), 5 * H),
        ("Europe/Rome", "08:30-16:30", date(2026, 3, 29), 8 * H),
        ("Europe/Rome", "00:00-24:00", date(2026, 3, 29), 23 * H),
        ("Europe/Rome", "00:00-24:00", date(2026, 10, 25), 25 * H),
        # Starts inside the gap: work starts when the clock jumps to 03:00.
        ("Europe/Rome", "02:30-04:00", date(2026, 3, 29), 1 * H),
        # Wholly inside the gap: no working time that day.
        ("Europe/Rome", "02:15-02:45", date(2026, 3, 29), 0 * H),
        # Starts in the fold: at the first 02:30 (CEST), so the repeated hour counts.
        ("Europe/Rome", "02:30-04:00", date(2026, 10, 25), 150 * M),
        # Ends in the fold: at the first 02:30.
        ("Europe/Rome", "00:00-02:30", date(2026, 10, 25), 150 * M),
        # Bucharest: 29 Mar 2026 03:00 -> 04:00; 25 Oct 2026 04:00 -> 03:00.
        ("Europe/Bucharest", "02:00-06:00", date(2026, 3, 29), 3 * H),
        ("Europe/Bucharest", "02:00-06:00", date(2026, 10, 25), 5 * H),
        ("Europe/Bucharest", "03:30-05:00", date(2026, 3, 29), 1 * H),
        ("Europe/Bucharest", "08:30-16:30", date(2026, 10, 25), 8 * H),
    ],
)
def test_dst_interval_lengths(timezone: str, hours: str, on: date, length: timedelta) -> None:
    calendar = Calendar(timezone, week(hours, days=SUNDAYS))
    tz = ZoneInfo(timezone)
    day_start = datetime(on.year, on.month, on.day, tzinfo=tz)
    next_day = datetime.combine(on + timedelta(1), datetime.min.time(), tzinfo=tz)
    assert calendar.between(day_start, next_day) == length
    assert calendar.is_working_day(on) is bool(length)
    if length:
        assert calendar.add(day_start, length) == calendar.add_working_days(day_start - H * 24, 1)


def test_gap_start_is_the_transition() -> None:
    calendar = Calendar("Europe/Rome", week("02:30-04:00", days=SUNDAYS))
    assert calendar.next_working(it(2026, 3, 29)) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_24x7_is_continuous_across_transitions() -> None:
    spring_night = it(2026, 3, 29, 1, 59).astimezone(UTC)  # real-time arithmetic from here
    assert ALWAYS_ROME.between(spring_night, spring_night + 2 * H) == 2 * H
    autumn_night = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, before the fold
    assert ALWAYS_ROME.add(autumn_night, H) == autumn_night + H
    assert ALWAYS_ROME.is_working(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET


def test_other_zones_give_the_same_instants() -> None:
    start_utc = datetime(2026, 1, 5, 13, tzinfo=UTC)
    assert RO_OFFICE.add(start_utc, 6 * H) == RO_OFFICE.add(start_utc.astimezone(ROME), 6 * H)


# -- closed and open dates --------------------------------------------------------------


def test_closed_and_open_dates() -> None:
    calendar = Calendar.from_spec(
        {
            "timezone": "Europe/Bucharest",
            "week": week("08:30-16:30"),
            "holidays": {"country": "RO"},
            "closed": ["2026-01-09", date(2026, 1, 12)],
            "open": ["2026-01-10", {"date": "2026-01-07", "hours": ["10:00-12:00"]}],
        }
    )
    assert not calendar.is_working_day(date(2026, 1, 9))  # an extra closed Friday
    assert calendar.hours_on(date(2026, 1, 10)) == ((30600, 59400),)  # Saturday: Monday's
    assert calendar.hours_on(date(2026, 1, 7)) == ((36000, 43200),)  # a holiday, opened
    assert calendar.add(ro(2026, 1, 5, 16), 3 * H) == ro(2026, 1, 8, 9)
    assert calendar.add(ro(2026, 1, 8, 16), 1 * H) == ro(2026, 1, 10, 9)
    assert calendar.add_working_days(ro(2026, 1, 8, 10), 2) == ro(2026, 1, 13, 16, 30)


def test_only_open_dates() -> None:
    calendar = Calendar("Europe/Rome", {}, open_on={date(2026, 6, 6): ["09:00-12:00"]})
    assert calendar.add(it(2025, 1, 1), 2 * H) == it(2026, 6, 6, 11)
    assert calendar.between(it(2020, 1, 1), it(2040, 1, 1)) == 3 * H
    with pytest.raises(ValueError, match="no working time after 2026"):
        calendar.add(it(2026, 6, 6, 10), 3 * H)


def test_compiled_years_are_bounded_and_recomputed() -> None:
    calendar = Calendar("Europe/Rome", week("09:00-17:00"), holidays_country="IT")
    whole = calendar.between(it(1950, 1, 1), it(2150, 1, 1))
    assert len(calendar._years) <= 64
    by_year = sum(
        (calendar.between(it(y, 1, 1), it(y + 1, 1, 1)) for y in range(1950, 2150)), timedelta()
    )
    assert whole == by_year
    assert calendar.add(it(1990, 3, 2, 16), 2 * H) == it(1990, 3, 5, 10)


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"week": "24x7"}, "timezone"),
        ({"timezone": "Mars/Olympus", "week": "24x7"}, "timezone"),
        ({"timezone": "Europe/Rome", "week": "9to5"}, "week"),
        ({"timezone": "Europe/Rome", "week": {"monday": ["09:00-13:00"]}}, "week.monday"),
        ({"timezone": "Europe/Rome", "week": {"mon": "09:00-13:00"}}, "week.mon"),
        ({"timezone": "Europe/Rome", "week": {"mon": ["09:00-13:00", "9-17"]}}, "week.mon[1]"),
        ({"timezone": "Europe/Rome", "week": {"mon": ["18:00-09:00"]}}, "week.mon[0]"),
        ({"timezone": "Europe/Rome", "week": {"mon": ["09:00-25:00"]}}, "week.mon[0]"),
        ({"timezone": "Europe/Rome", "week": {"mon": ["09:00-13:00", "12:00-14:00"]}}, "week.mon"),
        ({"timezone": "Europe/Rome", "week": {}}, "week"),
        ({"timezone": "Europe/Rome", "week": "24x7", "holidays": {"country": "IT"}}, "week"),
        (
            {"timezone": "Europe/Rome", "week": {}, "holidays": {"country": "XX"}},
            "holidays.country",
        ),
        (
            {"timezone": "Europe/Rome", "week": {}, "holidays": {"subdivision": "RM"}},
            "holidays.country",
        ),
        (
            {
                "timezone": "Europe/Rome",
                "week": {},
                "holidays": {"country": "IT", "subdivision": "ZZ"},
            },
            "holidays.subdivision",
        ),
        (
            {"timezone": "Europe/Rome", "week": {}, "holidays": {"country": "IT", "x": 1}},
            "holidays.x",
        ),
        (
            {"timezone": "Europe/Rome", "week": {}, "closed": ["2026-01-01", "tomorrow"]},
            "closed[1]",
        ),
        (
            {"timezone": "Europe/Rome", "week": {}, "open": [{"hours": ["09:00-10:00"]}]},
            "open[0].date",
        ),
        (
            {
                "timezone": "Europe/Rome",
                "week": {},
                "open": [{"date": "2026-01-03", "hours": ["x"]}],
            },
            "open[0].hours[0]",
        ),
        ({"timezone": "Europe/Rome", "week": "24x7", "holiday": {}}, "holiday"),
    ],
)
def test_spec_errors_name_the_key(spec: dict[str, object], key: str) -> None:
    with pytest.raises(SpecError) as caught:
        Calendar.from_spec(spec)
    assert caught.value.key == key
    assert caught.value.under("calendars.office").key == f"calendars.office.{key}"


def test_naive_and_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        RO_OFFICE.add(datetime(2026, 1, 5, 9), H)
    with pytest.raises(ValueError, match="naive"):
        RO_OFFICE.between(ro(2026, 1, 5, 9), datetime(2026, 1, 5, 10))
    with pytest.raises(ValueError, match="negative"):
        RO_OFFICE.add(ro(2026, 1, 5, 9), -H)
    with pytest.raises(TypeError):
        RO_OFFICE.is_working(date(2026, 1, 5))  # type: ignore[arg-type]


def test_equality_is_by_definition() -> None:
    same = Calendar("Europe/Bucharest", week("08:30-16:30"), holidays_country="RO")
    assert same == RO_OFFICE and hash(same) == hash(RO_OFFICE)
    assert same != IT_BENCH


# -- laws -------------------------------------------------------------------------------

CALENDARS = [
    RO_OFFICE,
    IT_OFFICE,
    FR_OFFICE,
    ALWAYS_ROME,
    # Night shifts across DST transitions and a weekend shift split at midnight.
    Calendar("Europe/Rome", {"sat": ["18:00-24:00"], "sun": ["00:00-06:00"]}),
    Calendar("Europe/Bucharest", week("01:00-05:00", "22:00-24:00", days=("sat", "sun", "mon"))),
]
calendars = st.sampled_from(CALENDARS)
LAW_EPOCH = datetime(2024, 12, 1, tzinfo=UTC)
# Microsecond resolution: the engine is exact below the second, not only at it.
instants = st.integers(min_value=0, max_value=3 * 366 * 86_400 * 10**6).map(
    lambda us: LAW_EPOCH + timedelta(microseconds=us)
)
durations = st.one_of(
    st.integers(min_value=0, max_value=3_000 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(min_value=0, max_value=3_000 * 3600 * 10**6).map(
        lambda us: timedelta(microseconds=us)
    ),
)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_law_between_of_add_is_the_duration(calendar: Calendar, a: datetime, d: timedelta) -> None:
    assert calendar.between(a, calendar.add(a, d)) == d


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, durations)
def test_law_add_is_monotonic_in_start(
    calendar: Calendar, a: datetime, b: datetime, d: timedelta
) -> None:
    a, b = min(a, b), max(a, b)
    assert calendar.add(a, d) <= calendar.add(b, d)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations, durations)
def test_law_add_is_monotonic_and_additive_in_duration(
    calendar: Calendar, a: datetime, d: timedelta, e: timedelta
) -> None:
    assert calendar.add(a, d) <= calendar.add(a, d + e)
    assert calendar.add(calendar.add(a, d), e) == calendar.add(a, d + e)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, instants)
def test_law_between_is_additive(calendar: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    assert calendar.between(a, b) + calendar.between(b, c) == calendar.between(a, c)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations.filter(bool))
def test_law_add_lands_at_the_earliest_instant(
    calendar: Calendar, a: datetime, d: timedelta
) -> None:
    due = calendar.add(a, d)
    tick = timedelta(microseconds=1)
    assert calendar.is_working(due - tick)  # so any earlier instant has less work behind it


@settings(max_examples=200, deadline=None)
@given(calendars, instants, st.integers(min_value=1, max_value=40))
def test_law_add_working_days(calendar: Calendar, a: datetime, n: int) -> None:
    due = calendar.add_working_days(a, n)
    last_moment = due - timedelta(microseconds=1)
    assert calendar.is_working(last_moment)  # the end of a working interval ...
    start_day, due_day = (
        a.astimezone(calendar.tz).date(),
        last_moment.astimezone(calendar.tz).date(),
    )
    assert calendar.hours_on(due_day)  # ... of the n-th working day after the start's
    days = (due_day - start_day).days
    counted = sum(calendar.is_working_day(start_day + timedelta(k)) for k in range(1, days + 1))
    assert counted == n
    assert calendar.add_working_days(a, n + 1) > due


def test_the_holiday_tables_load_ahead_in_a_thread_of_their_own():
    # A process of its own: this one has imported them already.
    code = (
        "import sys, threading\n"
        "from assistdesk.domain.calendar import load_holiday_tables\n"
        "assert 'holidays.countries' not in sys.modules\n"
        "loading = threading.Thread(target=load_holiday_tables)\n"
        "loading.start(); loading.join()\n"
        "import holidays\n"
        "assert 'holidays.countries' in sys.modules\n"
        "assert holidays.country_holidays('IT', years=2026).get('2026-12-25')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
