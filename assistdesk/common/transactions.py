"""Where the current transaction stands: which atomic blocks are open, and whether any
opened since a given point made a savepoint.

Batch work that keeps rows or numbers in memory until its end (the mail intake's
deferred rows, reserved ticket numbers) is sound only while nothing inside it can be
rolled back alone: a savepoint opened within the batch could undo its rows in the
database and leave what the batch holds in memory. Django keeps one entry per open
nested atomic block in `connection.savepoint_ids` (undocumented): the savepoint's id, or
None for a block that made none (`savepoint=False`).
"""

from __future__ import annotations

from django.db import transaction


def atomic_depth() -> int:
    """How many nested atomic blocks are open now (a mark for `savepoint_opened_since`)."""
    return len(transaction.get_connection().savepoint_ids)


def savepoint_opened_since(depth: int) -> bool:
    """Whether an atomic block opened since `atomic_depth()` returned `depth` made a
    savepoint (one that may be rolled back alone)."""
    opened = transaction.get_connection().savepoint_ids[depth:]
    return any(sid is not None for sid in opened)
