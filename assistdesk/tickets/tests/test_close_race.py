"""Two closings of the same ticket at once: one rates it, the other is refused, and the
allowances are debited once (the ticket row is locked, then its state is checked)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from assistdesk.contracts.models import AllowanceEntry
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import TicketRating
from assistdesk.tickets.tests.conftest import at
from assistdesk.tickets.tests.factories import (
    customer_with_contract,
    load_catalog,
    open_ticket,
    plan_spec,
)

RATES = {
    "remote": {
        "activity": "support",
        "mode": "remote",
        "price": "25",
        "per_minutes": 30,
        "round_to_minutes": 30,
    }
}


@pytest.mark.django_db(transaction=True)
def test_racing_closings_rate_and_debit_once() -> None:
    spec = plan_spec(
        "race", rates=RATES, allowances=[{"minutes": 300, "rates": ["remote"]}], sla=[]
    )
    plan = load_catalog(spec, now=at("2026-01-01 00:00"))["race"]
    customer, _, _ = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00")
    )
    ticket = open_ticket(customer, received_at=at("2026-04-14 09:00"))
    start = at("2026-04-14 10:00")
    end = start + timedelta(minutes=50)
    services.intervention_log(
        ticket=ticket, mode="remote", activity="support", start_at=start, end_at=end,
        resolved=True, actor="x", now=end,
    )  # fmt: skip
    services.ticket_resolve(ticket=ticket, actor="x", now=at("2026-04-14 12:00"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close() -> None:
        try:
            barrier.wait()
            services.ticket_close(ticket=ticket, actor="x", now=at("2026-04-15 09:00"))
            outcomes.append("closed")
        except TicketError as error:
            outcomes.append(error.field)
        except Exception as error:  # shown in the assertion below, not lost in a thread
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["closed", "state"]
    assert TicketRating.objects.filter(ticket=ticket).count() == 1
    uses = AllowanceEntry.objects.filter(ref=ticket.reference, kind="use")
    assert [u.minutes for u in uses] == [Decimal(-60)]
