"""Invoices and statements to the outbox, the month-end job, the commands and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_tasks import default_task_backend

from assistdesk.billing import tasks
from assistdesk.billing.models import ExchangeRate, Invoice, InvoiceDocument, Statement
from assistdesk.billing.selectors import invoices_csv, invoices_for_export
from assistdesk.billing.services import (
    billing_run,
    credit_note_issue,
    invoice_send,
    statement_issue,
)
from assistdesk.billing.tests.builders import ACTOR, NOW, contract, customer, example, plans
from assistdesk.channels.models import OutboxMessage
from assistdesk.common import clock
from assistdesk.customers.models import Contact, Customer

pytestmark = pytest.mark.django_db
D = Decimal
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def acme(shared_dir: Path) -> Customer:
    world = example(shared_dir, "example-01-ticket-plan")
    acme = world.customers["acme"]
    Contact.objects.create(customer=acme, name="Ana Pop", email="ana@acme.ro", is_authorised=True)
    Contact.objects.create(
        customer=acme, name="Contabilitate", email="factura@acme.ro", is_accounting=True
    )
    return acme


def test_an_invoice_goes_to_accounting_once_with_its_pdf(acme: Customer) -> None:
    billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=ACTOR, now=NOW)
    invoice = Invoice.objects.get()
    document = invoice_send(invoice=invoice, actor=ACTOR, now=NOW)
    assert document.sent_at == NOW and bytes(document.pdf).startswith(b"%PDF")
    message = OutboxMessage.objects.get()
    assert (message.to, message.language, message.context_ref, message.template) == (
        ["factura@acme.ro"], "ro", "invoice:2026-000001", "invoice",
    )  # fmt: skip
    assert "2026-000001" in message.subject
    assert "4.021,76 RON" in message.body_text  # the total, Romanian style
    (attachment,) = message.attachments.all()
    assert (attachment.filename, attachment.content_type) == ("2026-000001.pdf", "application/pdf")

    again = invoice_send(invoice=invoice, actor=ACTOR, now=NOW)
    assert again.pk == document.pk and OutboxMessage.objects.count() == 1


def test_without_a_contact_the_pdf_is_kept_and_nothing_is_sent() -> None:
    p = plans({"key": "expert", "currency": "EUR", "fees": {"monthly": "300"}})
    contract(customer("lonely", currency="EUR"), p["expert"], date(2026, 1, 1))
    billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=ACTOR, now=NOW)
    document = invoice_send(invoice=Invoice.objects.get(), actor=ACTOR, now=NOW)
    assert document.sent_at is None and not OutboxMessage.objects.exists()


def test_the_statement_is_issued_once_in_the_customer_language(acme: Customer) -> None:
    statement = statement_issue(customer=acme, period="2026-01", actor=ACTOR, now=NOW)
    assert statement.sent_at == NOW
    assert (statement.language, bytes(statement.pdf)[:4]) == ("ro", b"%PDF")
    message = OutboxMessage.objects.get(template="statement")
    assert message.to == ["factura@acme.ro"]
    assert statement_issue(customer=acme, period="2026-01", actor=ACTOR, now=NOW) == statement
    assert Statement.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_the_month_end_job_bills_the_previous_month_and_queues_the_mail(acme: Customer) -> None:
    with (
        override_settings(TASKS=DUMMY_TASKS),
        clock.frozen_at(datetime(2026, 2, 1, 12, 30, tzinfo=UTC)),
    ):
        default_task_backend.clear()  # type: ignore[attr-defined]
        assert tasks.bill_previous_month.call() == (
            "2026-01: 1 invoices, 6 lines, 0 customers not billed"
        )
        queued = [(r.task.name, r.args) for r in default_task_backend.results]  # type: ignore[attr-defined]
        invoice = Invoice.objects.get()
        assert invoice.issued_on == date(2026, 1, 31)
        assert queued == [("send_invoice", [invoice.pk]), ("send_statement", [acme.pk, "2026-01"])]
        assert tasks.bill_previous_month.call() == "2026-01: billed already"
        assert tasks.send_invoice.call(invoice.pk) == "2026-000001: queued"
        assert tasks.send_statement.call(acme.pk, "2026-01") == "acme 2026-01: sent"
    assert InvoiceDocument.objects.get().sent_at is not None


def test_the_bill_command(acme: Customer, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("bill", "--period", "2026-01", "--date", "2026-01-31", "--send")
    out = capsys.readouterr().out
    assert "2026-01: 1 invoices issued (6 lines), 0 customers already invoiced" in out
    assert "1 invoices handed to the outbox" in out
    call_command("bill", "--period", "2026-01", "--date", "2026-01-31")
    assert "0 invoices issued (0 lines), 1 customers already invoiced" in capsys.readouterr().out
    with pytest.raises(CommandError, match="expected YYYY-MM"):
        call_command("bill", "--period", "2026-1", "--date", "2026-01-31")
    with pytest.raises(CommandError, match="no customer nobody"):
        call_command("bill", "--period", "2026-02", "--date", "2026-02-28", "--customer", "nobody")
    ExchangeRate.objects.all().delete()
    with pytest.raises(CommandError, match="1 customers not billed"):
        call_command("bill", "--period", "2026-02", "--date", "2026-02-28")
    assert "not billed: acme: no EUR->RON rate" in capsys.readouterr().err


def test_the_csv_for_accounting(acme: Customer, tmp_path: Path) -> None:
    billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=ACTOR, now=NOW)
    invoice = Invoice.objects.get()
    credit_note_issue(invoice=invoice, reason="x", issued_on=date(2026, 2, 2), actor=ACTOR, now=NOW)
    rows = list(csv.reader(io.StringIO(invoices_csv(invoices_for_export(period="2026-01")))))
    assert rows == [
        ["number", "date", "customer", "vat_id", "currency", "net", "vat", "total", "fx_rate",
         "period", "kind", "credited_invoice"],
        ["2026-000001", "2026-01-31", "Acme S.R.L.", acme.vat_id, "RON", "3323.77", "697.99",
         "4021.76", "5.189352", "2026-01", "invoice", ""],
        ["CN-2026-000001", "2026-02-02", "Acme S.R.L.", acme.vat_id, "RON", "-3323.77",
         "-697.99", "-4021.76", "5.189352", "2026-01", "credit_note", "2026-000001"],
    ]  # fmt: skip
    target = tmp_path / "january.csv"
    call_command("invoices_csv", "--from", "2026-02-01", "-o", str(target))
    assert target.read_text().splitlines()[1].startswith("CN-2026-000001,2026-02-02,")


def test_the_statements_command(acme: Customer, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("statements", "--period", "2026-01")
    assert "2026-01: 1 statements, 1 sent" in capsys.readouterr().out
    assert Statement.objects.get().customer == acme


def test_the_demo_bills_last_month() -> None:
    from assistdesk.billing import demo as billing_demo
    from assistdesk.catalog import demo as catalog_demo
    from assistdesk.contracts import demo as contracts_demo
    from assistdesk.customers import demo as customers_demo

    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    for module in (customers_demo, catalog_demo, contracts_demo, billing_demo):
        module.load(now=now)
    invoices = Invoice.objects.filter(period__key="2026-02")
    assert invoices.count() >= 3
    assert {i.issued_on for i in invoices} == {date(2026, 2, 28)}
    ron = invoices.filter(currency="RON").first()
    assert ron is not None and ron.fx_published_on == date(2026, 2, 27)  # Friday's rate
