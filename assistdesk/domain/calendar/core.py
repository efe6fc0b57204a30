"""The `Calendar` and its compiled years; see the package docstring for the rules."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from assistdesk.domain.calendar.spec import DAY_SECONDS, Hours, calendar_args, parse_hours
from assistdesk.domain.errors import DomainError, SpecError

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TWENTY_FOUR_SEVEN: Final = "24x7"

_US: Final = timedelta(microseconds=1)
_SECOND_US: Final = 1_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE: Final = datetime(1970, 1, 1)  # noqa: DTZ001 - wall-clock arithmetic
_AVERAGE_YEAR_US: Final = 31_556_952 * _SECOND_US
_MAX_CACHED_YEARS: Final = 64
_MAX_EMPTY_YEARS: Final = 3  # a weekly table closed this long has no working time ahead


class _Year:
    """One local year compiled: its working intervals as epoch microseconds."""

    __slots__ = ("cum", "day_ends", "days", "ends", "hi", "lo", "starts", "total", "year")

    def __init__(self, year: int, lo: int, hi: int) -> None:
        self.year = year
        self.lo = lo  # first instant of the local year
        self.hi = hi  # first instant of the next one
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum: list[int] = [0]  # cum[i]: working time of the year before interval i
        self.total = 0
        self.days: list[int] = []  # ordinals of the working days
        self.day_ends: list[int] = []  # end of each working day's last interval


def load_holiday_tables() -> None:
    """Import the `holidays` package's country tables now. It loads them on the first
    calendar with holidays a process compiles, every country at once (~0.15 s); a caller
    that knows one is coming and is waiting anyway (the mail intake, for its first batch
    to be parsed) can have it done in a thread meanwhile."""
    import holidays.countries  # noqa: F401


def _to_us(at: datetime) -> int:
    try:
        us: int = (at - _EPOCH) // _US  # the hot path: no checks until something fails
    except TypeError:
        if isinstance(at, datetime):
            raise ValueError(f"naive datetime {at.isoformat()}: an aware one is required") from None
        raise TypeError(f"expected an aware datetime, got {type(at).__name__}") from None
    return us


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"expected a timedelta, got {type(duration).__name__}")
    us: int = duration // _US
    if us < 0:
        raise ValueError("a working duration cannot be negative")
    return us


def _from_us(us: int) -> datetime:
    return _EPOCH + _US * us


class Calendar:
    """A working-time calendar: immutable; its compiled years are cached per instance."""

    def __init__(
        self,
        timezone: str,
        week: Mapping[str, Sequence[str]] | str,
        *,
        holidays_country: str | None = None,
        holidays_subdivision: str | None = None,
        closed_on: Iterable[date] = (),
        open_on: Mapping[date, Sequence[str] | None] | Iterable[date] = (),
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise SpecError("timezone", f"unknown time zone {timezone!r}") from None
        self.timezone = timezone
        self.is_24x7 = week == TWENTY_FOUR_SEVEN
        if self.is_24x7:
            self._week: tuple[Hours, ...] = (((0, DAY_SECONDS),),) * 7
        elif isinstance(week, Mapping):
            unknown = sorted(str(day) for day in week if day not in WEEKDAYS)
            if unknown:
                raise SpecError(f"week.{unknown[0]}", "not a weekday (mon ... sun)")
            self._week = tuple(parse_hours(week.get(day, ()), f"week.{day}") for day in WEEKDAYS)
        else:
            raise SpecError("week", f'expected a mapping of weekdays or "{TWENTY_FOUR_SEVEN}"')
        if holidays_subdivision is not None and holidays_country is None:
            raise SpecError("holidays.subdivision", "a subdivision needs a country")
        self.holidays_country = holidays_country
        self.holidays_subdivision = holidays_subdivision
        self._holidays: dict[int, frozenset[date]] = {}
        self._holiday_dates(2000)  # a bad country or subdivision fails now, not on first use
        self.closed_on = frozenset(closed_on)
        self.open_on: dict[date, Hours] = {}
        default_hours = next((hours for hours in self._week if hours), ())
        items = open_on.items() if isinstance(open_on, Mapping) else [(d, None) for d in open_on]
        for day, hours in items:
            if day in self.closed_on:
                raise SpecError("open", f"{day} is both open and closed")
            weekday_hours = self._week[day.weekday()] or default_hours
            self.open_on[day] = weekday_hours if hours is None else parse_hours(hours, "open")
        if self.is_24x7 and (holidays_country or self.closed_on):
            raise SpecError("week", "a 24x7 calendar has no holidays or closed dates")
        if not any(self._week) and not any(self.open_on.values()):
            raise SpecError("week", "the calendar has no working time at all")
        # Without a weekly table, the last open date ends all working time.
        self._last_year = None if any(self._week) else max(self.open_on).year
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()
        self._recent = _Year(0, 0, 0)  # matches no instant

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Calendar:
        """A calendar from a scenario's `calendars` entry; errors name the bad key."""
        return cls(**calendar_args(spec))

    def _key(self) -> tuple[object, ...]:
        return (
            self.timezone,
            self._week,
            self.holidays_country,
            self.holidays_subdivision,
            self.closed_on,
            tuple(sorted(self.open_on.items())),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        kind = " 24x7" if self.is_24x7 else ""
        where = f" holidays={self.holidays_country}" if self.holidays_country else ""
        return f"<Calendar {self.timezone}{kind}{where}>"

    # -- days ---------------------------------------------------------------------------

    def _holiday_dates(self, year: int) -> frozenset[date]:
        if self.holidays_country is None:
            return frozenset()
        found = self._holidays.get(year)
        if found is None:
            try:
                found = frozenset(
                    holidays_lib.country_holidays(
                        self.holidays_country, subdiv=self.holidays_subdivision, years=year
                    )
                )
            except NotImplementedError as exc:
                key = "holidays.subdivision" if "subdivision" in str(exc) else "holidays.country"
                raise SpecError(key, str(exc)) from None
            if len(self._holidays) >= _MAX_CACHED_YEARS:
                self._holidays.clear()
            self._holidays[year] = found
        return found

    def hours_on(self, on: date) -> Hours:
        """The working intervals of a local date, in seconds since local midnight."""
        return self._hours_on(on, self._holiday_dates(on.year))

    def _hours_on(self, on: date, holiday_dates: frozenset[date]) -> Hours:
        if on in self.open_on:
            return self.open_on[on]
        if on in self.closed_on or on in holiday_dates:
            return ()
        return self._week[on.weekday()]

    def is_working_day(self, on: date) -> bool:
        """Whether the local date `on` has working time."""
        compiled = self._year(on.year)
        i = bisect_left(compiled.days, on.toordinal())
        return i < len(compiled.days) and compiled.days[i] == on.toordinal()

    # -- compiling a year ---------------------------------------------------------------

    def _wall_to_us(self, on: date, seconds: int) -> int:
        """The first instant at which the local clock shows `on` + `seconds`."""
        naive = datetime(on.year, on.month, on.day) + timedelta(seconds=seconds)  # noqa: DTZ001
        first = naive.replace(tzinfo=self.tz)
        offset, other_offset = first.utcoffset(), first.replace(fold=1).utcoffset()
        assert offset is not None and other_offset is not None
        after = (naive - offset - _EPOCH_NAIVE) // _US
        if offset >= other_offset:  # an ordinary time, or the first pass of a fold
            return after
        # A spring gap: the clock jumps over this wall time somewhere in (before, after];
        # find the transition to the second (zone transitions fall on whole seconds).
        before = (naive - other_offset - _EPOCH_NAIVE) // _US
        lo, hi = before // _SECOND_US, after // _SECOND_US
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (_EPOCH + timedelta(seconds=mid)).astimezone(self.tz).utcoffset() == other_offset:
                hi = mid
            else:
                lo = mid
        return hi * _SECOND_US

    def _compile(self, year: int) -> _Year:
        if not 1 < year < 9999:
            raise DomainError(f"year {year} is outside the supported range")
        first, following = date(year, 1, 1), date(year + 1, 1, 1)
        compiled = _Year(year, self._wall_to_us(first, 0), self._wall_to_us(following, 0))
        holiday_dates = self._holiday_dates(year)
        starts, ends, cum = compiled.starts, compiled.ends, compiled.cum
        for ordinal in range(first.toordinal(), following.toordinal()):
            on = date.fromordinal(ordinal)
            day_end = None
            for start_seconds, end_seconds in self._hours_on(on, holiday_dates):
                start = self._wall_to_us(on, start_seconds)
                end = self._wall_to_us(on, end_seconds)
                if end <= start:  # wholly inside a spring gap
                    continue
                day_end = end
                if ends and ends[-1] == start:  # adjacent intervals: one, fewer bisection steps
                    ends[-1] = end
                    cum[-1] += end - start
                else:
                    starts.append(start)
                    ends.append(end)
                    cum.append(cum[-1] + end - start)
            if day_end is not None:
                compiled.days.append(ordinal)
                compiled.day_ends.append(day_end)
        compiled.total = cum[-1]
        return compiled

    def _year(self, year: int) -> _Year:
        compiled = self._years.get(year)
        if compiled is None:
            compiled = self._compile(year)
            with self._lock:
                if len(self._years) >= _MAX_CACHED_YEARS:
                    del self._years[next(iter(self._years))]
                self._years[year] = compiled
        return compiled

    def _year_at(self, us: int) -> _Year:
        compiled = self._recent
        if compiled.lo <= us < compiled.hi:
            return compiled
        compiled = self._year(1970 + us // _AVERAGE_YEAR_US)
        while us < compiled.lo:
            compiled = self._year(compiled.year - 1)
        while us >= compiled.hi:
            compiled = self._year(compiled.year + 1)
        self._recent = compiled
        return compiled

    def _years_after(self, compiled: _Year) -> Iterator[_Year]:
        """The following years, for searches that need more working time than `compiled`."""
        empty = 0
        while True:
            if self._last_year is not None and compiled.year >= self._last_year:
                raise DomainError(f"{self!r} has no working time after {self._last_year}")
            compiled = self._year(compiled.year + 1)
            empty = 0 if compiled.total else empty + 1
            if empty > _MAX_EMPTY_YEARS:
                raise DomainError(f"{self!r} has no working time after {compiled.year}")
            yield compiled

    # -- instants -----------------------------------------------------------------------

    @staticmethod
    def _position(compiled: _Year, us: int) -> int:
        """Working time from the start of the year `compiled` to `us`."""
        i = bisect_right(compiled.ends, us)
        if i < len(compiled.starts) and compiled.starts[i] < us:
            return compiled.cum[i] + us - compiled.starts[i]
        return compiled.cum[i]

    def is_working(self, at: datetime) -> bool:
        """Whether `at` lies in a working interval (an interval's end does not)."""
        us = _to_us(at)
        compiled = self._year_at(us)
        i = bisect_right(compiled.ends, us)
        return i < len(compiled.starts) and compiled.starts[i] <= us

    def next_working(self, at: datetime) -> datetime:
        """The earliest working instant at or after `at`."""
        us = _to_us(at)
        compiled = self._year_at(us)
        i = bisect_right(compiled.ends, us)
        if i < len(compiled.starts):
            return _from_us(max(us, compiled.starts[i]))
        years = self._years_after(compiled)
        while not compiled.starts or compiled.starts[0] < us:
            compiled = next(years)
        return _from_us(compiled.starts[0])

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which `duration` of working time has passed since `start`."""
        us = _to_us(start)
        wanted = _duration_us(duration)
        if not wanted:
            return _from_us(us)
        compiled = self._year_at(us)
        target = self._position(compiled, us) + wanted  # from the start of `compiled`
        if target > compiled.total:
            years = self._years_after(compiled)
            while target > compiled.total:
                target -= compiled.total
                compiled = next(years)
        cum = compiled.cum
        i = bisect_left(cum, target) - 1  # cum[i] < target <= cum[i + 1]
        return _from_us(compiled.starts[i] + target - cum[i])

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        """`add` of a whole number of working minutes."""
        return self.add(start, timedelta(minutes=minutes))

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b`; negative when `b` is before `a`."""
        a_us, b_us = _to_us(a), _to_us(b)
        if b_us < a_us:
            return -self.between(b, a)
        compiled = self._year_at(a_us)
        a_position = self._position(compiled, a_us)
        if b_us < compiled.hi:
            return _US * (self._position(compiled, b_us) - a_position)
        total = compiled.total - a_position
        while True:
            if self._last_year is not None and compiled.year >= self._last_year:
                return _US * total
            compiled = self._year(compiled.year + 1)
            if b_us < compiled.hi:
                return _US * (total + self._position(compiled, b_us))
            total += compiled.total

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the last working interval of the `days`-th working day after `start`'s.

        The local day of `start` never counts, even when `start` is before its opening.
        `days == 0` gives `start` back, in UTC.
        """
        _to_us(start)
        if days < 0:
            raise ValueError("a number of working days cannot be negative")
        if days == 0:
            return start.astimezone(UTC)
        local_day = start.astimezone(self.tz).date()
        compiled = self._year(local_day.year)
        index = bisect_right(compiled.days, local_day.toordinal()) + days - 1
        if index >= len(compiled.days):
            years = self._years_after(compiled)
            while index >= len(compiled.days):
                index -= len(compiled.days)
                compiled = next(years)
        return _from_us(compiled.day_ends[index])
