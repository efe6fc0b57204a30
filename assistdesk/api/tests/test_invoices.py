"""Invoices (read): issued by the billing run, shown with their lines; a customer sees its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from assistdesk.api.tests.conftest import World, fields
from assistdesk.billing.models import Invoice
from assistdesk.billing.services import billing_run, credit_note_issue
from assistdesk.common import clock
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services import intervention_log, ticket_close


def work_and_close(ticket: Ticket) -> None:
    now = clock.now()
    intervention_log(
        ticket=ticket, mode="remote", activity="support", start_at=now,
        end_at=now + timedelta(minutes=45), resolved=True, actor="test", now=now,
    )  # fmt: skip
    ticket_close(ticket=ticket, actor="test", now=clock.now())


def invoice_month(*customers: Customer) -> list[Invoice]:
    now = clock.now()
    billing_run(
        period=f"{now:%Y-%m}", invoice_on=now.date(), customers=customers, actor="test", now=now
    )
    return list(Invoice.objects.order_by("id"))


@pytest.fixture
def invoiced(world: World) -> list[Invoice]:
    work_and_close(world.acme.ticket)
    work_and_close(world.bravo.ticket)
    issued = invoice_month(world.acme.customer, world.bravo.customer)
    assert len(issued) == 2
    return issued


def test_list_and_read_invoices(staff: APIClient, invoiced: list[Invoice]) -> None:
    listed = staff.get("/api/v1/invoices").json()
    assert sorted(i["customer"] for i in listed["results"]) == ["acme", "bravo"]
    acme = next(i for i in listed["results"] if i["customer"] == "acme")
    assert acme["kind"] == "invoice" and acme["currency"] == "EUR"
    detail = staff.get(f"/api/v1/invoices/{acme['id']}").json()
    assert detail["number"] == acme["number"]
    assert detail["lines"] and detail["lines"][0]["source"] == "ticket"
    assert sum(float(line["amount"]) for line in detail["lines"]) == float(detail["net_amount"])
    assert staff.get("/api/v1/invoices", {"customer": "bravo"}).json()["count"] == 1
    assert staff.get("/api/v1/invoices", {"kind": "credit_note"}).json()["count"] == 0
    assert staff.get("/api/v1/invoices", {"period": acme["period"]}).json()["count"] == 2
    assert fields(staff.get("/api/v1/invoices", {"period": "11/2026"})) == ["period"]


def test_credit_notes_name_what_they_credit(staff: APIClient, invoiced: list[Invoice]) -> None:
    first = invoiced[0]
    credit_note_issue(
        invoice=first, reason="goodwill", issued_on=clock.now().date(), actor="test",
        now=clock.now(),
    )  # fmt: skip
    (note,) = staff.get("/api/v1/invoices", {"kind": "credit_note"}).json()["results"]
    assert note["credited_invoice"] == first.number and note["reason"] == "goodwill"


def test_a_customer_sees_its_own_invoices(
    acme: APIClient, invoiced: list[Invoice], world: World
) -> None:
    listed = acme.get("/api/v1/invoices").json()["results"]
    assert [i["customer"] for i in listed] == ["acme"]
    bravo = next(i for i in invoiced if i.customer_id == world.bravo.customer.pk)
    assert acme.get(f"/api/v1/invoices/{bravo.pk}").status_code == 404
