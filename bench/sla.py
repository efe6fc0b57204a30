"""Working-time arithmetic: AssistDesk's Calendar against businesstimedelta.

Both get the same 100 000 random (start, duration) pairs, fixed seed, on the same
calendar: Monday to Friday 08:30-16:30, Europe/Rome, Italian public holidays. Starts are
aware UTC instants over 2025-2027, durations 1 minute to 40 working hours in whole
minutes. `between` is timed on (start, add(start, duration)). Each library gets its
inputs prebuilt (timedelta / BusinessTimeDelta); AssistDesk's timing includes compiling
its calendar years on first use. businesstimedelta is given the holidays as a plain set
of dates, which makes it faster than with a `holidays` object. Results are checked equal.

    .venv/bin/python bench/sla.py [--sample N]

prints two lines:
    sla-add: assistdesk N ops/s, businesstimedelta M ops/s, ratio R
    sla-between: assistdesk N ops/s, businesstimedelta M ops/s, ratio R
`--sample N` times businesstimedelta on the first N pairs only (it needs ~1 min for all);
the line then says so.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import businesstimedelta as btd
import holidays
import pytz

from assistdesk.domain.calendar import Calendar

PAIRS = 100_000
SEED = 20260101
TIMEZONE = "Europe/Rome"
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 3 * 365 * 24 * 60


def assistdesk_calendar() -> Calendar:
    week = {day: ["08:30-16:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
    return Calendar(TIMEZONE, week, holidays_country="IT")


def businesstimedelta_rules() -> btd.Rules:
    tz = pytz.timezone(TIMEZONE)
    holiday_dates: frozenset[date] = frozenset(
        holidays.country_holidays("IT", years=range(2024, 2030))
    )
    return btd.Rules(
        [
            btd.WorkDayRule(clock(8, 30), clock(16, 30), [0, 1, 2, 3, 4], tz=tz),
            btd.HolidayRule(holiday_dates, tz=tz),
        ]
    )


def timed(run: Callable[[], list[object]], count: int) -> tuple[float, list[object]]:
    started = time.perf_counter()
    results = run()
    return count / (time.perf_counter() - started), results


def line(name: str, ours: float, theirs: float, sample: int) -> str:
    subset = "" if sample == PAIRS else f" (timed on {sample} of the {PAIRS} pairs)"
    return (
        f"{name}: assistdesk {ours:.0f} ops/s, businesstimedelta {theirs:.0f} ops/s{subset}, "
        f"ratio {ours / theirs:.1f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=PAIRS, help="pairs for businesstimedelta")
    sample = max(1, min(PAIRS, parser.parse_args(argv).sample))

    rng = random.Random(SEED)
    starts = [FIRST + timedelta(minutes=rng.randrange(SPAN_MINUTES)) for _ in range(PAIRS)]
    durations = [timedelta(minutes=rng.randrange(1, 40 * 60 + 1)) for _ in range(PAIRS)]

    calendar = assistdesk_calendar()
    add = calendar.add
    ours_add, dues = timed(
        lambda: [add(s, d) for s, d in zip(starts, durations, strict=True)], PAIRS
    )

    rules = businesstimedelta_rules()
    deltas = [btd.BusinessTimeDelta(rules, timedelta=d) for d in durations[:sample]]
    theirs_add, their_dues = timed(
        lambda: [s + d for s, d in zip(starts, deltas, strict=False)], sample
    )

    between = calendar.between
    ours_between, spans = timed(
        lambda: [between(s, e) for s, e in zip(starts, dues, strict=True)], PAIRS
    )
    difference = rules.difference
    theirs_between, their_spans = timed(
        lambda: [difference(s, e).timedelta for s, e in zip(starts, dues[:sample], strict=False)],
        sample,
    )

    if dues[:sample] != their_dues or spans[:sample] != their_spans or spans != durations:
        print("sla bench: the two libraries disagree", file=sys.stderr)
        return 1
    print(line("sla-add", ours_add, theirs_add, sample))
    print(line("sla-between", ours_between, theirs_between, sample))
    return 0


if __name__ == "__main__":
    sys.exit(main())
