"""A database that exists only for one benchmark run (SQLite file, or PostgreSQL).

Shared by every benchmark in bench/ that needs a fresh database of its own.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A DATABASE_URL of a fresh database that is dropped after the block.

    A temporary SQLite file, or with DATABASE_URL pointing at a PostgreSQL server, a new
    database created on that server.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        with tempfile.TemporaryDirectory(prefix="assistdesk-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"assistdesk_bench_{uuid.uuid4().hex[:10]}"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
