"""Tickets: open, list (filters, ordering, pages), read, thread, transitions, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from assistdesk.api.tests.conftest import World, errors, fields
from assistdesk.common import clock
from assistdesk.tickets.models import Message, Ticket, TicketEvent
from assistdesk.tickets.services import ticket_create


def open_ticket(client: APIClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/tickets", {"customer": "acme", "subject": "VPN down"} | body)
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_open_a_ticket(staff: APIClient, world: World) -> None:
    made = open_ticket(
        staff, requester=world.acme.contact.pk, body="Nobody can connect.", severity=1
    )
    assert made["reference"] == f"AD-{made['number']:06d}"
    assert (made["customer"], made["origin"], made["state"]) == ("acme", "web", "new")
    assert made["is_urgent"] is True  # severity 1 is urgent (§2.4)
    assert made["plan"] == "annual"
    assert made["targets"] == []  # the urgent on-site target waits for an on-site visit
    ticket = Ticket.objects.get(number=made["number"])
    assert ticket.requester == world.acme.contact
    assert Message.objects.get(ticket=ticket).body_text == "Nobody can connect."
    assert TicketEvent.objects.get(ticket=ticket, kind="created").actor == (
        f"user:{world.dispatcher.pk}"
    )


def test_an_integration_is_recorded_as_its_token(make_token: Any, world: World) -> None:
    token, client = make_token(name="zabbix bridge")
    made = open_ticket(client, origin="monitoring")
    ticket = Ticket.objects.get(number=made["number"])
    assert TicketEvent.objects.get(ticket=ticket, kind="created").actor == f"token:{token.pk}"


def test_ticket_errors_name_the_field(staff: APIClient, world: World) -> None:
    before = Ticket.objects.count()
    bad = staff.post("/api/v1/tickets", {"customer": "acme", "severity": 5, "kind": "x"})
    assert set(fields(bad)) == {"subject", "severity", "kind"}
    assert fields(staff.post("/api/v1/tickets", {"subject": "x"})) == ["customer"]
    # Rules of the service, reported on the field the client sent.
    future = (clock.now() + timedelta(hours=1)).isoformat()
    late = {"customer": "acme", "subject": "x", "received_at": future}
    assert fields(staff.post("/api/v1/tickets", late)) == ["received_at"]
    world.acme.contact.is_authorised = False
    world.acme.contact.save()
    refused = staff.post(
        "/api/v1/tickets", {"customer": "acme", "subject": "x", "requester": world.acme.contact.pk}
    )
    assert fields(refused) == ["requester"]
    assert "not an authorised contact" in errors(refused)[0]["message"]
    assert fields(staff.post("/api/v1/tickets", ["not", "an", "object"])) == [None]
    assert Ticket.objects.count() == before


def test_a_body_that_is_not_json_is_400(staff: APIClient, world: World) -> None:
    response = staff.post("/api/v1/tickets", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert errors(response)[0]["code"] == "parse_error"


def test_list_filters_and_ordering(staff: APIClient, world: World) -> None:
    open_ticket(staff, severity=1, origin="phone")
    open_ticket(staff, customer="bravo", severity=3)
    get = lambda **q: [t["subject"] for t in staff.get("/api/v1/tickets", q).json()["results"]]  # noqa: E731
    assert len(get()) == 4
    assert get(customer="bravo") == ["VPN down", "bravo: printer offline"]
    assert get(severity=1) == ["VPN down"]
    assert get(origin="phone") == ["VPN down"]
    assert get(state="closed") == []
    assert len(get(is_open="true")) == 4
    later = clock.now().isoformat()
    assert get(updated_since=later) == []
    queue = staff.get("/api/v1/tickets", {"ordering": "queue"}).json()["results"]
    assert queue[0]["severity"] == 1
    numbers = [
        t["number"] for t in staff.get("/api/v1/tickets", {"ordering": "number"}).json()["results"]
    ]
    assert numbers == sorted(numbers)
    bad = staff.get("/api/v1/tickets", {"ordering": "subject", "severity": "9",
                                        "updated_since": "yesterday"})  # fmt: skip
    assert set(fields(bad)) == {"ordering", "severity", "updated_since"}


def test_pages(staff: APIClient, world: World) -> None:
    first = staff.get("/api/v1/tickets", {"page_size": 1}).json()
    assert first["count"] == 2 and len(first["results"]) == 1 and first["next"]
    assert fields(staff.get("/api/v1/tickets", {"page": 9})) == ["page"]


def test_a_list_page_costs_the_same_queries_whatever_its_length(
    staff: APIClient, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    staff.get("/api/v1/tickets")  # the token's last use is written once a minute at most
    with django_assert_num_queries(3):  # token, count, page
        staff.get("/api/v1/tickets")
    for n in range(10):
        ticket_create(customer=world.bravo.customer, origin="email", subject=f"n{n}",
                      actor="test", now=clock.now())  # fmt: skip
    with django_assert_num_queries(3):
        assert staff.get("/api/v1/tickets").json()["count"] == 12


def test_read_a_ticket(staff: APIClient, world: World) -> None:
    number = world.acme.ticket.number
    got = staff.get(f"/api/v1/tickets/{number}").json()
    assert got["subject"] == "acme: printer offline"
    assert got["targets"][0]["kind"] == "response" and got["rating"] is None
    assert staff.get("/api/v1/tickets/99999").status_code == 404
    assert staff.get("/api/v1/tickets/99999999999999999999").status_code == 404


def test_replies_and_notes(staff: APIClient, acme: APIClient, world: World) -> None:
    number = world.acme.ticket.number
    reply = staff.post(f"/api/v1/tickets/{number}/messages", {"body": "Restart it, please."})
    assert reply.status_code == 201
    assert reply.json()["kind"] == "reply" and reply.json()["author_user"] == "dora"
    note = staff.post(f"/api/v1/tickets/{number}/messages", {"body": "Toner?", "is_public": False})
    assert note.json()["kind"] == "note"
    assert staff.get(f"/api/v1/tickets/{number}").json()["state"] == "in_progress"
    # The customer sees the public thread only, and its answer is a customer reply.
    seen = [m["kind"] for m in acme.get(f"/api/v1/tickets/{number}/messages").json()["results"]]
    assert seen == ["request", "reply"]
    answer = acme.post(f"/api/v1/tickets/{number}/messages", {"body": "Done, still offline."})
    assert answer.json()["kind"] == "customer_reply"
    assert answer.json()["author_contact"] == world.acme.contact.pk
    refused = acme.post(f"/api/v1/tickets/{number}/messages", {"body": "x", "is_public": False})
    assert fields(refused) == ["is_public"]
    assert fields(staff.post(f"/api/v1/tickets/{number}/messages", {"body": ""})) == ["body"]


def test_transitions(staff: APIClient, world: World) -> None:
    url = f"/api/v1/tickets/{world.acme.ticket.number}/transitions"
    assert staff.post(url, {"action": "acknowledge"}).json()["state"] == "acknowledged"
    assigned = staff.post(url, {"action": "assign", "assignee": "tom"}).json()
    assert (assigned["state"], assigned["assignee"]) == ("assigned", "tom")
    assert fields(staff.post(url, {"action": "assign"})) == ["assignee"]
    assert fields(staff.post(url, {"action": "assign", "assignee": "ghost"})) == ["assignee"]
    assert fields(staff.post(url, {"action": "wait"})) == ["reason"]
    waiting = staff.post(url, {"action": "wait", "reason": "which printer?"}).json()
    assert waiting["state"] == "waiting_customer"
    moved = staff.post(url, {"action": "transition", "to_state": "in_progress"}).json()
    assert moved["state"] == "in_progress"
    assert staff.post(url, {"action": "resolve", "reason": "driver"}).json()["state"] == "resolved"
    closed = staff.post(url, {"action": "close"}).json()
    assert closed["state"] == "closed" and closed["rating"]["currency"] == "EUR"
    again = staff.post(url, {"action": "close"})
    assert again.status_code == 409
    assert errors(again) == [
        {"field": "state", "message": f"{closed['reference']} is closed already",
         "code": "conflict"}
    ]  # fmt: skip
    assert fields(staff.post(url, {"action": "reopen"})) == ["reason"]
    assert staff.post(url, {"action": "reopen", "reason": "back"}).json()["state"] == "reopened"
    bad = staff.post(url, {"action": "transition", "to_state": "new"})
    assert bad.status_code == 409 and fields(bad) == ["state"]


def test_assigning_needs_a_dispatcher(
    make_token: Any, integration: APIClient, world: World
) -> None:
    url = f"/api/v1/tickets/{world.acme.ticket.number}/transitions"
    assert integration.post(url, {"action": "assign", "assignee": "tom"}).status_code == 403
    _, tom = make_token(user=world.technician)
    refused = tom.post(url, {"action": "assign", "assignee": "tom"})
    assert refused.status_code == 403
    assert "not a dispatcher" in errors(refused)[0]["message"]


def test_the_customer_confirms_or_reopens_only(
    staff: APIClient, acme: APIClient, world: World
) -> None:
    url = f"/api/v1/tickets/{world.acme.ticket.number}/transitions"
    assert acme.post(url, {"action": "resolve"}).status_code == 403
    staff.post(url, {"action": "resolve"})
    assert acme.post(url, {"action": "reopen", "reason": "still broken"}).json()["state"] == (
        "reopened"
    )
    staff.post(url, {"action": "resolve"})
    assert acme.post(url, {"action": "close"}).json()["state"] == "closed"


def test_history(staff: APIClient, acme: APIClient, world: World) -> None:
    number = world.acme.ticket.number
    staff.post(f"/api/v1/tickets/{number}/transitions", {"action": "acknowledge"})
    events = staff.get(f"/api/v1/tickets/{number}/history").json()["results"]
    assert [e["kind"] for e in events][:3] == ["created", "transition", "acknowledgement"]
    assert events[1]["to_state"] == "acknowledged"
    assert acme.get(f"/api/v1/tickets/{number}/history").status_code == 403
