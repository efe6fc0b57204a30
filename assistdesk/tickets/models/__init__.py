"""Tickets: history, thread, interventions and rating (DESIGN.md §2.4 to §2.6)."""

from assistdesk.tickets.models.rating import Charge, ChargeType, TicketRating
from assistdesk.tickets.models.thread import Attachment, Message, MessageKind
from assistdesk.tickets.models.tickets import (
    EventKind,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketNumberSequence,
    TicketTarget,
)
from assistdesk.tickets.models.work import Activity, Intervention, InterventionMode, Part

__all__ = [
    "Activity",
    "Attachment",
    "Charge",
    "ChargeType",
    "EventKind",
    "Intervention",
    "InterventionMode",
    "Message",
    "MessageKind",
    "Part",
    "Ticket",
    "TicketEvent",
    "TicketKind",
    "TicketNumberSequence",
    "TicketRating",
    "TicketTarget",
]
