"""Invoice and statement PDFs, in the customer's language (§2.7).

Rendered from the Django templates `billing/invoice.html` and `billing/statement.html`
by WeasyPrint, with the document's language active: words come from the billing app's
translations (en, it, fr, ro), dates and amounts are formatted for that language
(31 ianuarie 2026, 1.556,81 RON). An invoice is rendered in the language stored on it
at issue, so a later change of the customer's language does not change its documents.

Line texts are composed here from what each line is (its source, plan, ticket, month),
not from its stored `description`, which stays the one-language key for exports.
"""

from __future__ import annotations

import re
from datetime import UTC, date, tzinfo
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from assistdesk.billing.models import Invoice, InvoiceLine, LineSource
from assistdesk.billing.selectors import MINUTES_PER_TICKET, StatementData

LANGUAGES = ("en", "it", "fr", "ro")


def language_of(code: str | None) -> str:
    return code if code in LANGUAGES else "en"


def money(amount: Decimal) -> str:
    """`1.556,81` in ro/it, `1 556,81` in fr, `1,556.81` in en (active language)."""
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def plain_number(value: Decimal) -> str:
    """A rate or a quantity without trailing zeros, in the active language's notation."""
    normal = value.normalize()
    text = f"{normal:f}"
    places = len(text.partition(".")[2])
    return formats.number_format(normal, places, use_l10n=True)


# Italian, French and Romanian write month names in lower case ("31 ianuarie 2026");
# Django's formats for it and ro capitalise them.
_LOWER_CASE_MONTHS = ("it", "fr", "ro")


def _month_case(text: str) -> str:
    if translation.get_language() in _LOWER_CASE_MONTHS:
        return re.sub(r"[^\W\d_]+", lambda word: word.group().lower(), text)
    return text


def long_date(on: date) -> str:
    """31 ianuarie 2026, 31 janvier 2026, Jan. 31, 2026 (active language)."""
    return _month_case(formats.date_format(on, "DATE_FORMAT"))


def month_name(on: date) -> str:
    """ianuarie 2026, January 2026 (active language)."""
    return _month_case(formats.date_format(on, "YEAR_MONTH_FORMAT"))


def _kind_label(kind: str) -> str:
    return {
        "labour": _("labour"),
        "travel": _("travel"),
        "part": _("parts"),
        "fee": _("fee"),
        "package": _("package"),
        "credit": _("credit"),
    }.get(kind, kind)


def line_label(line: InvoiceLine) -> str:
    """What the line is, in the active language."""
    if line.source == LineSource.CORRECTION and line.credited_line is not None:
        return line_label(line.credited_line)
    plan = line.plan_key
    month = month_name(line.month_on) if line.month_on else ""
    if line.source == LineSource.MONTHLY_FEE:
        return _("Monthly fee, plan %(plan)s, %(month)s") % {"plan": plan, "month": month}
    if line.source == LineSource.ANNUAL_FEE:
        return _("Annual fee, plan %(plan)s, year starting %(month)s") % {
            "plan": plan,
            "month": month,
        }
    if line.source == LineSource.WORKSTATION_FEE:
        return _("Workstations, plan %(plan)s, %(month)s") % {"plan": plan, "month": month}
    if line.source == LineSource.PACKAGE:
        return _("Prepaid package %(plan)s") % {"plan": plan}
    if line.source == LineSource.TICKET:
        return _("Ticket %(ticket)s: %(kind)s") % {
            "ticket": line.ticket_label,
            "kind": _kind_label(line.kind),
        }
    if line.source == LineSource.TICKET_REVERSAL and line.credited_line is not None:
        original = line.credited_line
        return _("Ticket %(ticket)s reopened: %(kind)s of invoice %(number)s taken back") % {
            "ticket": line.ticket_label,
            "kind": _kind_label(original.kind),
            "number": original.invoice.number,
        }
    if line.source == LineSource.CREDIT and line.credit is not None:
        return _("Credit: %(reason)s") % {"reason": line.credit.reason}
    return line.description


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """Everything the invoice template shows, formatted in the active language."""
    lines = (
        invoice.lines.select_related("credited_line__invoice", "credit").order_by("position").all()
    )
    rows = [
        {
            "label": line_label(line),
            "quantity": plain_number(line.quantity) if line.quantity != 1 else "",
            "source": (
                f"{money(line.source_amount)} {line.source_currency}"
                if line.source_currency != invoice.currency
                else ""
            ),
            "amount": money(line.amount),
        }
        for line in lines
    ]
    fx = None
    if invoice.fx_from_currency and invoice.fx_central_rate is not None:
        fx = {
            "from": invoice.fx_from_currency,
            "to": invoice.currency,
            "rate": plain_number(invoice.fx_rate) if invoice.fx_rate is not None else "",
            "central": plain_number(invoice.fx_central_rate),
            "markup": plain_number((invoice.fx_markup or Decimal(0)) * 100),
            "bank": {"bnr": "BNR", "ecb": _("ECB"), "manual": _("agreed")}.get(
                invoice.fx_source, invoice.fx_source
            ),
            "published_on": invoice.fx_published_on,
        }
    return {
        "invoice": invoice,
        "is_credit_note": invoice.is_credit_note,
        "credited": invoice.credited_invoice,
        "rows": rows,
        "net": money(invoice.net_amount),
        "vat": money(invoice.vat_amount),
        "total": money(invoice.total_amount),
        "vat_rate": plain_number(invoice.vat_rate) if invoice.vat_rate is not None else "",
        "fx": fx,
        "period": month_name(invoice.period.starts_on),
    }


def render_pdf(template: str, context: dict[str, Any], language: str, zone: tzinfo = UTC) -> bytes:
    """Instants in `context` are shown in `zone` (templates convert to the current zone)."""
    with translation.override(language_of(language)), timezone.override(zone):
        html = render_to_string(template, context)
    from weasyprint import HTML  # heavy import (~1 s): only where a PDF is made

    return bytes(HTML(string=html).write_pdf())


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as a PDF, in the language it was issued in."""
    language = language_of(invoice.language)
    with translation.override(language):
        context = invoice_context(invoice)
    return render_pdf("billing/invoice.html", context, language)


# --- the monthly statement ---------------------------------------------------------------


def hours(minutes: Decimal | int) -> str:
    """Minutes as h:mm (a started minute shows as a whole one)."""
    total = int(Decimal(minutes).to_integral_value(rounding="ROUND_CEILING"))
    sign = "-" if total < 0 else ""
    h, m = divmod(abs(total), 60)
    return f"{sign}{h}:{m:02d}"


def _with_tickets(minutes: Decimal, is_monthly: bool) -> str:
    if not is_monthly:
        return hours(minutes)
    tickets = plain_number(Decimal(minutes) / MINUTES_PER_TICKET)
    return _("%(hours)s (%(tickets)s tickets)") % {"hours": hours(minutes), "tickets": tickets}


def _labels() -> dict[str, str]:
    return {
        "remote": _("remote"),
        "onsite": _("on site"),
        "phone": _("phone"),
        "response": _("response"),
        "resolution": _("resolution"),
        "change": _("change"),
        "new": _("new"),
        "acknowledged": _("acknowledged"),
        "assigned": _("assigned"),
        "in_progress": _("in progress"),
        "waiting_customer": _("waiting for you"),
        "resolved": _("resolved, waiting for your confirmation"),
        "reopened": _("reopened"),
    }


def statement_context(data: StatementData) -> dict[str, Any]:
    labels = _labels()
    return {
        "data": data,
        "customer": data.customer,
        "period": month_name(data.first_on),
        "worked": hours(data.minutes_worked),
        "interventions": [
            {**vars(row), "mode": labels.get(row.mode, row.mode), "duration": hours(row.minutes)}
            for row in data.interventions
        ],
        "allowances": [
            {
                **vars(row),
                "granted": _with_tickets(row.granted_minutes, row.is_monthly),
                "used": _with_tickets(row.used_minutes, row.is_monthly),
                "left": _with_tickets(row.left_minutes, row.is_monthly),
            }
            for row in data.allowances
        ],
        "open_tickets": [
            {**vars(row), "state": labels.get(row.state, row.state)} for row in data.open_tickets
        ],
        "sla": [
            {
                **vars(row),
                "kind": labels.get(row.kind, row.kind),
                "late": hours(row.late_minutes),
            }
            for row in data.sla
        ],
    }


def statement_pdf(data: StatementData, language: str | None = None) -> bytes:
    """The statement as a PDF, in `language` (default: the customer's)."""
    chosen = language_of(language or data.customer.language)
    with translation.override(chosen):
        context = statement_context(data)
    return render_pdf("billing/statement.html", context, chosen, data.zone)
