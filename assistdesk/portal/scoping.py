"""The one place the portal decides what a contact may see: their company's rows, no other.

Every portal view is wrapped by `portal_view`, which resolves the signed-in user to a
`PortalContext` (the contact and their company) and hands it to the view. Every read the
portal makes is a function of this module that takes that context and filters by its
customer; views never touch a model manager themselves. So a new page cannot forget the
filter, and the isolation test (tests/test_isolation.py) checks every URL of the app.

An object of another company is answered exactly like an id that does not exist: the
same `Http404`, raised by `not_found()`, so a contact cannot even learn that the id is
in use (ticket numbers are global and sequential).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assistdesk.billing.models import Invoice, InvoiceDocument, Statement
from assistdesk.common import clock
from assistdesk.contracts.models import BucketKind, Contract
from assistdesk.contracts.selectors import (
    AllowanceLine,
    contracts_in_force,
    customer_allowances,
    customer_buckets,
)
from assistdesk.customers.models import Contact, Customer
from assistdesk.portal import language
from assistdesk.tickets.models import Attachment, Intervention, Message, Ticket
from assistdesk.tickets.selectors import ticket_thread
from assistdesk.tickets.states import QUEUED_STATES, TicketState

NOT_FOUND_MESSAGE = "Not found"
# The portal shows what strangers wrote (mail bodies, file names): the browser is told to
# run and load nothing but our own files, whatever slips through.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def with_security_headers(response: HttpResponseBase) -> HttpResponseBase:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def not_found() -> Http404:
    """The one answer for "not yours" and "does not exist"."""
    return Http404(NOT_FOUND_MESSAGE)


@dataclass(frozen=True)
class PortalContext:
    """Who is asking: a contact of one customer, and what the contact may do."""

    contact: Contact
    customer: Customer
    zone: ZoneInfo  # the zone of the customer's plan calendar: dates shown as they live them

    @property
    def actor(self) -> str:
        return f"contact:{self.contact.pk}"

    @property
    def can_open_requests(self) -> bool:
        """§2.4: only authorised contacts open billable requests."""
        return self.contact.is_authorised

    @property
    def can_see_invoices(self) -> bool:
        """Money is for the people who handle it: accounting and authorised contacts."""
        return self.contact.is_authorised or self.contact.is_accounting

    def can_decide(self, ticket: Ticket) -> bool:
        """Seed 004: the requester re-reads the history and confirms or reopens. An
        authorised contact may do it for a requester who is away."""
        return ticket.requester_id == self.contact.pk or self.contact.is_authorised


def portal_context(request: HttpRequest) -> PortalContext | None:
    """The contact behind the request, or None when the user is not a portal user (staff
    accounts and users without a contact never are)."""
    contact = portal_contact(request.user)
    if contact is None:
        return None
    return PortalContext(contact=contact, customer=contact.customer, zone=_zone(contact.customer))


def portal_contact(user: Any) -> Contact | None:
    """The contact a user signs in as; None for staff and for users without a contact."""
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return None
    return Contact.objects.select_related("customer").filter(user=user).first()


def _zone(customer: Customer) -> ZoneInfo:
    found = contracts_in_force(customer=customer, at=clock.now())
    return found[0].plan.calendar.zone() if found else ZoneInfo("UTC")


# A portal view takes (request, portal, **url_kwargs); the URL resolver calls the wrapper
# with (request, **url_kwargs).
PortalView = Callable[..., HttpResponseBase]


def portal_view(*methods: str) -> Callable[[PortalView], PortalView]:
    """Decorate a view that takes `(request, portal, ...)`: sign-in, portal user, methods.

    Anonymous users go to the portal's login; a signed-in non-portal user (staff) gets a
    403 page saying so. Dates render in the customer's time zone. The allowed methods are
    kept on the view (`portal_methods`) so the isolation test requests each one.
    """
    allowed = tuple(m.upper() for m in methods) or ("GET",)

    def decorate(view: PortalView) -> PortalView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("portal:login"))
            portal = portal_context(request)
            if portal is None:
                page = render(request, "portal/not_a_portal_user.html", status=403)
                return with_security_headers(page)
            if request.method not in allowed and not (
                request.method == "HEAD" and "GET" in allowed
            ):
                return HttpResponseNotAllowed(allowed)
            first_visit = (
                None if language.has_chosen(request) else language.activate_for(portal.contact)
            )
            with timezone.override(portal.zone):
                response = view(request, portal, *args, **kwargs)
            if first_visit is not None:
                language.remember(response, first_visit)
            return with_security_headers(response)

        wrapper.portal_methods = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorate


# --- tickets ---------------------------------------------------------------------------------

OPEN_STATES = tuple(s.value for s in QUEUED_STATES | {TicketState.RESOLVED})


def tickets(portal: PortalContext) -> QuerySet[Ticket]:
    """The company's tickets, newest first, with what a list row shows."""
    return (
        Ticket.objects.filter(customer=portal.customer)
        .select_related("requester")
        .order_by("-received_at", "-id")
    )


def tickets_open(portal: PortalContext) -> QuerySet[Ticket]:
    return tickets(portal).filter(state__in=OPEN_STATES)


def tickets_to_confirm(portal: PortalContext) -> QuerySet[Ticket]:
    """Resolved tickets waiting for the requester to confirm or reopen (seed 004)."""
    return tickets(portal).filter(state=TicketState.RESOLVED)


def tickets_closed(portal: PortalContext) -> QuerySet[Ticket]:
    return tickets(portal).filter(state=TicketState.CLOSED)


def ticket(portal: PortalContext, number: int) -> Ticket:
    found = (
        Ticket.objects.filter(customer=portal.customer, number=number)
        .select_related("requester", "plan", "contract")
        .first()
    )
    if found is None:
        raise not_found()
    return found


def thread(portal: PortalContext, ticket: Ticket) -> QuerySet[Message]:
    """The public thread: internal notes never reach the portal."""
    if ticket.customer_id != portal.customer.pk:
        raise not_found()
    return ticket_thread(ticket=ticket, include_internal=False).order_by("sent_at", "id")


def request_message(portal: PortalContext, ticket: Ticket) -> Message | None:
    """The request a ticket was opened with (its first message), where files go."""
    return (
        Message.objects.filter(ticket=ticket, ticket__customer=portal.customer, kind="request")
        .order_by("id")
        .first()
    )


def attachment(portal: PortalContext, attachment_id: int) -> Attachment:
    """A file of a public message of the company's tickets (never one of a note)."""
    found = (
        Attachment.objects.filter(
            pk=attachment_id,
            message__ticket__customer=portal.customer,
            message__is_public=True,
        )
        .select_related("message__ticket")
        .first()
    )
    if found is None:
        raise not_found()
    return found


# --- interventions ---------------------------------------------------------------------------


def interventions(portal: PortalContext) -> QuerySet[Intervention]:
    return (
        Intervention.objects.filter(ticket__customer=portal.customer)
        .select_related("ticket", "technician")
        .prefetch_related("parts")  # `minutes` reads them (the remote-tool minimum)
        .order_by("-start_at", "-id")
    )


def intervention(portal: PortalContext, intervention_id: int) -> Intervention:
    found = interventions(portal).filter(pk=intervention_id).first()
    if found is None:
        raise not_found()
    return found


# --- contracts and allowances ----------------------------------------------------------------


def contracts(portal: PortalContext) -> QuerySet[Contract]:
    """The company's contracts, the latest start first."""
    return (
        Contract.objects.filter(customer=portal.customer)
        .select_related("plan", "plan__calendar")
        .prefetch_related("plan__allowances", "plan__targets")
        .order_by("-start_on", "-id")
    )


def contract_current(portal: PortalContext, now: datetime) -> Contract | None:
    found = contracts_in_force(customer=portal.customer, at=now)
    return found[0] if found else None


@dataclass(frozen=True)
class Allowance:
    line: AllowanceLine  # granted, used, expired, left, expires_on: the contracts selector's
    kind: str  # monthly | package
    mode: str  # a package's mode, blank for a monthly allowance
    plan_name: str
    granted_on: date  # local date in the plan's calendar
    is_valid: bool  # usable now
    is_expiring_soon: bool  # a package within its plan's notice days, with minutes left

    @property
    def percent_left(self) -> int:
        granted = self.line.granted_minutes
        if granted <= 0:
            return 0
        return max(0, min(100, int(self.line.left_minutes * 100 / granted)))


def allowances(portal: PortalContext, now: datetime) -> list[Allowance]:
    """The contracts selector's lines (granted, used, left, expiring), with what the
    portal adds: whether each is usable now and expiring soon (the plan's notice days)."""
    lines = customer_allowances(customer=portal.customer)
    buckets = {
        b.key: b
        for b in customer_buckets(customer=portal.customer).select_related("plan__calendar")
    }
    result = []
    for line in lines:
        bucket = buckets[line.source]
        is_valid = bucket.granted_at <= now < bucket.expires_at
        notice = timedelta(days=bucket.plan.expiry_notice_days or 0)
        result.append(
            Allowance(
                line=line,
                kind=bucket.kind,
                mode=bucket.mode,
                plan_name=bucket.plan.name,
                granted_on=bucket.plan.calendar.local_date(bucket.granted_at),
                is_valid=is_valid,
                # A month's allowance always ends with the month: only packages "expire".
                is_expiring_soon=is_valid
                and bucket.kind == BucketKind.PACKAGE
                and line.left_minutes > 0
                and bucket.expires_at - now <= notice,
            )
        )
    return result


# --- billing documents -----------------------------------------------------------------------


def invoices(portal: PortalContext) -> QuerySet[Invoice]:
    """Issued invoices and credit notes; none for a contact who may not see money."""
    if not portal.can_see_invoices:
        return Invoice.objects.none()
    found: QuerySet[Invoice] = (
        Invoice.objects.filter(customer=portal.customer)
        .select_related("period", "credited_invoice")
        .order_by("-issued_on", "-number")
    )
    return found


def invoice(portal: PortalContext, invoice_id: int) -> Invoice:
    found = invoices(portal).filter(pk=invoice_id).first()
    if found is None:
        raise not_found()
    return found


def invoice_document(portal: PortalContext, invoice: Invoice) -> InvoiceDocument | None:
    """The PDF stored for one of the company's invoices, if it was rendered."""
    if invoice.customer_id != portal.customer.pk or not portal.can_see_invoices:
        raise not_found()
    return InvoiceDocument.objects.filter(invoice=invoice).first()


def statements(portal: PortalContext) -> QuerySet[Statement]:
    return (
        Statement.objects.filter(customer=portal.customer)
        .select_related("period")
        .defer("pdf")
        .order_by("-period__starts_on", "-id")
    )


def statement(portal: PortalContext, statement_id: int) -> Statement:
    found = Statement.objects.filter(customer=portal.customer, pk=statement_id).first()
    if found is None:
        raise not_found()
    return found


def authorised_contacts(portal: PortalContext) -> list[Contact]:
    """Whom a non-authorised contact should ask to open a request."""
    return list(
        Contact.objects.filter(customer=portal.customer, is_authorised=True).order_by("name")
    )


def money_contacts(portal: PortalContext) -> list[Contact]:
    """Whom a contact who may not see invoices should ask for them."""
    return list(
        Contact.objects.filter(customer=portal.customer)
        .filter(Q(is_accounting=True) | Q(is_authorised=True))
        .order_by("-is_accounting", "name")
    )


def search_tickets(queryset: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """Narrow an already scoped queryset by subject words or a number (AD-000123, 123)."""
    text = text.strip()
    if not text:
        return queryset
    digits = "".join(ch for ch in text if ch.isdigit())
    condition = Q(subject__icontains=text)
    if digits and len(digits) <= 9:
        condition |= Q(number=int(digits))
    return queryset.filter(condition)
