"""A request taken by the help desk: the phone, a letter, a visit (§2.8).

The requester list follows the customer chosen: htmx asks this page again with the
form's values when the customer changes and swaps the form (without JavaScript the
list fills in when the form comes back). `ticket_create` decides the rest: only
authorised contacts open billable requests, the plan's channels (phone for emergencies
only), the contract in force.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assistdesk.common import clock
from assistdesk.console.access import StaffRequest, actor_of, console_view
from assistdesk.console.forms import NewTicketForm, show_error
from assistdesk.console.selectors import customer_choices
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.services import ticket_create

ADD = "tickets.add_ticket"


def _contacts(customer_id: object) -> list[tuple[int, str]]:
    if not str(customer_id or "").isdigit():
        return []
    rows = Contact.objects.filter(customer_id=int(str(customer_id))).order_by(
        "-is_authorised", "name"
    )
    return [(c.pk, c.name + ("" if c.is_authorised else f" ({_('not authorised')})")) for c in rows]


@console_view(ADD, methods=("GET", "HEAD", "POST"))
def ticket_new(request: StaffRequest) -> HttpResponse:
    customers = customer_choices()
    status = 200
    if request.method == "POST":
        form = NewTicketForm(
            request.POST, customers=customers, contacts=_contacts(request.POST.get("customer"))
        )
        if form.is_valid():
            data = form.cleaned_data
            customer = Customer.objects.get(pk=data["customer"])
            requester = (
                Contact.objects.filter(pk=data["requester"], customer=customer).first()
                if data["requester"]
                else None
            )
            try:
                ticket = ticket_create(
                    customer=customer,
                    requester=requester,
                    origin=data["origin"],
                    subject=data["subject"],
                    body=data["body"],
                    severity=data["severity"],
                    urgent=True if data["urgent"] else None,
                    kind=data["kind"],
                    actor=actor_of(request),
                    now=clock.now(),
                )
            except TicketError as error:
                show_error(form, error)
            else:
                messages.success(request, _("Ticket %(ref)s opened.") % {"ref": ticket.reference})
                return redirect("console:ticket", number=ticket.number)
        status = 422
    else:
        # A GET with values is htmx (or a bookmark) re-drawing the form for a customer.
        initial = request.GET.dict()
        form = NewTicketForm(
            initial=initial, customers=customers, contacts=_contacts(initial.get("customer"))
        )
    template = "console/_new_ticket_form.html" if request.headers.get("HX-Request") else None
    return render(
        request,
        template or "console/new_ticket.html",
        {"form": form},
        status=status,
    )
