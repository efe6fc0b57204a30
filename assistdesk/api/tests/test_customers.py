"""Customers, contacts, contracts, plans and allowance balances."""

from __future__ import annotations

from rest_framework.test import APIClient

from assistdesk.api.tests.conftest import World, errors, fields
from assistdesk.common import clock
from assistdesk.contracts.services import package_purchase
from assistdesk.customers.models import Customer


def test_customers_list_and_read(staff: APIClient, world: World) -> None:
    listed = staff.get("/api/v1/customers").json()
    assert [c["key"] for c in listed["results"]] == ["acme", "bravo"]
    acme = staff.get("/api/v1/customers/acme").json()
    assert acme["name"] == "Acme S.p.A." and acme["vat_rate"] == "22.00"
    assert "support_pin_hash" not in acme
    assert staff.get("/api/v1/customers/nobody").status_code == 404


def test_create_a_customer(staff: APIClient, world: World) -> None:
    body = {"key": "delta", "name": "Delta SRL", "country": "RO", "currency": "RON",
            "vat_rate": "19", "language": "ro"}  # fmt: skip
    response = staff.post("/api/v1/customers", body)
    assert response.status_code == 201, response.json()
    assert response.json()["key"] == "delta"
    assert Customer.objects.get(key="delta").currency == "RON"


def test_customer_errors_name_the_field(staff: APIClient, world: World) -> None:
    # The service's rule (country in capitals, VAT required) names the field.
    body = {"key": "echo", "name": "Echo", "country": "ro", "currency": "RON"}
    response = staff.post("/api/v1/customers", body)
    assert response.status_code == 400
    assert set(fields(response)) == {"country", "vat_rate"}
    assert not Customer.objects.filter(key="echo").exists()
    # A serializer's own check names it the same way.
    response = staff.post("/api/v1/customers", {"key": "no spaces", "name": "x"})
    assert set(fields(response)) == {"key", "country", "currency"}
    # A duplicate key, found by the model's validation.
    body = {"key": "acme", "name": "x", "country": "IT", "currency": "EUR", "vat_rate": "22"}
    assert fields(staff.post("/api/v1/customers", body)) == ["key"]


def test_contacts(staff: APIClient, world: World) -> None:
    listed = staff.get("/api/v1/contacts", {"customer": "acme"}).json()
    assert [c["email"] for c in listed["results"]] == ["anna@acme.example"]
    pk = listed["results"][0]["id"]
    assert staff.get(f"/api/v1/contacts/{pk}").json()["customer"] == "acme"
    made = staff.post(
        "/api/v1/contacts", {"customer": "acme", "name": "Bruno", "email": "bruno@acme.example"}
    )
    assert made.status_code == 201
    assert made.json()["is_authorised"] is False
    wrong = staff.post("/api/v1/contacts", {"customer": "nobody", "name": "x", "email": "nope"})
    assert set(fields(wrong)) == {"email"}  # shapes first
    wrong = staff.post("/api/v1/contacts", {"customer": "nobody", "name": "x"})
    assert errors(wrong) == [
        {"field": "customer", "message": "no customer 'nobody'", "code": "invalid"}
    ]
    filtered = staff.get("/api/v1/contacts", {"is_authorised": "true"}).json()
    assert filtered["count"] == 2


def test_contracts_and_plans(staff: APIClient, world: World) -> None:
    listed = staff.get("/api/v1/contracts", {"customer": "bravo"}).json()
    assert [(c["customer"], c["plan"], c["state"]) for c in listed["results"]] == [
        ("bravo", "annual", "active")
    ]
    pk = listed["results"][0]["id"]
    assert staff.get(f"/api/v1/contracts/{pk}").json()["plan"] == "annual"
    plans = staff.get("/api/v1/plans").json()
    assert [p["key"] for p in plans["results"]] == ["annual", "remote12"]
    annual = staff.get("/api/v1/plans/annual").json()
    assert annual["spec"]["rates"]["onsite"]["price"] == "55"
    assert staff.get("/api/v1/plans/nope").status_code == 404


def test_create_a_contract_and_its_errors(staff: APIClient, world: World) -> None:
    made = staff.post(
        "/api/v1/contracts", {"customer": "acme", "plan": "annual", "start_on": "2027-01-01"}
    )
    assert made.status_code == 201, made.json()
    assert made.json()["state"] == "active"
    # The service refuses a package plan, naming `plan`.
    refused = staff.post(
        "/api/v1/contracts", {"customer": "acme", "plan": "remote12", "start_on": "2027-01-01"}
    )
    assert fields(refused) == ["plan"]
    unknown = staff.post(
        "/api/v1/contracts", {"customer": "acme", "plan": "gold", "start_on": "1900-01-01"}
    )
    assert fields(unknown) == ["start_on"]
    unknown = staff.post(
        "/api/v1/contracts", {"customer": "acme", "plan": "gold", "start_on": "2027-01-01"}
    )
    assert errors(unknown)[0] == {"field": "plan", "message": "no plan 'gold'", "code": "invalid"}


def test_allowances_are_the_ledgers_summed(staff: APIClient, world: World) -> None:
    package_purchase(
        customer=world.acme.customer, plan=world.package, actor="test", now=clock.now()
    )
    response = staff.get("/api/v1/customers/acme/allowances")
    assert response.status_code == 200
    (line,) = response.json()["results"]
    assert line["granted_minutes"] == "720"
    assert line["used_minutes"] == "0"
    assert line["left_minutes"] == "720"
    assert line["source"].startswith("package remote12")
    assert staff.get("/api/v1/customers/nobody/allowances").status_code == 404
