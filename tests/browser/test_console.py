"""The console in a real browser: a dispatcher triages, a technician logs on-site work,
hostile mail HTML runs nothing. Screenshots at 1280 px and on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from assistdesk.accounts.roles import Role
from assistdesk.common import clock
from assistdesk.console.tests.builders import ROME, desk, email_ticket, staff
from assistdesk.tickets import services
from assistdesk.tickets.models import Intervention, Message, MessageKind, Ticket
from tests.browser.conftest import PageEvents

HOSTILE_HTML = (
    "<p>Hello, the printer is broken.</p>"
    "<script>alert('script')</script>"
    '<img src="x" onerror="alert(\'onerror\')">'
    '<a href="javascript:alert(\'link\')" id="evil">open the report</a>'
    "<svg onload=\"alert('svg')\"></svg>"
    "<iframe src=\"javascript:alert('frame')\"></iframe>"
)


def rome(minutes_ago: int, now: datetime | None = None) -> str:
    """A datetime-local value in the browser's zone (Europe/Rome)."""
    when = (now or clock.now()) - timedelta(minutes=minutes_ago)
    return when.astimezone(ROME).strftime("%Y-%m-%dT%H:%M")


def test_dispatcher_triages_and_assigns_a_new_email_ticket(
    browser_page: Any,
    phone_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
) -> None:
    now = clock.now()
    farmacia = desk(now=now)
    email_ticket(farmacia, now=now, subject="Toner order", ago=timedelta(hours=5))
    ticket = email_ticket(farmacia, now=now, subject="Server does not start")
    dispatcher = staff(Role.DISPATCHER, "sara", first_name="Sara", last_name="Conti")
    staff(Role.TECHNICIAN, "marco", first_name="Marco", last_name="Greco")

    page = login_as(browser_page, dispatcher)
    assert page.url.endswith("/console/")
    row = page.locator("tr", has_text="Server does not start")
    assert row.locator("time.sla").get_attribute("class") in ("sla sla-ok", "sla sla-warn")
    screenshot(page, "console-queue-1280")

    # Typing a search swaps the results in place (htmx, under the page's CSP) and keeps
    # the URL; clearing it brings both tickets back.
    with page.expect_response(lambda r: "q=Server" in r.url):
        page.fill("#id_q", "Server")
    page.wait_for_function("document.querySelectorAll('td.ref').length === 1")
    assert "q=Server" in page.url
    with page.expect_response(lambda r: "q=&" in r.url or r.url.endswith("q=")):
        page.fill("#id_q", "")
    page.wait_for_function("document.querySelectorAll('td.ref').length === 2")

    row.get_by_role("link", name="Server does not start").click()
    page.get_by_role("button", name="Acknowledge to the customer").click()
    assert page.locator(".messages").inner_text() == "Acknowledgement sent to the customer."

    page.locator("#action-classify summary").click()
    page.select_option("#classify-severity", "1")
    page.check("#classify-urgent")
    page.locator("#action-classify").get_by_role("button", name="Save").click()
    assert "Classification saved." in page.locator(".messages").inner_text()

    page.locator("#action-assign summary").click()
    page.select_option("#assign-assignee", label="Marco Greco")
    page.locator("#action-assign").get_by_role("button", name="Assign").click()
    assert page.locator(".messages").inner_text() == "Assigned to Marco Greco."
    assert page.locator("#ticket-state").inner_text() == "assigned"
    assert page.locator("#ticket-assignee").inner_text() == "Marco Greco"
    assert "Times in Europe/Rome." in page.locator("main").inner_text()
    screenshot(page, "console-ticket-assigned-1280")

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.state, ticket.severity, ticket.is_urgent) == ("assigned", 1, True)
    assert ticket.assignee is not None and ticket.assignee.username == "marco"

    phone = login_as(phone_page, dispatcher)
    screenshot(phone, "console-queue-phone")
    phone.goto(f"/console/tickets/{ticket.number}/")
    screenshot(phone, "console-ticket-phone")
    assert page_events.page_errors == [] and page_events.console_errors == []


def test_technician_logs_an_onsite_intervention_with_a_part(
    browser_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
) -> None:
    now = clock.now()
    farmacia = desk(now=now)
    ticket = email_ticket(farmacia, now=now, subject="Printer jammed", ago=timedelta(hours=4))
    marco = staff(Role.TECHNICIAN, "marco", first_name="Marco", last_name="Greco")
    services.ticket_assign(
        ticket=ticket, assignee=marco, actor_user=staff(Role.DISPATCHER, "sara"), now=now
    )
    services.ticket_escalate_onsite(
        ticket=ticket, reason="Needs hands on the printer", actor="user:1", now=now
    )

    page = login_as(browser_page, marco)
    page.goto(f"/console/tickets/{ticket.number}/")
    page.locator("#action-intervention summary").click()
    form = page.locator("#action-intervention")
    assert form.locator("#intervention-mode").input_value() == "onsite"  # escalated
    start = rome(150, now)
    form.locator("#intervention-start_at").fill(start)
    form.locator("#intervention-end_at").fill(rome(60, now))
    form.locator("#intervention-description").fill("Replaced the fuser unit, test print OK.")
    form.locator("#intervention-km").fill("12")
    form.locator("#intervention-resolved").check()
    form.locator("#id_parts-0-name").fill("Fuser unit")
    form.locator("#id_parts-0-quantity").fill("1")
    form.locator("#id_parts-0-unit_price").fill("74.90")
    form.get_by_role("button", name="Log the intervention").click()
    assert page.locator(".messages").inner_text() == "Intervention logged."
    work = page.locator("article.message", has_text="Fuser unit")
    assert "12.0 km" in work.inner_text() and "74.90" in work.inner_text()
    screenshot(page, "console-intervention-1280")

    intervention = Intervention.objects.get(ticket=ticket)
    assert (intervention.mode, intervention.km, intervention.technician) == (
        "onsite",
        Decimal("12.00"),
        marco,
    )
    assert round((intervention.end_at - intervention.start_at).total_seconds()) == 90 * 60
    # Typed in the browser's zone, stored as that instant.
    assert intervention.start_at.astimezone(ROME).strftime("%Y-%m-%dT%H:%M") == start
    part = intervention.parts.get()
    assert (part.name, part.quantity, part.unit_price_amount) == (
        "Fuser unit",
        Decimal("1.000"),
        Decimal("74.90"),
    )
    assert Ticket.objects.get(pk=ticket.pk).state == "in_progress"

    # A refusal is shown next to its field: an end before the start.
    page.locator("#action-intervention summary").click()
    form.locator("#intervention-start_at").fill(rome(30))
    form.locator("#intervention-end_at").fill(rome(50))
    form.get_by_role("button", name="Log the intervention").click()
    assert "an intervention cannot end before it starts" in form.inner_text()
    assert Intervention.objects.filter(ticket=ticket).count() == 1
    assert page_events.page_errors == []


def test_hostile_mail_html_runs_no_script_in_the_ticket_view(
    browser_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
) -> None:
    now = clock.now()
    farmacia = desk(now=now)
    # As the mail intake stores it: through the service, which sanitises with nh3...
    ticket = email_ticket(farmacia, now=now, subject="Report attached", body="",
                          body_html=HOSTILE_HTML)  # fmt: skip
    # ...and a row written raw, bypassing the service: the template must cope alone.
    Message.objects.create(
        ticket=ticket, kind=MessageKind.CUSTOMER_REPLY, is_public=True,
        author_contact=farmacia.contact, body_html=HOSTILE_HTML, sent_at=now, actor="raw",
    )  # fmt: skip
    assert "<script>" in Message.objects.get(actor="raw").body_html

    page = login_as(browser_page, staff(Role.TECHNICIAN))
    page.goto(f"/console/tickets/{ticket.number}/")
    bodies = page.locator(".message .body.html")
    assert bodies.count() == 2
    for index in range(2):
        assert "the printer is broken" in bodies.nth(index).inner_text()
    page.locator(".message .body.html a").first.click()  # the javascript: link, defused
    page.wait_for_timeout(500)

    assert page_events.dialogs == []
    scripts = page.evaluate(
        "Array.from(document.scripts).map(s => s.src ? new URL(s.src).pathname : 'inline')"
    )
    assert scripts == ["/static/console/htmx.min.js", "/static/console/console.js"]
    assert (
        page.evaluate(
            "document.querySelectorAll('[onerror], [onload], iframe, "
            'a[href^="javascript:"]\').length'
        )
        == 0
    )
    for body in bodies.all():
        assert "<script" not in body.inner_html()
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "console-hostile-mail-1280")
    assert page_events.page_errors == []


def test_customer_dashboard_and_quarantine_pages(
    browser_page: Any,
    phone_page: Any,
    login_as: Callable[..., Any],
    screenshot: Callable[[Any, str], Any],
    page_events: PageEvents,
) -> None:
    now = clock.now()
    farmacia = desk(now=now)
    studio = desk(now=now, key="studio", name="Studio Legale Neri")
    for d, hours in ((farmacia, 3), (studio, 1)):
        ticket = email_ticket(d, now=now, subject="Backup failed", ago=timedelta(hours=5))
        services.intervention_log(
            ticket=ticket, mode="remote", activity="support", resolved=True,
            start_at=now - timedelta(hours=hours, minutes=30), end_at=now - timedelta(minutes=30),
            actor="t", now=now,
        )  # fmt: skip
    email_ticket(studio, now=now, subject="Late one", ago=timedelta(days=10))
    boss = staff(Role.DISPATCHER, "sara", first_name="Sara", last_name="Conti")

    page = login_as(browser_page, boss)
    page.goto("/console/dashboard/")
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect.bar-hours").count() == 2
    screenshot(page, "console-dashboard-1280")
    page.goto(f"/console/customers/{farmacia.customer.key}/")
    assert farmacia.plan.name in page.locator("main").inner_text()
    screenshot(page, "console-customer-1280")
    page.goto("/console/quarantine/")
    screenshot(page, "console-quarantine-1280")

    # The language selector, as a user picks it: the page comes back in Italian.
    page.goto("/console/")
    with page.expect_navigation():
        page.select_option("#language", "it")
    assert page.locator("h1").inner_text() == "Coda"
    screenshot(page, "console-queue-it-1280")

    phone = login_as(phone_page, boss)
    phone.goto("/console/dashboard/")
    screenshot(phone, "console-dashboard-phone")
    assert timezone.is_aware(now) and page_events.page_errors == []
