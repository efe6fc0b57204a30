"""Server-side parameter binding for a block of statements (bulk inserts of big values).

Django's PostgreSQL backend binds parameters on the client by default: psycopg writes
every value into the SQL text as a literal. For the mail intake's batch of fifty whole
messages (~10 KB each) that is several megabytes of escaped text per statement — bytea
as hex, twice its size — built in Python and parsed again by the server. Inside
`server_binding()` the statements go with their parameters apart (bytes as bytes), as
Django's `server_side_binding` option would do for every statement; the option stays
off because some ORM queries need client-side binding (Django's documentation).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def server_binding() -> Iterator[None]:
    """Cursors made in the block bind their parameters on the server (PostgreSQL only;
    elsewhere the block changes nothing)."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = previous
