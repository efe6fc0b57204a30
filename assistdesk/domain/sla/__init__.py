"""SLA targets, clocks and lateness penalties (DESIGN.md §2.2).

Terms
- *target*: a promise of a plan: a kind, optionally limited to urgent or non-urgent
  tickets and/or one severity, a duration in working minutes or working days, and the
  calendar that measures it. Kinds: `response` (first written answer: a confirmation of
  intervention or a public reply; an acknowledgement does not count), `onsite` (start of
  the first on-site intervention; applies only to tickets that had one), `resolution`
  (ticket resolved; any ticket kind) and `change` (resolution of a ticket of kind change).
- *clock*: starts at receipt. `resolution` and `change` clocks stop while the ticket waits
  for the customer, so their due instant moves later by the working time spent waiting;
  a wait that starts after the clock ran out changes nothing. A wait still open at `now`
  is taken to end at `now`: the due instant keeps moving while it lasts.
- *due*: the instant the clock reaches the target's duration. A target of n working days
  is the working time from receipt to `add_working_days(received, n)`.
- *lateness*: working time, in the target's calendar, from due to actual (or, while the
  target is open, to `now`), a wait after the due instant included (§2.2 read literally).
  A target is *met* when its lateness is zero, so an answer after closing time but before
  the next opening is on time: no working time was lost.
- *facts* from events: the first confirmation or public reply is the response; the first
  on-site intervention's start is the visit; the first resolution since the last
  reopening is the resolution (closing implies one); a resolution also ends a wait.

Units and decisions
- `late_minutes` is lateness rounded UP to whole minutes: 1 s late is 1 minute late, so
  `met is False` always comes with `late_minutes >= 1`, and the started hours of the
  discount are the same whether counted from seconds or from `late_minutes`.
- While a target is open, `actual_at` and `met` are None (FORMAT.md); `late_minutes` is
  the lateness so far and `is_overdue` tells whether it is already late.
- Penalties are data (`Penalties`); fractions are `Decimal`, never float. Only decided
  targets (`met is False`) trigger them: discount = per-hour rate x started hours of the
  response lateness, at most 1; urgent tickets get no discount, non-urgent ones no free
  on-site.
- Pure: no clock is read; facts after `now` are ignored, so a replay gives the state the
  ticket had at any `now`.
"""

from assistdesk.domain.sla.clock import TargetResult, applicable_targets, sla_state
from assistdesk.domain.sla.facts import (
    EventType,
    TicketEvent,
    TicketFacts,
    TicketKind,
    ticket_facts,
)
from assistdesk.domain.sla.penalties import Penalties, PenaltyOutcome, penalty_outcome
from assistdesk.domain.sla.targets import PAUSING_KINDS, Target, TargetKind, targets_from_spec

__all__ = [
    "PAUSING_KINDS",
    "EventType",
    "Penalties",
    "PenaltyOutcome",
    "Target",
    "TargetKind",
    "TargetResult",
    "TicketEvent",
    "TicketFacts",
    "TicketKind",
    "applicable_targets",
    "penalty_outcome",
    "sla_state",
    "targets_from_spec",
    "ticket_facts",
]
