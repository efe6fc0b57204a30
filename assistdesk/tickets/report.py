"""The intervention report (§2.5): a PDF after every intervention, billed or not.

It shows the work (who, how, when, what was done, whether it solved the problem) and
the charges that concern the intervention: its labour line, its travel, its parts, each
with its amount or why it is free (seed 001: "labour lines (and discounts) and
materials"). A closed ticket's report reads the stored rating; an open ticket's report
shows a provisional rating, as if the ticket closed now, marked as such.

Rendered from the Django template `tickets/intervention_report.html` by WeasyPrint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from assistdesk.common import clock
from assistdesk.tickets import rating
from assistdesk.tickets.models import Charge, Intervention, Ticket


@dataclass(frozen=True)
class ReportLine:
    kind: str  # labour | travel | part
    title: str
    explanation: str
    amount: Decimal
    free_reason: str
    shared_with: str  # other interventions of the same labour line ("#2, #3")


def _zone(ticket: Ticket) -> ZoneInfo:
    return ticket.plan.calendar.zone() if ticket.plan is not None else ZoneInfo("UTC")


def _charges(ticket: Ticket, now: datetime) -> tuple[list[Charge], str, Decimal, bool]:
    """The ticket's charges, currency and total, and whether they are provisional."""
    current = rating.current_rating(ticket)
    if current is not None:
        return list(current.charges.all()), current.currency, current.total_amount, False
    rated = rating.provisional(ticket, now=now)
    rows = [
        rating.charge_row(None, ordinal, charge, rated)
        for ordinal, charge in enumerate(rated.rating.charges, start=1)
    ]
    return rows, rated.rating.currency, rated.rating.total_amount, True


def _title(charge: Charge) -> str:
    if charge.type == "labour":
        return f"Labour, {charge.rate_key} ({charge.mode})"
    if charge.type == "travel":
        return "Travel" + (" in town" if charge.is_in_town else f", {charge.km} km")
    return f"Part: {charge.name}"


def report_context(intervention: Intervention, *, now: datetime | None = None) -> dict[str, Any]:
    ticket = Ticket.objects.select_related(
        "customer", "plan__calendar", "requester", "contract"
    ).get(pk=intervention.ticket_id)
    ordered = rating.ordered_interventions(ticket)
    number = next(i for i, iv in enumerate(ordered, start=1) if iv.pk == intervention.pk)
    charges, currency, total, is_provisional = _charges(ticket, now or clock.now())
    lines = []
    for charge in charges:
        numbers = list(charge.intervention_numbers or [])
        if number not in numbers:
            continue
        others = ", ".join(f"#{n}" for n in numbers if n != number)
        lines.append(
            ReportLine(
                kind=charge.type,
                title=_title(charge),
                explanation=charge.explanation,
                amount=charge.amount,
                free_reason=charge.free_reason,
                shared_with=others,
            )
        )
    zone = _zone(ticket)
    return {
        "ticket": ticket,
        "intervention": intervention,
        "number": number,
        "count": len(ordered),
        "technician": (
            intervention.technician.get_full_name() or intervention.technician.get_username()
            if intervention.technician
            else ""
        ),
        # Formatted here: the template's date filter would convert to the current zone.
        "start_local": f"{intervention.start_at.astimezone(zone):%Y-%m-%d %H:%M}",
        "end_local": f"{intervention.end_at.astimezone(zone):%Y-%m-%d %H:%M}",
        "zone": str(zone),
        "minutes": intervention.minutes,
        "parts": list(intervention.parts.all()),
        "lines": lines,
        "currency": currency,
        "ticket_total": total,
        "is_provisional": is_provisional,
        "generated_at": f"{(now or clock.now()).astimezone(zone):%Y-%m-%d %H:%M}",
    }


def intervention_report_html(intervention: Intervention, *, now: datetime | None = None) -> str:
    return render_to_string(
        "tickets/intervention_report.html", report_context(intervention, now=now)
    )


def intervention_report_pdf(intervention: Intervention, *, now: datetime | None = None) -> bytes:
    """The report as PDF bytes (WeasyPrint)."""
    from weasyprint import HTML  # heavy import: only where a PDF is made

    pdf: bytes = HTML(string=intervention_report_html(intervention, now=now)).write_pdf()
    return pdf
