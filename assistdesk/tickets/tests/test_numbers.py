"""Ticket numbers: consecutive and without gaps, also when a batch reserves them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assistdesk.tickets import services
from assistdesk.tickets.models import Ticket, TicketNumberSequence
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import open_ticket


def _open(setup: Setup) -> Ticket:
    return open_ticket(setup.customer, received_at=at("2026-04-14 09:00"))


def test_a_reserved_block_numbers_in_order_and_gives_back_what_it_did_not_use(
    annual: Setup,
) -> None:
    first = _open(annual).number  # the sequence exists from here
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        services.numbers_reserved(10),
    ):
        numbers = [_open(annual).number for _ in range(3)]
    assert numbers == [first + 1, first + 2, first + 3]
    # One statement reserves, one gives back: not one per ticket.
    assert sum("ticketnumbersequence" in q["sql"] for q in queries.captured_queries) == 2
    assert TicketNumberSequence.objects.get(key="ticket").last_number == first + 3
    assert _open(annual).number == first + 4


def test_a_block_starting_on_a_new_database_creates_the_sequence(annual: Setup) -> None:
    assert not TicketNumberSequence.objects.exists()
    with transaction.atomic(), services.numbers_reserved(5):
        numbers = [_open(annual).number for _ in range(2)]
    assert numbers == [1, 2]
    assert TicketNumberSequence.objects.get(key="ticket").last_number == 2


def test_a_ticket_opened_under_a_savepoint_breaks_the_block(annual: Setup) -> None:
    # A rolled-back savepoint would take its ticket, not the number from the block: a
    # gap. The caller (the mail intake) runs its batch again without a reservation.
    _open(annual)
    with (
        pytest.raises(services.NumberBlockBroken),
        transaction.atomic(),
        services.numbers_reserved(5),
        transaction.atomic(),
    ):
        _open(annual)
    assert TicketNumberSequence.objects.get(key="ticket").last_number == 1
