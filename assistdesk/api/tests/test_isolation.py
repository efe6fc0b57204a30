"""A customer-scoped token sees its company only: another company's object answers
exactly like one that does not exist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from assistdesk.api.tests.conftest import World, errors, fields
from assistdesk.common import clock
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services import intervention_log

MISSING = 999_999


@pytest.fixture
def bravo_work(world: World) -> int:
    now = clock.now()
    made = intervention_log(
        ticket=world.bravo.ticket, mode="remote", activity="support", start_at=now,
        end_at=now + timedelta(minutes=30), actor="test", now=now,
    )  # fmt: skip
    return made.pk


def test_another_companys_objects_are_not_found(
    acme: APIClient, world: World, bravo_work: int
) -> None:
    bravo = world.bravo
    pairs = [
        (f"/api/v1/tickets/{bravo.ticket.number}", f"/api/v1/tickets/{MISSING}"),
        (f"/api/v1/tickets/{bravo.ticket.number}/messages", f"/api/v1/tickets/{MISSING}/messages"),
        (f"/api/v1/tickets/{bravo.ticket.number}/interventions",
         f"/api/v1/tickets/{MISSING}/interventions"),
        ("/api/v1/customers/bravo", "/api/v1/customers/nobody"),
        ("/api/v1/customers/bravo/allowances", "/api/v1/customers/nobody/allowances"),
        (f"/api/v1/contacts/{bravo.contact.pk}", f"/api/v1/contacts/{MISSING}"),
        (f"/api/v1/contracts/{bravo.contract.pk}", f"/api/v1/contracts/{MISSING}"),
        (f"/api/v1/interventions/{bravo_work}", f"/api/v1/interventions/{MISSING}"),
    ]  # fmt: skip
    for theirs, missing in pairs:
        a, b = acme.get(theirs), acme.get(missing)
        assert (
            (a.status_code, a.json())
            == (b.status_code, b.json())
            == (
                404,
                {"errors": [{"field": None, "message": "Not found.", "code": "not_found"}]},
            )
        ), theirs


def test_writing_to_another_companys_ticket_is_not_found(acme: APIClient, world: World) -> None:
    number = world.bravo.ticket.number
    for path, body in (
        ("messages", {"body": "hello"}),
        ("transitions", {"action": "close"}),
    ):
        response = acme.post(f"/api/v1/tickets/{number}/{path}", body)
        assert response.status_code == 404, path
    assert Ticket.objects.get(pk=world.bravo.ticket.pk).state == "new"


def test_lists_hold_the_company_only(acme: APIClient, world: World, bravo_work: int) -> None:
    for path in ("tickets", "customers", "contacts", "contracts", "interventions", "invoices"):
        rows = acme.get(f"/api/v1/{path}").json()["results"]
        assert all("bravo" not in str(row) for row in rows), path
    assert [t["customer"] for t in acme.get("/api/v1/tickets").json()["results"]] == ["acme"]
    assert acme.get("/api/v1/tickets", {"customer": "bravo"}).json()["count"] == 0


def test_it_opens_tickets_for_its_company_only(acme: APIClient, world: World) -> None:
    made = acme.post("/api/v1/tickets", {"subject": "Scanner jammed"})
    assert made.status_code == 201 and made.json()["customer"] == "acme"
    other = acme.post("/api/v1/tickets", {"subject": "x", "customer": "bravo"})
    assert errors(other) == [
        {"field": "customer", "message": "no customer 'bravo'", "code": "invalid"}
    ]
    # Another company's contact is no contact (its name is not revealed).
    theirs = acme.post("/api/v1/tickets", {"subject": "x", "requester": world.bravo.contact.pk})
    assert fields(theirs) == ["requester"]
    assert world.bravo.contact.name not in str(theirs.json())


def test_it_cannot_create_companies_or_contracts(acme: APIClient, world: World) -> None:
    body = {"key": "x", "name": "x", "country": "IT", "currency": "EUR", "vat_rate": "22"}
    assert acme.post("/api/v1/customers", body).status_code == 403
    assert acme.post("/api/v1/contacts", {"customer": "acme", "name": "x"}).status_code == 403
    contract = {"customer": "acme", "plan": "annual", "start_on": "2027-01-01"}
    assert acme.post("/api/v1/contracts", contract).status_code == 403
