"""Issuing: the run is idempotent, invoices never change, corrections are credit notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory

from assistdesk.billing.models import (
    BillingRun,
    Credit,
    ImmutableError,
    Invoice,
    InvoiceLine,
)
from assistdesk.billing.services import (
    billing_run,
    credit_cancel,
    credit_grant,
    credit_note_issue,
)
from assistdesk.billing.tests.builders import (
    ACTOR,
    NOW,
    at,
    contract,
    customer,
    plans,
    rate,
    rated_ticket,
)
from assistdesk.customers.models import Customer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def three_customers() -> list[Customer]:
    p = plans(
        {
            "key": "expert",
            "currency": "EUR",
            "fees": {"monthly": "300", "per_workstation_monthly": "15"},
            "fx_markup": "0.02",
        }
    )
    rate(date(2026, 1, 30), "5.0876")
    made = [
        customer("acme", workstations=4),
        customer("beta", currency="EUR", country="IT", language="it", vat_rate=D("22")),
        customer("gamma", currency="EUR", country="FR", language="fr", vat_rate=D("20")),
    ]
    for who in made:
        contract(who, p["expert"], date(2026, 1, 1))
    return made


def bill(period: str = "2026-01", on: date = date(2026, 1, 31)) -> BillingRun:
    return billing_run(period=period, invoice_on=on, actor=ACTOR, now=NOW)


def test_running_twice_issues_nothing_new(three_customers: list[Customer]) -> None:
    first = bill()
    assert (first.invoices_issued, first.lines_issued, first.customers_already_invoiced) == (
        3, 4, 0,
    )  # fmt: skip
    numbers = list(Invoice.objects.order_by("number").values_list("number", "customer__key"))
    assert numbers == [("2026-000001", "acme"), ("2026-000002", "beta"), ("2026-000003", "gamma")]

    second = bill()
    assert (second.invoices_issued, second.lines_issued, second.customers_already_invoiced) == (
        0, 0, 3,
    )  # fmt: skip
    assert Invoice.objects.count() == 3 and InvoiceLine.objects.count() == 4
    assert BillingRun.objects.count() == 2  # each run is on record

    # and the database says no to a second invoice of a period, whatever the code does
    original = Invoice.objects.get(number="2026-000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            **{
                f.attname: getattr(original, f.attname)
                for f in Invoice._meta.concrete_fields
                if f.attname not in ("id", "number", "sequence")
            },
            number="2026-000099",
            sequence=99,
        )


def test_a_fee_is_billed_once_even_if_asked_for_twice(three_customers: list[Customer]) -> None:
    bill()
    line = InvoiceLine.objects.filter(source="monthly_fee").first()
    assert line is not None
    copy = {f.attname: getattr(line, f.attname) for f in InvoiceLine._meta.concrete_fields}
    copy.pop("id")
    copy["position"] = 99
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(**copy)


def test_an_issued_invoice_never_changes(three_customers: list[Customer]) -> None:
    bill()
    invoice = Invoice.objects.get(number="2026-000001")
    invoice.net_amount = D("1.00")
    with pytest.raises(ImmutableError):
        invoice.save()
    with pytest.raises(ImmutableError):
        invoice.delete()
    with pytest.raises(ImmutableError):
        Invoice.objects.filter(pk=invoice.pk).update(net_amount=D("1.00"))
    with pytest.raises(ImmutableError):
        Invoice.objects.all().delete()
    line = invoice.lines.first()
    assert line is not None
    with pytest.raises(ImmutableError):
        line.save()
    with pytest.raises(ImmutableError):
        InvoiceLine.objects.filter(invoice=invoice).update(amount=D("0"))
    invoice.refresh_from_db()
    assert invoice.net_amount == D("1868.17")

    # the admin shows it and offers no way to change or delete it
    request = RequestFactory().get("/")
    request.user = type("Staff", (), {"is_active": True, "is_staff": True})()
    admin = site._registry[Invoice]
    assert not admin.has_change_permission(request, invoice)
    assert not admin.has_delete_permission(request, invoice)
    assert not admin.has_add_permission(request)


def test_a_full_credit_note_mirrors_the_invoice(three_customers: list[Customer]) -> None:
    bill()
    invoice = Invoice.objects.get(number="2026-000001")  # acme, RON at 5.189352
    note = credit_note_issue(
        invoice=invoice,
        reason="contract cancelled before it started",
        issued_on=date(2026, 2, 3),
        actor="accountant",
        now=NOW,
    )
    assert (note.number, note.kind, note.credited_invoice, note.period) == (
        "CN-2026-000001", "credit_note", invoice, invoice.period,
    )  # fmt: skip
    assert (note.net_amount, note.vat_amount, note.total_amount) == (
        -invoice.net_amount, -invoice.vat_amount, -invoice.total_amount,
    )  # fmt: skip
    assert [(x.description, x.amount, x.source_amount, x.fx_rate) for x in note.lines.all()] == [
        ("expert monthly fee", D("-1556.81"), D("-300.00"), D("5.189352")),
        ("expert workstations", D("-311.36"), D("-60.00"), D("5.189352")),
    ]
    with pytest.raises(ValidationError, match="nothing left"):
        credit_note_issue(invoice=invoice, reason="again", issued_on=date(2026, 2, 3),
                          actor="a", now=NOW)  # fmt: skip
    # the next invoice keeps its own series: no gap in either
    bill("2026-02", date(2026, 2, 27))
    assert Invoice.objects.filter(period__key="2026-02").order_by("number").first().number == (  # type: ignore[union-attr]
        "2026-000004"
    )


def test_a_partial_credit_note_and_its_limits(three_customers: list[Customer]) -> None:
    bill()
    invoice = Invoice.objects.get(number="2026-000002")  # beta, EUR, 22 %
    fee = invoice.lines.get(source="monthly_fee")
    note = credit_note_issue(
        invoice=invoice,
        amounts={fee.pk: D("100.00")},
        reason="two weeks of outage, agreed discount",
        issued_on=date(2026, 2, 10),
        actor="accountant",
        now=NOW,
    )
    assert (note.net_amount, note.vat_amount, note.total_amount) == (
        D("-100.00"), D("-22.00"), D("-122.00"),
    )  # fmt: skip
    with pytest.raises(ValidationError, match=r"0\.01 to 200\.00"):
        credit_note_issue(invoice=invoice, amounts={fee.pk: D("200.01")}, reason="too much",
                          issued_on=date(2026, 2, 10), actor="a", now=NOW)  # fmt: skip
    with pytest.raises(ValidationError, match="a credit note is not credited"):
        credit_note_issue(invoice=note, reason="a note of a note",
                          issued_on=date(2026, 2, 10), actor="a", now=NOW)  # fmt: skip
    second = credit_note_issue(
        invoice=invoice,
        amounts={fee.pk: D("200.00")},
        reason="the rest",
        issued_on=date(2026, 2, 11),
        actor="accountant",
        now=NOW,
    )
    assert second.number == "CN-2026-000002"
    assert Invoice.objects.count() == 5  # nothing else was written by the refusals


def test_credits_are_deducted_on_the_next_invoice(three_customers: list[Customer]) -> None:
    beta = three_customers[1]
    goodwill = credit_grant(
        customer=beta, amount=D("50.00"), reason="late visit", granted_on=date(2026, 1, 20),
        actor="accountant", now=NOW,
    )  # fmt: skip
    too_big = credit_grant(
        customer=beta, amount=D("1000.00"), reason="outage", granted_on=date(2026, 1, 21),
        actor="accountant", now=NOW,
    )  # fmt: skip
    withdrawn = credit_grant(
        customer=beta, amount=D("5.00"), reason="typo", granted_on=date(2026, 1, 22),
        actor="accountant", now=NOW,
    )  # fmt: skip
    credit_cancel(credit=withdrawn, actor="accountant", now=NOW)
    bill()
    invoice = Invoice.objects.get(customer=beta)
    assert [(x.kind, x.description, x.amount) for x in invoice.lines.order_by("position")] == [
        ("fee", "expert monthly fee", D("300.00")),
        ("credit", "credit: late visit", D("-50.00")),
    ]
    assert (invoice.net_amount, invoice.vat_amount) == (D("250.00"), D("55.00"))
    assert goodwill.lines.get().invoice == invoice
    assert not too_big.lines.exists()  # it waits: an invoice is never negative
    with pytest.raises(ValidationError, match="already deducted"):
        credit_cancel(credit=goodwill, actor="a", now=NOW)
    assert Credit.objects.filter(lines__isnull=True, cancelled_at__isnull=True).count() == 1


def test_a_reopened_ticket_is_taken_back_and_billed_again_when_it_closes() -> None:
    p = plans({"key": "percall", "currency": "EUR"})
    who = customer("studio", currency="EUR", country="IT", vat_rate=D("22"))
    contract(who, p["percall"], date(2026, 1, 1))
    first = rated_ticket(who, at("2026-01-20T10:00:00"), [("labour", "60.00"), ("part", "10.00")])
    bill()
    january = Invoice.objects.get(customer=who)
    assert january.net_amount == D("70.00")
    part = january.lines.get(kind="part")
    credit_note_issue(  # the part was refunded already, in part
        invoice=january, amounts={part.pk: D("4.00")}, reason="part returned",
        issued_on=date(2026, 2, 2), actor="accountant", now=NOW,
    )  # fmt: skip
    # reopened on 5 February (the tickets app supersedes the rating), closed again on the 9th
    TicketRatingRow = type(first)
    TicketRatingRow.objects.filter(pk=first.pk).update(superseded_at=at("2026-02-05T09:00:00"))
    again = TicketRatingRow.objects.create(
        ticket=first.ticket, rated_at=at("2026-02-09T09:00:00"), currency="EUR",
        total_amount=D("90.00"), actor=ACTOR,
    )  # fmt: skip
    again.charges.create(ordinal=1, type="labour", amount=D("90.00"), explanation="more work")
    bill("2026-02", date(2026, 2, 28))
    february = Invoice.objects.get(customer=who, period__key="2026-02")
    ref = first.ticket.reference
    assert [(x.kind, x.description, x.amount) for x in february.lines.order_by("position")] == [
        ("labour", f"{ref} labour", D("90.00")),
        ("credit", f"{ref} labour of 2026-000001 taken back (reopened)", D("-60.00")),
        ("credit", f"{ref} part of 2026-000001 taken back (reopened)", D("-6.00")),
    ]
    assert february.net_amount == D("24.00")
    labour = january.lines.get(kind="labour")
    with pytest.raises(ValidationError, match=r"0\.01 to 0\.00"):
        credit_note_issue(invoice=january, amounts={labour.pk: D("1.00")}, reason="twice?",
                          issued_on=date(2026, 3, 1), actor="a", now=NOW)  # fmt: skip
    bill("2026-03", date(2026, 3, 31))  # taken back once only
    assert not Invoice.objects.filter(period__key="2026-03").exists()


def test_a_customer_without_anything_to_bill_gets_no_invoice() -> None:
    p = plans({"key": "percall", "currency": "EUR"})
    who = customer("quiet", currency="EUR", country="IT", vat_rate=D("22"))
    contract(who, p["percall"], date(2026, 1, 1))
    rated_ticket(who, at("2026-01-20T10:00:00"), [("labour", "0.00")])  # all in the allowance
    assert bill().invoices_issued == 0
    assert not Invoice.objects.exists()


def test_the_admin_lists_invoices_and_serves_their_pdf(
    three_customers: list[Customer], admin_client: Client, settings: Any
) -> None:
    settings.STORAGES = settings.STORAGES | {  # no collected static manifest in tests
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    bill()
    invoice = Invoice.objects.get(number="2026-000002")
    listing = admin_client.get("/admin/billing/invoice/")
    assert listing.status_code == 200 and b"2026-000003" in listing.content
    page = admin_client.get(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert page.status_code == 200 and b"Save" not in page.content  # view only
    pdf = admin_client.get(f"/admin/billing/invoice/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
