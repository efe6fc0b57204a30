"""New rows kept in memory until a batch's end, then inserted one statement per table.

The mail intake opens or answers up to a hundred tickets in one transaction, and each
ticket adds a message, its events, its SLA targets and maybe attachments: four or five
INSERTs, each a round trip and a compiled statement. Inside `rows_deferred()`, services
hand their new rows to `insert()`, which keeps them; they go in together when the block
ends, or earlier, whenever something could miss them:

- before any statement that names the table of a kept row (a read, an update, a
  delete), that table's kept rows, so that nothing in the batch ever reads the database
  without them (a row may go in before a row it refers to: Django declares foreign keys
  DEFERRABLE INITIALLY DEFERRED, checked at commit, on PostgreSQL and on SQLite);
- before a savepoint is opened: rows kept from before it must not be inserted inside it,
  where rolling it back would take them too. A row made while a savepoint opened within
  the block is open is inserted at once, so that a rollback of the savepoint undoes it.

Rows get their primary key when `insert()` keeps them (ids reserved from the table's
sequence, two hundred at a time; on PostgreSQL those left over serve the connection's
next block), so other rows and events can name them at once. On PostgreSQL the rows go
in with COPY (`common.postgresql.copy`), elsewhere with `bulk_create`. Outside a block,
and on a database that cannot reserve ids, `insert()` is plain `bulk_create`. If the
block ends with an exception, the kept rows are dropped with the transaction they
belonged to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import IntegrityError, connection, models, transaction

from assistdesk.common import transactions
from assistdesk.common.postgresql.copy import copy_rows

M = TypeVar("M", bound=models.Model)

# Ids reserved per table at a time: a batch of a hundred messages makes a hundred to
# three hundred rows of each kind; the unused ids are gaps, as a sequence always allows.
RESERVE = 200


@dataclass
class _Kept:
    depth: int  # atomic blocks open when the block began: only savepoints since count
    rows: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)
    ids: dict[type[models.Model], deque[int]] = field(default_factory=dict)
    flushing: bool = False  # also: a statement that needs no kept row (`stored_only`)


_kept: ContextVar[_Kept | None] = ContextVar("deferred_rows", default=None)
# PostgreSQL: ids reserved and not used yet, per connection (see `_ids`).
_lasting_ids: WeakKeyDictionary[Any, dict[type[models.Model], deque[int]]] = WeakKeyDictionary()


def insert(rows: Sequence[M]) -> Sequence[M]:
    """Insert rows of one model: now, or at the batch's end (module docstring). Either
    way each row has its primary key when this returns."""
    if not rows:
        return rows
    kept = _keeping()
    model = type(rows[0])
    if kept is None or not _can_reserve():
        return model._default_manager.bulk_create(rows)
    pool = _ids(kept).setdefault(model, deque())
    missing = len(rows) - len(pool)
    if missing > 0:
        pool.extend(_reserve_ids(model, max(missing, RESERVE)))
    stamps = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for row in rows:
        row.pk = pool.popleft()
        for stamp in stamps:  # as `save()` would: a kept row shows when it was made
            stamp.pre_save(row, add=True)
    kept.rows.setdefault(model, []).extend(rows)
    return rows


def _keeping() -> _Kept | None:
    kept = _kept.get()
    if kept is None or kept.flushing or transactions.savepoint_opened_since(kept.depth):
        return None
    return kept


@contextmanager
def rows_deferred() -> Iterator[None]:
    """Keep the rows `insert()` is given until the block ends (module docstring). The
    caller's transaction must already be open; a nested block is the outer one's."""
    if _kept.get() is not None:
        yield
        return
    kept = _Kept(depth=transactions.atomic_depth())
    token = _kept.set(kept)
    try:
        with connection.execute_wrapper(_flush_before(kept)):
            yield
            _flush(kept, list(kept.rows))
    except IntegrityError:
        # Perhaps a reserved id was taken after all (a sequence set back by hand):
        # reserve afresh from now on.
        _lasting_ids.pop(transaction.get_connection(), None)
        raise
    finally:
        _kept.reset(token)


def _ids(kept: _Kept) -> dict[type[models.Model], deque[int]]:
    """The ids reserved and not used yet, per model. On PostgreSQL they outlast the
    block: `nextval` is never rolled back, so ids reserved in an earlier transaction on
    this connection are still ours (a batch a few seconds after another takes the rest
    of its reservation instead of asking again). On SQLite the reservation is part of
    the transaction and ends with it."""
    if connection.vendor == "postgresql":
        return _lasting_ids.setdefault(transaction.get_connection(), {})
    return kept.ids


def is_kept(model: type[models.Model], pk: Any) -> bool:
    """Whether a row of `model` with this key is kept in memory, not inserted yet."""
    return kept_row(model, pk) is not None


def kept_row(model: type[M], pk: Any) -> M | None:
    """The row of `model` with this key if it is kept in memory, not inserted yet: the
    very instance that will be inserted (a change made to it goes in with it)."""
    kept = _kept.get()
    if kept is None:
        return None
    rows: list[M] = kept.rows.get(model, [])  # type: ignore[assignment]
    return next((row for row in rows if row.pk == pk), None)


@contextmanager
def stored_only() -> Iterator[None]:
    """The statements in the block need no kept row (e.g. they read one row by a key
    that `is_kept` says is stored): they run without flushing first."""
    kept = _kept.get()
    if kept is None or kept.flushing:
        yield
        return
    kept.flushing = True
    try:
        yield
    finally:
        kept.flushing = False


def _flush(kept: _Kept, tables: list[type[models.Model]]) -> None:
    """Insert the kept rows of these models now, a statement per table."""
    kept.flushing = True
    try:
        for model in tables:
            rows = kept.rows.pop(model)
            if connection.vendor == "postgresql":
                copy_rows(rows)  # the keys are set: no need for INSERT's RETURNING
            else:
                model._default_manager.bulk_create(rows)
    finally:
        kept.flushing = False


def _flush_before(kept: _Kept) -> Callable[..., Any]:
    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if kept.rows and not kept.flushing:
            if sql.lstrip().upper().startswith("SAVEPOINT"):
                _flush(kept, list(kept.rows))
            else:
                _flush(kept, [model for model in kept.rows if model._meta.db_table in sql])
        return execute(sql, params, many, context)

    return wrapper


def _can_reserve() -> bool:
    return connection.vendor in ("postgresql", "sqlite")


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys that no other insert will take."""
    table = model._meta.db_table
    column = model._meta.pk.column
    # The table's name is a parameter here, not in the statement: no flush for this.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        return _reserve_sqlite(cursor, table, count)


def _reserve_sqlite(cursor: Any, table: str, count: int) -> list[int]:
    """Move the table's AUTOINCREMENT counter (the highest id it ever gave, in
    `sqlite_sequence`) on by `count`: SQLite numbers new rows after it, and the update
    holds the database's write lock until the transaction ends, so no other writer can
    take those ids meanwhile."""
    cursor.execute(
        "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq", [count, table]
    )
    row = cursor.fetchone()
    if row is None:  # the table has never had a row
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s) RETURNING seq", [table, count]
        )
        row = cursor.fetchone()
    last = int(row[0])
    return list(range(last - count + 1, last + 1))
