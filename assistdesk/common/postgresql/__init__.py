"""Django's PostgreSQL backend, with small bulk inserts written as plain VALUES.

Django 5.2 writes every multi-row `bulk_create` on PostgreSQL as `INSERT … SELECT * FROM
UNNEST(arrays)`, which saves the server planning time on big inserts; with psycopg's
client-side binding (Django's default) each column's values are then dumped as an array
literal in Python. For the two or three rows most of our services insert at a time (a ticket's
events, its SLA targets) that costs ~0.15 ms of CPU more per statement than VALUES
(measured: 3 events, 230 µs against 355 µs). Settings use this backend for
`postgres://` URLs (`ENGINE = "assistdesk.common.postgresql"`).

`copy.copy_rows()` inserts rows whose keys are set with COPY (`common.deferredrows`).
"""
