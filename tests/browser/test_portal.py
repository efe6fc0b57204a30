"""The customer portal in a real browser: one customer confirms a resolved ticket at
1280 px, another reopens theirs from a phone with a reason (refused without one).
Screenshots in test-artifacts/screenshots/portal-*.png; no page may log an error (a
Content-Security-Policy violation is one) or open a dialog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from assistdesk.catalog.models import Plan
from assistdesk.common import clock
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.tests.factories import ContactFactory
from assistdesk.tickets import services
from assistdesk.tickets.models import Ticket, TicketEvent
from assistdesk.tickets.selectors import ticket_rating
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec
from tests.browser.conftest import PageEvents

ROME = ZoneInfo("Europe/Rome")
EXPERT = plan_spec(
    "expert",
    name="Expert",
    rates={
        "remote_support": {
            "activity": "support",
            "mode": "remote",
            "price": "25",
            "per_minutes": 30,
            "round_to_minutes": 30,
        }
    },
    allowances=[{"minutes": 300, "rates": ["remote_support"]}],
    minimum_minutes=30,
    penalties={},
    sla=[{"kind": "response", "urgent": False, "working_hours": 6}],
    channels={"origins": ["email", "web", "phone"], "phone_emergency_only": True},
)


@dataclass
class Company:
    customer: Customer
    contact: Contact
    ticket: Ticket


def company_with_a_resolved_ticket(key: str, *, language: str, now: datetime) -> Company:
    """A company on seed 004's Expert plan whose contact's printer was fixed an hour ago."""
    plan = (
        Plan.objects.filter(key="expert").first()
        or load_catalog(EXPERT, now=now - timedelta(days=90))["expert"]
    )
    start = (now - timedelta(days=40)).astimezone(ROME).date()
    customer, _, contact = customer_with_contract(
        plan,
        start_on=date(start.year, start.month, 1),
        now=now - timedelta(days=40),
        key=key,
        name=f"{key.title()} S.r.l.",
        language=language,
    )
    contact.name = f"{key.title()} Requester"
    contact.user = User.objects.create_user(username=f"{key}-contact")
    contact.save()
    ticket = services.ticket_create(
        customer=customer,
        requester=contact,
        origin="web",
        subject="The receipt printer does not print",
        body="Since this morning the receipt printer prints blank tickets.",
        severity=2,
        received_at=now - timedelta(hours=3),
        actor="test",
        now=now - timedelta(hours=3),
    )
    services.ticket_reply(
        ticket=ticket,
        body="We replaced the print head driver remotely: please try a receipt.",
        actor="user:1",
        now=now - timedelta(hours=2),
    )
    services.intervention_log(
        ticket=ticket,
        mode="remote",
        activity="support",
        start_at=now - timedelta(hours=2),
        end_at=now - timedelta(hours=1, minutes=25),
        description="Reinstalled the printer driver.",
        resolved=True,
        actor="user:1",
        now=now - timedelta(hours=1, minutes=25),
    )
    services.ticket_resolve(ticket=ticket, actor="user:1", now=now - timedelta(hours=1))
    return Company(customer, contact, Ticket.objects.get(pk=ticket.pk))


def no_trouble(events: PageEvents) -> None:
    assert events.dialogs == [], events.dialogs
    assert events.page_errors == [], events.page_errors
    assert events.console_errors == [], events.console_errors


def test_a_customer_confirms_a_resolved_ticket(
    browser_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
) -> None:
    company = company_with_a_resolved_ticket("panificio", language="en", now=clock.now())
    assert company.contact.user is not None

    page = login_as(browser_page, company.contact.user, path="/portal/login/")
    assert page.url.endswith("/portal/")
    notice = page.locator(".notice.warn")
    assert "resolved and waits for you" in notice.inner_text()
    screenshot(page, "portal-home-1280")

    notice.get_by_role("link", name=company.ticket.reference, exact=False).click()
    page.wait_for_url(f"**/portal/tickets/{company.ticket.number}/")
    assert "We replaced the print head driver" in page.locator(".thread").inner_text()
    screenshot(page, "portal-ticket-resolved-1280")

    page.get_by_role("button", name="Confirm: it is solved").click()
    page.wait_for_selector(".messages")
    assert page.locator(".messages").inner_text() == "Thank you: the ticket is closed."
    assert page.locator("#ticket-state").inner_text() == "Closed"
    screenshot(page, "portal-ticket-confirmed-1280")

    closed = Ticket.objects.get(pk=company.ticket.pk)
    assert closed.state == "closed"
    assert ticket_rating(ticket=closed) is not None  # confirming rated it (§2.6)
    no_trouble(page_events)


def test_another_customer_reopens_with_a_reason_from_a_phone(
    phone_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
) -> None:
    now = clock.now()
    company = company_with_a_resolved_ticket("tabaccheria", language="en", now=now)
    # Someone of another company, signed in elsewhere, never sees this ticket.
    company_with_a_resolved_ticket("ferramenta", language="it", now=now)
    colleague = ContactFactory(customer=company.customer, name="Shop Assistant")
    assert colleague.pk != company.contact.pk
    assert company.contact.user is not None

    page = login_as(phone_page, company.contact.user, path="/portal/login/")
    page.goto("/portal/tickets/?state=all")
    rows = page.locator("#ticket-results tbody tr")
    assert rows.count() == 1  # theirs only, not the other company's
    screenshot(page, "portal-tickets-phone")

    page.goto(f"/portal/tickets/{company.ticket.number}/")
    page.locator("#decision summary").click()
    # Without a reason the form does not go: the browser asks for it, nothing changes.
    page.get_by_role("button", name="Reopen the request").click()
    assert Ticket.objects.get(pk=company.ticket.pk).state == "resolved"
    reason = "The printer prints again, but every receipt comes out twice."
    page.get_by_label("Why is it not solved?").fill(reason)
    screenshot(page, "portal-reopen-phone")
    page.get_by_role("button", name="Reopen the request").click()
    page.wait_for_selector(".messages")
    assert "reopened" in page.locator(".messages").inner_text()
    assert page.locator("#ticket-state").inner_text() == "Reopened"
    screenshot(page, "portal-ticket-reopened-phone")

    reopened = Ticket.objects.get(pk=company.ticket.pk)
    assert reopened.state == "reopened"
    event = TicketEvent.objects.get(ticket=reopened, to_state="reopened")
    assert event.reason == reason
    assert event.actor == f"contact:{company.contact.pk}"
    no_trouble(page_events)


def test_a_request_with_the_emergency_line_in_italian(
    browser_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
    settings: Any,
) -> None:
    """Seed 004: written requests; the phone for emergencies, whose number is shown."""
    settings.SUPPORT_EMERGENCY_PHONE = "+40 268 555 999"
    company = company_with_a_resolved_ticket("ottica", language="it", now=clock.now())
    assert company.contact.user is not None
    page = login_as(browser_page, company.contact.user, path="/portal/login/")
    page.goto("/portal/tickets/new/")
    assert "+40 268 555 999" in page.locator("#emergency").inner_text()
    page.fill("input[name=subject]", "Il registratore di cassa non emette scontrini")
    page.fill("textarea[name=body]", "Dalle 11 il registratore non stampa più.")
    page.locator("input[name=severity][value='1']").check()
    assert page.locator(".emergency-hint").is_visible()  # severity 1: phone us as well
    screenshot(page, "portal-new-request-it-1280")
    page.get_by_role("button", name="Invia la richiesta").click()
    page.wait_for_selector(".messages")
    ticket = Ticket.objects.get(subject="Il registratore di cassa non emette scontrini")
    assert (ticket.origin, ticket.severity, ticket.requester_id) == ("web", 1, company.contact.pk)
    assert page.url.endswith(f"/portal/tickets/{ticket.number}/")
    no_trouble(page_events)
