"""Ticket states and the transitions between them (DESIGN.md §2.4).

One table, `ALLOWED_TRANSITIONS`, says which moves exist; `ticket_transition` (services)
is the only code that changes a ticket's state, and it checks this table. The convenience
services (reply, log an intervention, resolve, close) walk the shortest chain of allowed
transitions to where they need the ticket to be (`path_to`), each step recorded, so a
technician is never made to click through every state and the history stays complete.

Pure Python: no Django, so the table can be read and tested on its own.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class TicketState(StrEnum):
    NEW = "new"  # received (mail, web, phone, monitoring), nobody has looked at it yet
    ACKNOWLEDGED = "acknowledged"  # the customer was told we have it (not a response, §2.2)
    ASSIGNED = "assigned"  # a dispatcher gave it to a technician
    IN_PROGRESS = "in_progress"  # someone is working on it (answered, intervened)
    WAITING_CUSTOMER = "waiting_customer"  # needs the customer: resolution/change clocks stop
    RESOLVED = "resolved"  # solution given; the requester confirms (closed) or not (reopened)
    REOPENED = "reopened"  # the requester did not confirm: back to work
    CLOSED = "closed"  # validated and archived for accounting; rated (§2.6)


S = TicketState

ALLOWED_TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.NEW: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.ASSIGNED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.WAITING_CUSTOMER, S.RESOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.ASSIGNED}),
    # Decision (§2.4 is silent): a closed ticket may be reopened, e.g. after an auto-close
    # the customer writes that the problem is back. Its rating is then superseded and its
    # allowance uses reversed; closing again rates it again (docs/tickets.md).
    S.CLOSED: frozenset({S.REOPENED}),
}

# States a ticket is worked in; the queue (`selectors.ticket_queue`) shows only these.
QUEUED_STATES = frozenset(
    {S.NEW, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.REOPENED}
)
# Where work on a ticket (answers, interventions) can be recorded without reopening it.
WORKABLE_STATES = QUEUED_STATES | {S.RESOLVED}


def is_allowed(from_state: TicketState, to_state: TicketState) -> bool:
    return to_state in ALLOWED_TRANSITIONS[from_state]


def path_to(
    from_state: TicketState,
    to_state: TicketState,
    *,
    avoid: frozenset[TicketState] = frozenset(),
) -> list[TicketState] | None:
    """The states to pass through, in order, to get from one state to another.

    Shortest chain of allowed transitions (breadth first, neighbours in the enum's order
    so the result never depends on set ordering), never entering a state of `avoid`
    unless it is the target; `[]` when already there; None when it cannot be reached.
    The convenience services avoid `reopened` and `closed`: reopening is the customer's
    (or a dispatcher's) decision, never a side effect of logging work.
    """
    if from_state == to_state:
        return []
    order = list(TicketState)
    previous: dict[TicketState, TicketState] = {}
    queue = deque([from_state])
    while queue:
        state = queue.popleft()
        for nxt in sorted(ALLOWED_TRANSITIONS[state], key=order.index):
            if nxt in previous or nxt == from_state or (nxt in avoid and nxt != to_state):
                continue
            previous[nxt] = state
            if nxt == to_state:
                chain = [nxt]
                while previous[chain[-1]] != from_state:
                    chain.append(previous[chain[-1]])
                return list(reversed(chain))
            queue.append(nxt)
    return None
