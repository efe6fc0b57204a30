"""Tickets on the portal: list, page (public thread, reply, confirm or reopen), new
request, attachments. Writes go through the ticket services with `actor` "contact:<pk>";
what they refuse is shown, never bypassed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from assistdesk.catalog.models import Origin
from assistdesk.common import clock
from assistdesk.portal import scoping
from assistdesk.portal.forms import ReopenForm, ReplyForm, RequestForm, TicketFilterForm
from assistdesk.portal.scoping import PortalContext, portal_view
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Message, Ticket
from assistdesk.tickets.services import (
    message_attach,
    ticket_close,
    ticket_create,
    ticket_customer_reply,
    ticket_reopen,
)
from assistdesk.tickets.states import TicketState

PAGE_SIZE = 25
# Types a browser may show inline; anything else downloads (no HTML from a mail runs here).
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"}


def is_htmx(request: HttpRequest) -> bool:
    return bool(HtmxDetails(request))


@portal_view("GET")
def ticket_list(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    form = TicketFilterForm(request.GET or None)
    state, text = "open", ""
    if form.is_valid():
        state = form.cleaned_data["state"] or "open"
        text = form.cleaned_data["q"]
    queryset = {
        "open": scoping.tickets_open,
        "resolved": scoping.tickets_to_confirm,
        "closed": scoping.tickets_closed,
        "all": scoping.tickets,
    }[state](portal)
    page = Paginator(scoping.search_tickets(queryset, text), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"portal": portal, "form": form, "page": page, "state": state, "q": text}
    if is_htmx(request):
        return render(request, "portal/_ticket_rows.html", context)
    return render(request, "portal/tickets.html", {**context, "nav": "tickets"})


def _ticket_context(portal: PortalContext, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    return {
        "portal": portal,
        "ticket": ticket,
        "thread": list(scoping.thread(portal, ticket)),
        "interventions": list(scoping.interventions(portal).filter(ticket=ticket)),
        "can_decide": portal.can_decide(ticket),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "nav": "tickets",
    }


@portal_view("GET")
def ticket_detail(request: HttpRequest, portal: PortalContext, number: int) -> HttpResponse:
    ticket = scoping.ticket(portal, number)
    return render(request, "portal/ticket.html", _ticket_context(portal, ticket))


def _attach_all(portal: PortalContext, message: Message, files: list[Any]) -> None:
    for upload in files:
        message_attach(
            message=message,
            name=upload.name or "attachment",
            content=upload.read(),
            content_type=upload.content_type or "",
            actor=portal.actor,
            now=clock.now(),
        )


@portal_view("POST")
def ticket_reply(request: HttpRequest, portal: PortalContext, number: int) -> HttpResponse:
    ticket = scoping.ticket(portal, number)
    form = ReplyForm(request.POST, request.FILES)
    if ticket.state == TicketState.CLOSED:
        form.add_error(None, _("This ticket is closed: reopen it to tell us more."))
    elif form.is_valid():
        try:
            with transaction.atomic():
                message = ticket_customer_reply(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    contact=portal.contact,
                    actor=portal.actor,
                    now=clock.now(),
                )
                _attach_all(portal, message, form.cleaned_data["attachments"])
        except TicketError as error:
            form.add_ticket_error(error)
        else:
            if not is_htmx(request):
                messages.success(request, _("Your reply was added."))
                return redirect("portal:ticket", number=ticket.number)
            form = ReplyForm()
    ticket = scoping.ticket(portal, number)
    context = _ticket_context(portal, ticket, reply_form=form)
    if is_htmx(request):
        # The thread and the form are swapped in place: the page stays where it is.
        return render(request, "portal/_thread.html", context)
    return render(request, "portal/ticket.html", context, status=400)


@portal_view("POST")
def ticket_confirm(request: HttpRequest, portal: PortalContext, number: int) -> HttpResponse:
    """The requester re-read the history and confirms: the ticket closes (and is rated)."""
    ticket = scoping.ticket(portal, number)
    if not portal.can_decide(ticket):
        messages.error(request, _("Only the requester or an authorised contact can confirm."))
    elif ticket.state != TicketState.RESOLVED:
        messages.error(request, _("This ticket is not waiting for your confirmation."))
    else:
        try:
            ticket_close(
                ticket=ticket,
                reason="the requester confirmed the resolution on the portal",
                actor=portal.actor,
                now=clock.now(),
            )
        except TicketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you: the ticket is closed."))
    return redirect("portal:ticket", number=ticket.number)


@portal_view("POST")
def ticket_reopen_view(request: HttpRequest, portal: PortalContext, number: int) -> HttpResponse:
    """Not solved (or the problem is back): reopened, with the reason the contact gives."""
    ticket = scoping.ticket(portal, number)
    form = ReopenForm(request.POST)
    if not portal.can_decide(ticket):
        form.add_error(None, _("Only the requester or an authorised contact can reopen."))
    elif ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED):
        form.add_error(None, _("This ticket is still being worked on."))
    elif form.is_valid():
        try:
            ticket_reopen(
                ticket=ticket,
                reason=form.cleaned_data["reason"],
                actor=portal.actor,
                now=clock.now(),
            )
        except TicketError as error:
            form.add_ticket_error(error)
        else:
            messages.success(request, _("The ticket is reopened: we are on it again."))
            return redirect("portal:ticket", number=ticket.number)
    context = _ticket_context(portal, ticket, reopen_form=form)
    return render(request, "portal/ticket.html", {**context, "show_reopen": True}, status=400)


def _accepts_web(portal: PortalContext, plan: Any) -> bool:
    return plan is None or not plan.channels or Origin.WEB in plan.channels


@portal_view("GET", "POST")
def ticket_new(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    contract = scoping.contract_current(portal, clock.now())
    plan = contract.plan if contract is not None else None
    context: dict[str, Any] = {
        "portal": portal,
        "plan": plan,
        "emergency_phone": getattr(settings, "SUPPORT_EMERGENCY_PHONE", ""),
        "accepts_web": _accepts_web(portal, plan),
        "nav": "new",
    }
    if not portal.can_open_requests or not context["accepts_web"]:
        context["authorised"] = scoping.authorised_contacts(portal)
        status = 403 if request.method == "POST" else 200
        return render(request, "portal/ticket_new.html", context, status=status)
    form = RequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                ticket = ticket_create(
                    customer=portal.customer,
                    requester=portal.contact,
                    origin=Origin.WEB,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    severity=form.cleaned_data["severity"],
                    actor=portal.actor,
                    now=clock.now(),
                )
                request_message = scoping.request_message(portal, ticket)
                if request_message is not None:
                    _attach_all(portal, request_message, form.cleaned_data["attachments"])
        except TicketError as error:
            form.add_ticket_error(error)
        else:
            messages.success(
                request,
                _("Request %(reference)s received. We will answer by e-mail and here.")
                % {"reference": ticket.reference},
            )
            return redirect("portal:ticket", number=ticket.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/ticket_new.html", {**context, "form": form}, status=status)


@portal_view("GET")
def attachment_download(
    request: HttpRequest, portal: PortalContext, attachment_id: int
) -> FileResponse:
    attachment = scoping.attachment(portal, attachment_id)
    inline = attachment.content_type in INLINE_TYPES
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
