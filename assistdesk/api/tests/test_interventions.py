"""Interventions: logged on a ticket through the API, listed and read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rest_framework.test import APIClient

from assistdesk.api.tests.conftest import World, errors, fields
from assistdesk.common import clock
from assistdesk.tickets.models import Intervention


def work(**overrides: Any) -> dict[str, Any]:
    # The tickets were received a moment ago: the work starts now and takes 50 minutes.
    start = clock.now()
    return {
        "mode": "onsite",
        "activity": "support",
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(minutes=50)).isoformat(),
        "description": "Replaced the fuser.",
        "km": "12.5",
        "resolved": True,
        "parts": [{"name": "Fuser unit", "quantity": "1", "unit_price": "89.90"}],
    } | overrides


def test_log_an_intervention(staff: APIClient, world: World) -> None:
    number = world.acme.ticket.number
    response = staff.post(f"/api/v1/tickets/{number}/interventions", work())
    assert response.status_code == 201, response.json()
    made = response.json()
    assert (made["ticket"], made["technician"], made["mode"]) == (number, "dora", "onsite")
    assert made["km"] == "12.50" and made["is_resolved"] is True
    assert made["parts"][0]["name"] == "Fuser unit"
    assert made["parts"][0]["unit_price_amount"] == "89.90"
    assert staff.get(f"/api/v1/tickets/{number}").json()["state"] == "in_progress"
    named = staff.post(f"/api/v1/tickets/{number}/interventions", work(technician="tom", km="0",
                                                                      mode="remote"))  # fmt: skip
    assert named.json()["technician"] == "tom"


def test_intervention_errors_name_the_field(staff: APIClient, world: World) -> None:
    url = f"/api/v1/tickets/{world.acme.ticket.number}/interventions"
    now = clock.now()
    backwards = work(start_at=now.isoformat(), end_at=(now - timedelta(seconds=1)).isoformat())
    assert fields(staff.post(url, backwards)) == ["end_at"]
    assert fields(staff.post(url, work(mode="remote"))) == ["km"]  # only on-site travels
    negative = work(parts=[{"name": "x", "quantity": "-1", "unit_price": "1"}])
    assert fields(staff.post(url, negative)) == ["parts[0].quantity"]
    nameless = work(parts=[{"name": "ok", "unit_price": "1"}, {"unit_price": "1"}])
    assert fields(staff.post(url, nameless)) == ["parts[1].name"]
    assert fields(staff.post(url, work(technician="ghost"))) == ["technician"]
    assert fields(staff.post(url, {})) == ["mode", "start_at", "end_at"]
    assert not Intervention.objects.exists()


def test_a_customer_token_reads_but_does_not_log(
    staff: APIClient, acme: APIClient, world: World
) -> None:
    url = f"/api/v1/tickets/{world.acme.ticket.number}/interventions"
    staff.post(url, work())
    refused = acme.post(url, work())
    assert refused.status_code == 403
    assert errors(refused)[0]["message"] == "not available to a customer-scoped token"
    assert [i["mode"] for i in acme.get(url).json()["results"]] == ["onsite"]


def test_list_and_read(staff: APIClient, world: World) -> None:
    staff.post(f"/api/v1/tickets/{world.acme.ticket.number}/interventions", work())
    staff.post(
        f"/api/v1/tickets/{world.bravo.ticket.number}/interventions",
        work(mode="remote", km="0", technician="tom"),
    )
    listed = staff.get("/api/v1/interventions").json()
    assert listed["count"] == 2
    assert staff.get("/api/v1/interventions", {"customer": "bravo"}).json()["count"] == 1
    assert staff.get("/api/v1/interventions", {"technician": "tom"}).json()["count"] == 1
    assert staff.get("/api/v1/interventions", {"mode": "onsite"}).json()["count"] == 1
    by_ticket = staff.get("/api/v1/interventions", {"ticket": world.acme.ticket.number}).json()
    pk = by_ticket["results"][0]["id"]
    assert staff.get(f"/api/v1/interventions/{pk}").json()["description"] == ("Replaced the fuser.")
    assert staff.get("/api/v1/interventions/999999").status_code == 404
    since = (clock.now() + timedelta(minutes=1)).isoformat()
    assert staff.get("/api/v1/interventions", {"recorded_since": since}).json()["count"] == 0
