"""Working-time calendars (DESIGN.md §2.1).

Terms
- *working interval*: a half-open span [start, end) of instants. The weekly table gives
  them as local wall-clock times ("09:00-13:00", "14:00-18:00"; "24:00" ends the day); a
  local date is a *working day* when at least one of its intervals is not empty.
- The hours of a local date, by precedence: an extra *open* date (its own hours, by
  default those of its weekday, or of the first weekday with hours when its weekday has
  none); an extra *closed* date or a public holiday (`holidays` package, country and
  optional subdivision): none; otherwise the weekly table. `24x7` is every day
  00:00-24:00 and takes no holidays or closed dates: it has no gaps by definition.
- *working time* between two instants: the length of their overlap with the working
  intervals. `add(start, d)` is the earliest instant at which `d` of it has passed since
  `start`: a result that lands on a closing time stays at that closing time, and
  `add(start, 0) == start`. `add_working_days(start, n)`: the end of the last interval
  of the n-th working day after the local day of `start` (which never counts).

Units and invariants
- In and out: aware datetimes only (a naive one is a `ValueError`); results are aware
  UTC. Inside, instants are integer microseconds since the Unix epoch: exact, no floats.
- Durations are real elapsed time. A wall-clock time maps to the first instant at which
  the local clock shows it: in an autumn fold its first occurrence, in a spring gap the
  instant the clock jumps past it. So 08:30-16:30 on a DST day lasts 8 h, 00:00-24:00
  lasts 23 h or 25 h, and a 24x7 calendar is continuous across every transition.
- `between(a, add(a, d)) == d`; `add` is monotonic in `start` and in `d`;
  `between(a, b) == -between(b, a)`.
- Speed: each local year is compiled once, on first use, into sorted arrays of interval
  starts and ends with a prefix sum of working time; `add` and `between` are a few
  bisections. A calendar keeps at most 64 compiled years.
"""

from assistdesk.domain.calendar.core import (
    TWENTY_FOUR_SEVEN,
    WEEKDAYS,
    Calendar,
    load_holiday_tables,
)
from assistdesk.domain.calendar.spec import Hours

__all__ = ["TWENTY_FOUR_SEVEN", "WEEKDAYS", "Calendar", "Hours", "load_holiday_tables"]
