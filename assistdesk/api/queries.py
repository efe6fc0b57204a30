"""The list and lookup queries of the API: filters, orderings and the customer scope.

Reads only. Every query takes the token's `customer` (None for the provider's tokens) and
never returns another company's rows to a customer-scoped token, so a view cannot forget
the scope. Each list query fetches its related rows up front: one page costs a fixed
number of queries, whatever its length.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from assistdesk.billing.models import Invoice, InvoiceLine
from assistdesk.contracts.models import Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets.models import Intervention, Part, Ticket, TicketTarget
from assistdesk.tickets.selectors import QUEUE_ORDER

Scope = Customer | None


def _scoped(rows: QuerySet[Any], scope: Scope, field: str = "customer") -> QuerySet[Any]:
    return rows if scope is None else rows.filter(**{field: scope})


def customers(scope: Scope, f: dict[str, Any]) -> QuerySet[Customer]:
    rows = Customer.objects.all() if scope is None else Customer.objects.filter(pk=scope.pk)
    if "updated_since" in f:
        rows = rows.filter(updated_at__gte=f["updated_since"])
    return rows.order_by(f.get("ordering", "name"), "id")


def customer(scope: Scope, key: str) -> Customer | None:
    return customers(scope, {}).filter(key=key).first()


def contacts(scope: Scope, f: dict[str, Any]) -> QuerySet[Contact]:
    rows = _scoped(Contact.objects.select_related("customer"), scope)
    if "customer" in f:
        rows = rows.filter(customer__key=f["customer"])
    if f.get("is_authorised") is not None:
        rows = rows.filter(is_authorised=f["is_authorised"])
    if "email" in f:
        rows = rows.filter(email__iexact=f["email"])
    if "updated_since" in f:
        rows = rows.filter(updated_at__gte=f["updated_since"])
    return rows.order_by("customer__key", "name", "id")


def contracts(scope: Scope, f: dict[str, Any]) -> QuerySet[Contract]:
    rows = _scoped(Contract.objects.select_related("customer", "plan", "converts_to_plan"), scope)
    if "customer" in f:
        rows = rows.filter(customer__key=f["customer"])
    if "state" in f:
        rows = rows.filter(state=f["state"])
    if "plan" in f:
        rows = rows.filter(plan__key=f["plan"])
    if "updated_since" in f:
        rows = rows.filter(updated_at__gte=f["updated_since"])
    return rows.order_by("customer__key", "-start_on", "id")


_TICKET_RELATED = ("customer", "plan", "assignee")


def tickets(scope: Scope, f: dict[str, Any]) -> QuerySet[Ticket]:
    rows = _scoped(Ticket.objects.select_related(*_TICKET_RELATED), scope)
    for name in ("state", "origin", "severity", "kind"):
        if name in f:
            rows = rows.filter(**{name: f[name]})
    if "customer" in f:
        rows = rows.filter(customer__key=f["customer"])
    if "assignee" in f:
        rows = rows.filter(assignee__username=f["assignee"])
    if f.get("is_open") is not None:
        rows = rows.filter(in_queue=f["is_open"])
    if "updated_since" in f:
        rows = rows.filter(updated_at__gte=f["updated_since"])
    if "received_since" in f:
        rows = rows.filter(received_at__gte=f["received_since"])
    ordering = f.get("ordering", "-received_at")
    if ordering == "queue":
        return rows.order_by(*QUEUE_ORDER)
    return rows.order_by(ordering, "-id" if ordering.startswith("-") else "id")


def _targets() -> Prefetch[Any]:
    return Prefetch("targets", queryset=TicketTarget.objects.order_by("ordinal"))


def ticket(scope: Scope, number: int) -> Ticket | None:
    """One ticket with its targets; None when it does not exist or is not the scope's."""
    rows = _scoped(Ticket.objects.select_related(*_TICKET_RELATED), scope)
    return rows.prefetch_related(_targets()).filter(number=number).first()


def with_targets(ticket: Ticket) -> Ticket:
    prefetch_related_objects([ticket], _targets())
    return ticket


def _interventions() -> QuerySet[Intervention]:
    parts = Prefetch("parts", queryset=Part.objects.order_by("id"))
    return Intervention.objects.select_related("ticket", "technician").prefetch_related(parts)


def interventions(scope: Scope, f: dict[str, Any]) -> QuerySet[Intervention]:
    rows = _scoped(_interventions(), scope, "ticket__customer")
    if "customer" in f:
        rows = rows.filter(ticket__customer__key=f["customer"])
    if "ticket" in f:
        rows = rows.filter(ticket__number=f["ticket"])
    if "technician" in f:
        rows = rows.filter(technician__username=f["technician"])
    if "mode" in f:
        rows = rows.filter(mode=f["mode"])
    if "started_since" in f:
        rows = rows.filter(start_at__gte=f["started_since"])
    if "recorded_since" in f:
        rows = rows.filter(created_at__gte=f["recorded_since"])
    return rows.order_by("-start_at", "-id")


def ticket_interventions(ticket: Ticket) -> QuerySet[Intervention]:
    return _interventions().filter(ticket=ticket).order_by("start_at", "id")


def intervention(scope: Scope, pk: int) -> Intervention | None:
    return _scoped(_interventions(), scope, "ticket__customer").filter(pk=pk).first()


def invoices(scope: Scope, f: dict[str, Any]) -> QuerySet[Invoice]:
    rows = _scoped(Invoice.objects.select_related("customer", "period", "credited_invoice"), scope)
    if "customer" in f:
        rows = rows.filter(customer__key=f["customer"])
    if "kind" in f:
        rows = rows.filter(kind=f["kind"])
    if "period" in f:
        rows = rows.filter(period__key=f["period"])
    if "issued_since" in f:
        rows = rows.filter(issued_on__gte=f["issued_since"])
    return rows.order_by("-issued_on", "-id")


def invoice(scope: Scope, pk: int) -> Invoice | None:
    lines = Prefetch("lines", queryset=InvoiceLine.objects.order_by("position"))
    return invoices(scope, {}).prefetch_related(lines).filter(pk=pk).first()
