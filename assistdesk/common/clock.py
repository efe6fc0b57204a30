"""The one place the application reads the time.

Services take `now` as an argument; views, tasks and commands get it from here. The
scenario simulator sets the clock to each event's time with `frozen_at`, so the same
services run unchanged against a controlled clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("assistdesk_frozen_now", default=None)


def now() -> datetime:
    """The current instant, aware UTC (or the frozen instant inside `frozen_at`)."""
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


@contextmanager
def frozen_at(instant: datetime) -> Iterator[datetime]:
    if timezone.is_naive(instant):
        raise ValueError("frozen_at needs an aware datetime")
    token = _frozen.set(instant.astimezone(UTC))
    try:
        yield instant
    finally:
        _frozen.reset(token)
