"""Small bulk inserts are plain VALUES; from `UNNEST_FROM_ROWS` rows PostgreSQL gets UNNEST."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
