"""The console's reads: the filtered queue, a ticket's page, a customer's page.

Built on the tickets, contracts and channels selectors; what is here only shapes their
results for pages (filters, pages of 50, names of actors). Each page reads a fixed
number of queries whatever the number of rows (the queue's is asserted in a test).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from assistdesk.accounts.roles import Role
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Ticket, TicketTarget
from assistdesk.tickets.selectors import ticket_queue

PAGE_SIZE = 50
UNASSIGNED = "none"
# "123", "AD-000123", "#123", "[AD#123]": a ticket number.
_NUMBER = re.compile(r"^\[?(?:AD)?[-#]?0*(\d{1,9})\]?$", re.IGNORECASE)


@dataclass(frozen=True)
class QueueFilters:
    customer_id: int | None = None
    assignee: str = ""  # a user pk, UNASSIGNED, or "" for anyone
    state: str = ""
    severity: int | None = None
    origin: str = ""
    breached: bool = False
    search: str = ""


def search_number(text: str) -> int | None:
    match = _NUMBER.match(text.strip())
    return int(match.group(1)) if match else None


def _breached(now: datetime) -> Q:
    """A target missed (met False), flagged overdue, or an open one past due now."""
    missed = TicketTarget.objects.filter(ticket=OuterRef("pk")).filter(
        Q(met=False) | Q(is_overdue=True)
    )
    return Q(next_due_at__lt=now) | Q(Exists(missed))


def queue_tickets(filters: QueueFilters, *, now: datetime) -> QuerySet[Ticket]:
    """The queue in §2.4 order (`tickets.selectors.ticket_queue`), filtered, with each
    ticket's SLA targets (one more query for a whole page)."""
    tickets = ticket_queue()
    if filters.customer_id is not None:
        tickets = tickets.filter(customer_id=filters.customer_id)
    if filters.assignee == UNASSIGNED:
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.state:
        tickets = tickets.filter(state=filters.state)
    if filters.severity is not None:
        tickets = tickets.filter(severity=filters.severity)
    if filters.origin:
        tickets = tickets.filter(origin=filters.origin)
    if filters.breached:
        tickets = tickets.filter(_breached(now))
    if filters.search.strip():
        wanted = Q(subject__icontains=filters.search.strip())
        number = search_number(filters.search)
        if number is not None:
            wanted |= Q(number=number)
        tickets = tickets.filter(wanted)
    return tickets.prefetch_related(
        Prefetch(
            "targets", queryset=TicketTarget.objects.order_by("ordinal"), to_attr="target_rows"
        )
    )


def queue_page(filters: QueueFilters, *, page: str | int | None, now: datetime) -> Page[Ticket]:
    paginator = Paginator(queue_tickets(filters, now=now), PAGE_SIZE)
    return paginator.get_page(page)


def assignable_staff() -> list[User]:
    """Who a ticket can be given to: active staff with a technician or dispatcher role."""
    return list(
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name__in=[Role.TECHNICIAN.value, Role.DISPATCHER.value],
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def customer_choices() -> list[tuple[int, str]]:
    return list(Customer.objects.order_by("name").values_list("pk", "name"))


def actor_names(actors: Iterable[str]) -> dict[str, str]:
    """Display names of "user:<pk>" actors (one query); other actors keep their text."""
    pks = {int(a.split(":", 1)[1]) for a in actors if re.fullmatch(r"user:\d+", a or "")}
    users = User.objects.filter(pk__in=pks).only("username", "first_name", "last_name")
    return {f"user:{u.pk}": u.get_full_name() or u.get_username() for u in users}
