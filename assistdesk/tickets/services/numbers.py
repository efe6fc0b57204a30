"""Ticket numbers: consecutive, without gaps, in the order tickets are opened.

One row (`TicketNumberSequence`) holds the last number given. Taking a number updates it,
which locks the row until the transaction ends: a rolled-back ticket gives its number
back with the rollback, and two transactions cannot interleave numbers.

A batch that opens many tickets in one transaction (the mail intake) may reserve numbers
in one statement (`numbers_reserved`) and give back the unused ones at its end, still
under the same lock. That is only sound while no ticket of the block can be rolled back
alone: a number asked for under a savepoint opened within the block raises
`NumberBlockBroken`, and the caller runs its batch again without a reservation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection

from assistdesk.common import transactions
from assistdesk.tickets.models import TicketNumberSequence

KEY = "ticket"


class NumberBlockBroken(RuntimeError):
    """A ticket number was asked for under a savepoint opened within a reserved block."""


@dataclass
class _Block:
    size: int
    depth: int  # atomic blocks open when the reservation began
    next: int = 1
    end: int = 0  # the last number reserved; next > end: nothing left


_block: ContextVar[_Block | None] = ContextVar("ticket_number_block", default=None)


def _table() -> str:
    return connection.ops.quote_name(TicketNumberSequence._meta.db_table)


def _advance(by: int) -> int | None:
    """Move the sequence on by `by`; the new last number, None before the row exists."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET last_number = last_number + %s WHERE key = %s "  # noqa: S608
            "RETURNING last_number",
            [by, KEY],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def next_number() -> int:
    """The next ticket number (see the module docstring)."""
    block = _block.get()
    if block is not None:
        if transactions.savepoint_opened_since(block.depth):
            raise NumberBlockBroken("a ticket opened under a savepoint in a reserved block")
        if block.next > block.end:
            last = _advance(block.size)
            if last is not None:
                block.next, block.end = last - block.size + 1, last
        if block.next <= block.end:
            block.next += 1
            return block.next - 1
    last = _advance(1)
    if last is not None:
        return last
    sequence, _ = TicketNumberSequence.objects.select_for_update().get_or_create(key=KEY)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


@contextmanager
def numbers_reserved(size: int) -> Iterator[None]:
    """Within the block (inside the caller's transaction), numbers are reserved `size`
    at a time; the unused ones are given back when it ends. An exception leaves them to
    the transaction's rollback."""
    block = _Block(size=max(size, 1), depth=transactions.atomic_depth())
    token = _block.set(block)
    try:
        yield
    finally:
        _block.reset(token)
    unused = block.end - block.next + 1
    if block.end and unused > 0:
        _advance(-unused)
