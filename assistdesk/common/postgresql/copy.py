"""Rows inserted with COPY: the fastest way into a PostgreSQL table.

An `INSERT` of fifty rows, however it is written, has its values turned into SQL text
in Python (client-side binding: every value quoted; `UNNEST`: every column an array
literal). COPY streams the rows instead, each value written by psycopg's C dumpers, and
the server skips parsing and planning. It returns nothing, so the rows must have their
primary keys already (`common.deferredrows` reserves them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django.db import connection, models


def copy_rows(rows: Sequence[models.Model]) -> None:
    """Insert rows of one model, primary keys set, as `bulk_create` would (each field's
    `pre_save`, no signals), in one COPY."""
    if not rows:
        return
    model = type(rows[0])
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(str, f.column)) for f in fields)  # concrete: never None
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            # As bulk_create: a foreign key takes the key its object got meanwhile.
            row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            copy.write_row(
                [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
            )
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
