"""Invoice and statement PDFs, read back with pypdf, in the customer's language."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistdesk.billing.documents import invoice_pdf, statement_pdf
from assistdesk.billing.models import Invoice
from assistdesk.billing.selectors import statement_data
from assistdesk.billing.services import billing_run, credit_note_issue
from assistdesk.billing.tests.builders import (
    ACTOR,
    NOW,
    at,
    contract,
    customer,
    example,
    plans,
)
from assistdesk.contracts.services import allowance_record_uses
from assistdesk.domain.allowances import Debit
from assistdesk.tickets.models import Intervention, TicketTarget

pytestmark = pytest.mark.django_db
D = Decimal


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_an_invoice_in_romanian_reads_like_one(shared_dir: Path) -> None:
    example(shared_dir, "example-01-ticket-plan")
    billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=ACTOR, now=NOW)
    text = text_of(invoice_pdf(Invoice.objects.get()))
    for expected in (
        "Factură 2026-000001",
        "31 ianuarie 2026",  # the date, Romanian style
        "Perioada ianuarie 2026",
        "Acme S.R.L.",
        "Abonament lunar, planul expert, ianuarie 2026",
        "Stații de lucru, planul expert",
        "Tichet AD-000002: manoperă",
        "Tichet AD-000003: deplasare",
        "300,00 EUR",  # the plan price beside the converted amount
        "1.556,81",  # Romanian grouping and decimal comma
        "Total fără TVA 3.323,77 RON",
        "TVA 21 % 697,99 RON",
        "Total de plată 4.021,76 RON",
        "1 EUR = 5,189352 RON",
        "cursul de referință convenit din 30 ianuarie 2026 (5,0876) plus 2 %",  # typed in
    ):
        assert expected in text, expected
    assert "Invoice" not in text


def test_a_reverse_charge_credit_note_in_french() -> None:
    p = plans({"key": "expert", "currency": "EUR", "fees": {"monthly": "300"}})
    paris = customer(
        "paris", country="FR", currency="EUR", language="fr", vat_rate=None,
        is_vat_reverse_charge=True, vat_id="FR40303265045",
    )  # fmt: skip
    contract(paris, p["expert"], date(2026, 1, 1))
    billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=ACTOR, now=NOW)
    invoice = Invoice.objects.get()
    note = credit_note_issue(
        invoice=invoice, reason="geste commercial", issued_on=date(2026, 2, 2),
        amounts={invoice.lines.get().pk: D("1234.56") - D("1000")}, actor=ACTOR, now=NOW,
    )  # fmt: skip
    text = text_of(invoice_pdf(note))
    for expected in (
        "Avoir CN-2026-000001",
        "2 février 2026",
        "Corrige la facture 2026-000001 du 31 janvier 2026",
        "Motif geste commercial",
        "N° TVA: FR40303265045",
        "Abonnement mensuel, formule expert, janvier 2026",
        "-234,56",
        "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE).",
    ):
        assert expected in text, expected


def test_the_statement_in_italian_and_english(shared_dir: Path) -> None:
    world = example(shared_dir, "example-02-prepaid-hours")
    studio = world.customers["studio"]
    a2 = world.tickets["A2"].ticket
    Intervention.objects.create(
        ticket=a2, mode="onsite", activity="support", start_at=at("2026-02-19T14:00:00"),
        end_at=at("2026-02-19T16:10:00"), is_resolved=True, actor=ACTOR, created_at=NOW,
    )  # fmt: skip
    TicketTarget.objects.create(
        ticket=a2, ordinal=1, kind="response", due_at=at("2026-02-18T11:30:00"),
        actual_at=at("2026-02-18T08:45:00"), met=True, computed_at=NOW,
    )  # fmt: skip
    TicketTarget.objects.create(
        ticket=a2, ordinal=2, kind="onsite", due_at=at("2026-02-19T12:00:00"),
        actual_at=at("2026-02-19T14:00:00"), met=False, late_minutes=120, computed_at=NOW,
    )  # fmt: skip
    allowance_record_uses(
        customer=studio,
        debits=[Debit("package onsite24 2026-01-05", D(135))],
        at=at("2026-02-20T08:00:00"),
        ref=a2.reference,
        actor=ACTOR,
        now=NOW,
    )
    open_one = world.tickets["A1"].ticket
    type(open_one).objects.filter(pk=open_one.pk).update(
        state="in_progress", closed_at=None, received_at=at("2026-02-25T08:00:00")
    )
    data = statement_data(customer=studio, period="2026-02")
    assert (data.tickets_opened, data.tickets_closed, len(data.interventions)) == (2, 1, 1)
    assert [(r.source, r.left_minutes, r.is_expiring) for r in data.allowances] == [
        ("package remote12 2025-03-10", D(720), True),  # expires 10 March: soon
        ("package onsite24 2026-01-05", D(1305), False),
        ("package remote12 2026-02-16", D(720), False),
    ]

    italian = text_of(statement_pdf(data))
    for expected in (
        "Rendiconto mensile: febbraio 2026",
        "Studio S.R.L.",
        "Richieste aperte 2",
        "Interventi 1",
        "Tempo di lavoro 2:10 h",
        "Obiettivi rispettati 1 su 2",
        "19/02/2026 15:00 AD-000002 A2 in sede 2:10",  # Rome time
        "package onsite24 2026-01-05 24:00 2:15 21:45 05 gennaio 2027",
        "in scadenza",
        "Ticket aperti",
        "in lavorazione",
        "in ritardo di 2:00",
    ):
        assert expected in italian, expected

    english = text_of(statement_pdf(data, "en"))
    for expected in (
        "Monthly statement: February 2026",
        "Targets met 1 of 2",
        "on site",
        "expiring soon",
        "late by 2:00",
    ):
        assert expected in english, expected
    assert (data.last_on - data.first_on) == timedelta(days=27)
