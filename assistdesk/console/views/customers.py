"""A customer's page: contracts, allowance balances, contacts, tickets, invoices."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from assistdesk.billing.documents import invoice_pdf
from assistdesk.billing.models import Invoice, InvoiceDocument
from assistdesk.common import clock
from assistdesk.console.access import StaffRequest, console_view
from assistdesk.contracts.models import Contract
from assistdesk.contracts.selectors import contracts_in_force, customer_allowances
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Ticket

TICKETS_PER_PAGE = 25


@console_view()
def customer_detail(request: StaffRequest, key: str) -> HttpResponse:
    customer = get_object_or_404(Customer, key=key)
    now = clock.now()
    in_force = {c.pk for c in contracts_in_force(customer=customer, at=now)}
    contracts = list(
        Contract.objects.filter(customer=customer)
        .select_related("plan")
        .order_by("-start_on", "-id")
    )
    tickets = Paginator(
        Ticket.objects.filter(customer=customer)
        .select_related("assignee", "requester")
        .order_by("-received_at", "-id"),
        TICKETS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    can_bill = request.user.has_perm("billing.view_invoice")
    invoices = (
        list(Invoice.objects.filter(customer=customer).order_by("-issued_on", "-number")[:24])
        if can_bill
        else []
    )
    context = {
        "customer": customer,
        "contracts": contracts,
        "in_force": in_force,
        "allowances": customer_allowances(customer=customer, touched_since=now),
        "contacts": list(customer.contacts.order_by("name")),
        "tickets": tickets,
        "can_bill": can_bill,
        "invoices": invoices,
        "now": now,
    }
    return render(request, "console/customer.html", context)


@console_view("billing.view_invoice")
def invoice_pdf_view(request: StaffRequest, pk: int) -> HttpResponse:
    """An issued invoice or credit note as PDF: the copy sent when there is one (an
    issued invoice never changes), else rendered now from the same rows."""
    invoice = get_object_or_404(Invoice, pk=pk)
    stored = InvoiceDocument.objects.filter(invoice=invoice).first()
    content = bytes(stored.pdf) if stored is not None else invoice_pdf(invoice)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
