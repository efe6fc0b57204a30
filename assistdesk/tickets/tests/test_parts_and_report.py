"""Parts and their approval (seed 001), and the intervention report as PDF (§2.5)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from assistdesk.customers.models import Customer
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Intervention, Part, Ticket
from assistdesk.tickets.report import intervention_report_pdf
from assistdesk.tickets.selectors import ticket_rating
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import StaffFactory, open_ticket


def onsite_with_parts(customer: Customer, *parts: object, **kwargs: object) -> Intervention:
    ticket = open_ticket(customer, received_at=at("2026-04-14 09:00"))
    services.ticket_reply(ticket=ticket, body="Coming", actor="x", now=at("2026-04-14 09:20"))
    return services.intervention_log(
        ticket=ticket,
        mode="onsite",
        activity="support",
        start_at=at("2026-04-14 10:00"),
        end_at=at("2026-04-14 11:10"),
        km=Decimal("12"),
        parts=parts,
        actor="user:1",
        now=at("2026-04-14 11:10"),
        **kwargs,  # type: ignore[arg-type]
    )


def part_amounts(ticket: Ticket) -> list[tuple[str, Decimal, str]]:
    rating = ticket_rating(ticket=ticket)
    assert rating is not None
    return [(c.name, c.amount, c.free_reason) for c in rating.charges.all() if c.type == "part"]


def test_small_parts_are_accepted_automatically(annual: Setup) -> None:
    intervention = onsite_with_parts(annual.customer, ("Fan", 2, Decimal("12.50")))
    part = intervention.parts.get()
    assert (part.needs_approval, part.is_accepted) == (False, True)
    with pytest.raises(TicketError, match=r"^part: .*accepted automatically"):
        services.part_approve(part=part, approved=True, actor="x", now=at("2026-04-14 12:00"))
    services.ticket_close(ticket=intervention.ticket, actor="x", now=at("2026-04-15 09:00"))
    assert part_amounts(intervention.ticket) == [("Fan", Decimal("25.00"), "")]


def test_a_customer_who_asked_to_be_told_approves_each_part(annual: Setup) -> None:
    annual.customer.is_part_approval_required = True
    annual.customer.save()
    intervention = onsite_with_parts(
        annual.customer,
        ("Power supply 650 W", 1, Decimal("74.90")),
        {"name": "SSD 500 GB", "quantity": 1, "unit_price": "60", "approved": True},
        ("Cable", 3, Decimal("4")),
    )
    supply, ssd, cable = intervention.parts.order_by("id")
    assert (supply.needs_approval, supply.is_approved) == (True, None)
    assert (ssd.is_approved, ssd.approved_by) == (True, "user:1")
    services.part_approve(part=supply, approved=True, actor="contact:1", now=at("2026-04-14 12:00"))
    services.part_approve(part=cable, approved=False, actor="contact:1", now=at("2026-04-14 12:00"))
    services.ticket_close(ticket=intervention.ticket, actor="x", now=at("2026-04-15 09:00"))
    assert part_amounts(intervention.ticket) == [
        ("Power supply 650 W", Decimal("74.90"), ""),
        ("SSD 500 GB", Decimal("60.00"), ""),
        ("Cable", Decimal("0.00"), "not approved by the customer"),
    ]
    with pytest.raises(TicketError, match=r"^state: "):
        services.part_approve(part=cable, approved=True, actor="x", now=at("2026-04-16 09:00"))


def test_parts_are_checked(annual: Setup) -> None:
    with pytest.raises(TicketError, match=r"^parts\[0\]\.unit_price: "):
        onsite_with_parts(annual.customer, ("Fan", 1, 12.5))  # a float is not money
    with pytest.raises(TicketError, match=r"^parts\[0\]\.name: "):
        onsite_with_parts(annual.customer, ("", 1, Decimal("1")))
    assert not Part.objects.exists()


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_report_of_a_closed_ticket_shows_each_charge_or_why_it_is_free(
    annual: Setup,
) -> None:
    technician = StaffFactory(first_name="Luca", last_name="Bruno")
    intervention = onsite_with_parts(
        annual.customer,
        ("Fan", 2, Decimal("12.50")),
        technician=technician,
        warranty=True,
        resolved=False,
        description="Replaced both fans; the noise persists.",
    )
    ticket = intervention.ticket
    services.ticket_close(ticket=ticket, actor="x", now=at("2026-04-15 09:00"))
    text = pdf_text(intervention_report_pdf(intervention, now=at("2026-04-15 10:00")))
    assert "Intervention report" in text
    assert ticket.reference in text and "Printer offline" in text
    assert "Luca Bruno" in text
    assert "2026-04-14 10:00" in text and "70 min" in text
    assert "Replaced both fans" in text
    assert "one more visit is owed" in text
    assert "Free: warranty" in text and "under warranty" in text
    assert "Provisional" not in text
    assert "0.00 EUR" in text


def test_the_report_of_an_open_ticket_is_provisional(annual: Setup) -> None:
    intervention = onsite_with_parts(annual.customer, ("Toner", 1, Decimal("64.90")), resolved=True)
    text = pdf_text(intervention_report_pdf(intervention, now=at("2026-04-14 12:00")))
    assert "Provisional" in text
    # 70 minutes on site in quarters of an hour: 75 minutes at 55 per hour.
    assert "68.75 EUR" in text
    assert "25.00 EUR" in text  # the trip in town
    assert "64.90 EUR" in text
    assert "Ticket total (provisional): 158.65 EUR" in text
