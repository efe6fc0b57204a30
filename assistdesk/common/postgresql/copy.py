"""Rows inserted with COPY: the fastest way into a PostgreSQL table.

An `INSERT` of fifty rows, however it is written, has its values turned into SQL text
in Python (client-side binding: every value quoted; `UNNEST`: every column an array
literal). COPY streams the rows instead, each value written by psycopg's C dumpers, and
the server skips parsing and planning. It returns nothing, so the rows must have their
primary keys already (`common.deferredrows` reserves them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, cast

from django.db import connection, models

# Fields whose Python value psycopg writes as it is: no `get_db_prep_save` needed (it
# would only check and return the value; for a hundred messages of thirty-five columns
# that checking was most of the time COPY took). Any other field (JSON, decimals, …) is
# prepared as an INSERT would prepare it.
_AS_IS = frozenset(
    {
        "AutoField", "BigAutoField", "BigIntegerField", "BinaryField", "BooleanField",
        "CharField", "DateField", "DateTimeField", "EmailField", "IntegerField",
        "PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
        "SlugField", "SmallAutoField", "SmallIntegerField", "TextField", "URLField",
    }
)  # fmt: skip


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
    values = [_value_of(f) for f in fields]
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            # As bulk_create: a foreign key takes the key its object got meanwhile.
            row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            copy.write_row([value(row) for value in values])
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def _value_of(field: models.Field[Any, Any]) -> Callable[[models.Model], Any]:
    """How to get the field's value for COPY from a row: its `pre_save` where the field
    has one of its own (timestamps, files), then its database preparation unless
    psycopg takes the value as it is (`_AS_IS`)."""
    plain = type(field).pre_save is models.Field.pre_save
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    if plain and target.get_internal_type() in _AS_IS:
        return attrgetter(field.attname)

    def value(row: models.Model) -> Any:
        return field.get_db_prep_save(field.pre_save(row, add=True), connection)

    return value
