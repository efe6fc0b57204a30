"""`Idempotency-Key`: the first answer, again, and nothing done twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from assistdesk.api.models import IdempotencyRecord
from assistdesk.api.tests.conftest import MakeToken, World, client_for, errors
from assistdesk.api.tokens import api_token_create, idempotency_records_purge
from assistdesk.common import clock
from assistdesk.tickets.models import Message, Ticket

BODY = {"customer": "acme", "subject": "Backup failed", "severity": 2}


def post(client: APIClient, key: str, body: Any = BODY, path: str = "/api/v1/tickets") -> Any:
    return client.post(path, body, HTTP_IDEMPOTENCY_KEY=key)


def test_a_repeated_key_returns_the_first_answer_and_changes_nothing(
    staff: APIClient, world: World
) -> None:
    first = post(staff, "order-1")
    assert first.status_code == 201
    count = Ticket.objects.count()
    again = post(staff, "order-1")
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Ticket.objects.count() == count
    # Same meaning, other spelling (key order, spacing): the same request.
    respelled = staff.post(
        "/api/v1/tickets",
        '{"severity": 2,   "subject": "Backup failed", "customer": "acme"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-1",
    )
    assert respelled.content == first.content
    assert Ticket.objects.count() == count


def test_the_same_key_with_another_body_is_422_naming_the_header(
    staff: APIClient, world: World
) -> None:
    post(staff, "order-2")
    count = Ticket.objects.count()
    other = post(staff, "order-2", BODY | {"severity": 1})
    assert other.status_code == 422
    assert [(e["field"], e["code"]) for e in errors(other)] == [
        ("Idempotency-Key", "idempotency_key_reused")
    ]
    elsewhere = post(
        staff, "order-2", {"body": "hi"}, f"/api/v1/tickets/{world.acme.ticket.number}/messages"
    )
    assert elsewhere.status_code == 422
    assert Ticket.objects.count() == count
    assert post(staff, "order-2").status_code == 201  # the first answer still stands


def test_keys_belong_to_their_token(make_token: MakeToken, world: World) -> None:
    _, one = make_token(name="one")
    _, two = make_token(name="two")
    a, b = post(one, "same"), post(two, "same")
    assert a.status_code == b.status_code == 201
    assert a.json()["number"] != b.json()["number"]


def test_a_refusal_is_an_answer_too(staff: APIClient, world: World) -> None:
    url = f"/api/v1/tickets/{world.acme.ticket.number}/messages"
    first = post(staff, "reply-1", {"body": ""}, url)
    assert first.status_code == 400
    assert post(staff, "reply-1", {"body": ""}, url).content == first.content
    assert post(staff, "reply-2", {"body": "ok"}, url).status_code == 201
    assert post(staff, "reply-2", {"body": "ok"}, url).status_code == 201
    assert Message.objects.filter(body_text="ok").count() == 1


def test_a_malformed_key_is_400_naming_the_header(staff: APIClient, world: World) -> None:
    for key in ("", "x" * 256, "caffè"):
        response = post(staff, key)
        assert response.status_code == 400, key
        assert errors(response)[0]["field"] == "Idempotency-Key"
    assert not IdempotencyRecord.objects.exists()


def test_unauthenticated_and_forbidden_requests_claim_no_key(
    make_token: MakeToken, world: World
) -> None:
    _, reader = make_token("tickets:read")
    assert post(reader, "k").status_code == 403
    assert post(APIClient(HTTP_HOST="localhost"), "k").status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_get_ignores_the_header(staff: APIClient, world: World) -> None:
    staff.get("/api/v1/tickets", HTTP_IDEMPOTENCY_KEY="k")
    assert not IdempotencyRecord.objects.exists()


def test_old_answers_are_purged(staff: APIClient, world: World) -> None:
    post(staff, "old")
    assert idempotency_records_purge(older_than=timedelta(hours=24), now=clock.now()) == 0
    later = clock.now() + timedelta(hours=25)
    assert idempotency_records_purge(older_than=timedelta(hours=24), now=later) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_make_one_ticket(world: World) -> None:
    """Threads send the same key at once: one ticket, identical answers.

    PostgreSQL: the second insert of the key waits on the first's uncommitted index entry.
    SQLite: IMMEDIATE transactions queue at BEGIN. Same code, same result.
    """
    count = 12 if connection.vendor == "postgresql" else 4
    _, plaintext = api_token_create(name="burst", scopes="all", actor="t", now=clock.now())
    before = Ticket.objects.count()
    barrier = threading.Barrier(count)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def send() -> None:
        client = client_for(plaintext)
        try:
            barrier.wait()
            response = post(client, "burst-1")
            with lock:
                answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Ticket.objects.count() == before + 1
    assert Counter(status for status, _ in answers) == {201: count}
    assert len({content for _, content in answers}) == 1
