"""Our PostgreSQL backend: small bulk inserts as VALUES, from `UNNEST_FROM_ROWS` rows UNNEST;
the rows `common.deferredrows` keeps inserted with COPY (`copy.copy_rows`)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistdesk.common import deferredrows
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


def test_kept_rows_go_in_whole_with_copy_on_postgresql():
    from assistdesk.channels.models import InboundAttachment, InboundMessage, InboundSource

    now = timezone.now()
    raw = bytes(range(256)) * 40  # every byte value
    text = "l'été\tà \\ 100%\r\nfin \\N \""  # what COPY's text format escapes

    def message(n: int) -> InboundMessage:
        return InboundMessage(
            message_id=f"<{n}@x>", source=InboundSource.PIPE, raw=raw, size=len(raw),
            received_at=now, sent_at=now, subject=text, body_text=text,
            references=["<a@x>", text], routed_at=None,
        )  # fmt: skip

    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        deferredrows.rows_deferred(),
    ):
        messages = deferredrows.insert([message(1), message(2)])
        deferredrows.insert(
            [InboundAttachment(message=m, part_index=0, filename=text, content_type="x/y",
                               size=1) for m in messages]
        )  # fmt: skip
    stored = list(InboundMessage.objects.order_by("message_id"))
    assert [bytes(m.raw) for m in stored] == [raw, raw]
    assert {(m.subject, m.body_text) for m in stored} == {(text, text)}
    assert stored[0].references == ["<a@x>", text] and stored[0].routed_at is None
    assert stored[0].received_at == now and stored[0].created_at is not None
    assert [a.message_id for a in InboundAttachment.objects.order_by("message_id")] == [
        m.pk for m in stored
    ]
    inserting = [
        q["sql"].split(" (")[0]
        for q in queries.captured_queries
        if q["sql"].startswith(('INSERT INTO "channels_', 'COPY "channels_'))
    ]
    if connection.vendor == "postgresql":
        assert inserting == ['COPY "channels_inboundmessage"', 'COPY "channels_inboundattachment"']
    else:
        assert inserting == [
            'INSERT INTO "channels_inboundmessage"',
            'INSERT INTO "channels_inboundattachment"',
        ]
