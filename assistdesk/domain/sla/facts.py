"""A ticket's facts as the SLA sees them, gathered from its recorded events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from assistdesk.domain.errors import DomainError


class TicketKind(StrEnum):
    SUPPORT = "support"
    CHANGE = "change"
    DEVELOPMENT = "development"


class EventType(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # automatic receipt notice: not a response
    CONFIRMATION = "confirmation"  # confirmation of intervention: a response
    RESPONSE = "response"  # public reply: a response
    INTERVENTION = "intervention"  # `at` is its start, `mode` remote | onsite | phone
    WAITING = "waiting"  # waiting for the customer: pauses resolution and change
    CUSTOMER_REPLY = "customer_reply"  # the customer answered: resumes them
    RESOLVED = "resolved"
    REOPENED = "reopened"  # the requester did not confirm: not resolved any more
    CLOSED = "closed"  # validated; implies resolved


def require_aware(at: datetime, name: str) -> datetime:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {at!r}")
    return at


@dataclass(frozen=True)
class TicketEvent:
    type: EventType
    at: datetime
    mode: str | None = None  # interventions only


@dataclass(frozen=True)
class TicketFacts:
    """What the SLA needs to know about a ticket. Pauses are (start, end or None)."""

    received_at: datetime
    severity: int = 3
    urgent: bool | None = None  # None: severity 1 is urgent (§2.4)
    kind: TicketKind = TicketKind.SUPPORT
    first_response_at: datetime | None = None
    first_onsite_at: datetime | None = None
    resolved_at: datetime | None = None
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()

    def __post_init__(self) -> None:
        require_aware(self.received_at, "received_at")
        for name in ("first_response_at", "first_onsite_at", "resolved_at"):
            at = getattr(self, name)
            if at is not None:
                require_aware(at, name)
        for start, end in self.pauses:
            require_aware(start, "a pause's start")
            if end is not None and require_aware(end, "a pause's end") < start:
                raise DomainError(f"a pause ends before it starts: {start} > {end}")

    @property
    def is_urgent(self) -> bool:
        return self.severity == 1 if self.urgent is None else self.urgent


def ticket_facts(
    received_at: datetime,
    events: Iterable[TicketEvent],
    *,
    severity: int = 3,
    urgent: bool | None = None,
    kind: TicketKind = TicketKind.SUPPORT,
) -> TicketFacts:
    """The facts from a ticket's recorded events (in any order; ties keep their order)."""
    require_aware(received_at, "received_at")
    response_at = onsite_at = resolved_at = waiting_since = None
    pauses: list[tuple[datetime, datetime | None]] = []
    for event in sorted(events, key=lambda e: require_aware(e.at, f"{e.type} event")):
        if event.at < received_at:
            raise DomainError(f"a {event.type} event at {event.at} precedes the receipt")
        match event.type:
            case EventType.CONFIRMATION | EventType.RESPONSE if response_at is None:
                response_at = event.at
            case EventType.INTERVENTION if event.mode == "onsite" and onsite_at is None:
                onsite_at = event.at
            case EventType.WAITING if waiting_since is None:
                waiting_since = event.at
            case EventType.REOPENED:
                resolved_at = None
            case EventType.RESOLVED | EventType.CLOSED if resolved_at is None:
                resolved_at = event.at
        ends_wait = event.type in (EventType.CUSTOMER_REPLY, EventType.RESOLVED, EventType.CLOSED)
        if ends_wait and waiting_since is not None:
            pauses.append((waiting_since, event.at))
            waiting_since = None
    if waiting_since is not None:
        pauses.append((waiting_since, None))
    return TicketFacts(
        received_at=received_at,
        severity=severity,
        urgent=urgent,
        kind=kind,
        first_response_at=response_at,
        first_onsite_at=onsite_at,
        resolved_at=resolved_at,
        pauses=tuple(pauses),
    )


def facts_as_of(facts: TicketFacts, now: datetime) -> TicketFacts:
    """The facts as they stood at `now`: later instants have not happened yet."""

    def seen(at: datetime | None) -> datetime | None:
        return at if at is not None and at <= now else None

    pauses = tuple((start, seen(end)) for start, end in facts.pauses if start <= now)
    return TicketFacts(
        received_at=facts.received_at,
        severity=facts.severity,
        urgent=facts.urgent,
        kind=facts.kind,
        first_response_at=seen(facts.first_response_at),
        first_onsite_at=seen(facts.first_onsite_at),
        resolved_at=seen(facts.resolved_at),
        pauses=pauses,
    )
