"""Our PostgreSQL backend: small bulk inserts as VALUES, from `UNNEST_FROM_ROWS` rows UNNEST;
server-side binding for a block of statements (`binding.server_binding`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistdesk.common.postgresql.binding import server_binding
from assistdesk.common.postgresql.compiler import UNNEST_FROM_ROWS
from assistdesk.customers.tests.factories import CustomerFactory
from assistdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _insert_sql(rows: int) -> str:
    now = timezone.now()
    ticket = Ticket.objects.create(
        number=rows, customer=CustomerFactory(), origin="email", subject="s",
        received_at=now, priority_rank=1,
    )  # fmt: skip
    events = [
        TicketEvent(ticket=ticket, kind="x", at=now, recorded_at=now, actor="a")
        for _ in range(rows)
    ]
    with CaptureQueriesContext(connection) as queries:
        TicketEvent.objects.bulk_create(events)
    (insert,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert TicketEvent.objects.filter(ticket=ticket).count() == rows
    return insert


def test_a_few_rows_are_inserted_as_values_many_as_unnest_on_postgresql():
    few, many = _insert_sql(3), _insert_sql(UNNEST_FROM_ROWS)
    assert "UNNEST" not in few and "VALUES" in few
    if connection.vendor == "postgresql":
        assert connection.settings_dict["ENGINE"] == "assistdesk.common.postgresql"
        assert "UNNEST" in many
    else:
        assert connection.vendor == "sqlite" and "UNNEST" not in many


def test_server_binding_sends_the_values_apart_and_only_within_the_block():
    from assistdesk.channels.models import InboundMessage, InboundSource

    now = timezone.now()
    raw = bytes(range(256)) * 40 + b"\x00'\\"  # every byte, quotes and backslashes

    def message(n: int) -> InboundMessage:
        return InboundMessage(
            message_id=f"<{n}@x>", source=InboundSource.PIPE, raw=raw, size=len(raw),
            received_at=now, sent_at=now, subject="l'été \\ 100%", references=["<a@x>"],
        )  # fmt: skip

    with server_binding(), CaptureQueriesContext(connection) as inside:
        InboundMessage.objects.bulk_create([message(1), message(2)])
    with CaptureQueriesContext(connection) as after:
        InboundMessage.objects.bulk_create([message(3)])
    stored = InboundMessage.objects.order_by("message_id")
    assert [bytes(m.raw) for m in stored] == [raw] * 3
    assert {m.subject for m in stored} == {"l'été \\ 100%"}
    if connection.vendor == "postgresql":
        # Django logs the statement as psycopg last sent it: the parameters apart
        # ($1…) inside the block, written into the text (client-side binding) after it.
        (insert,) = [q["sql"] for q in inside.captured_queries if q["sql"].startswith("INSERT")]
        assert "$1" in insert and "<1@x>" not in insert
        (plain,) = [q["sql"] for q in after.captured_queries if q["sql"].startswith("INSERT")]
        assert "<3@x>" in plain
