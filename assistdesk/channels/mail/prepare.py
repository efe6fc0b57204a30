"""Received mail made ready to store (parsed, its stored form chosen), away from the database.

The IMAP intake handles a mailbox batch by batch, and each batch's database work must
follow the one before (a reply needs the ticket its request opened). Parsing needs no
database: `Preparer(ahead=True)` parses the next batch in a process of its own while the
current one is stored, so the machine's second core does it. That process is spawned
(Python and this package only: no Django, no database connection to inherit) and dies
with its parent: a fetch worker killed with SIGKILL leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from types import TracebackType

from assistdesk.channels.mail.parse import ParsedMessage, parse

Received = tuple[bytes, datetime | None]  # the bytes, and when the server got them


@dataclass(frozen=True)
class PreparedInbound:
    raw: bytes  # as received
    stored: bytes  # what is kept: the whole message, or its header if it is too large
    parsed: ParsedMessage
    received_at: datetime
    error: str  # why it cannot be used, besides what the parser found


def _header_section(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, _ = raw.partition(separator)
        if found:
            return head + separator
    return raw[:65536]


def prepare(
    raw: bytes, *, received_at: datetime | None, now: datetime, max_bytes: int
) -> PreparedInbound:
    """Parse one received message (never raises: what is wrong is in `error`).

    A message over `max_bytes` keeps only its header; the original stays on the server.
    A receipt time in the future (a server clock ahead of ours) is taken as `now`.
    """
    received = min(received_at or now, now)
    stored, error = raw, ""
    if len(raw) > max_bytes:
        stored = _header_section(raw)
        error = f"message too large ({len(raw) // (1024 * 1024)} MiB); original left on server"
    return PreparedInbound(raw, stored, parse(stored, received_at=received), received, error)


def prepare_batch(
    batch: Sequence[Received], *, now: datetime, max_bytes: int
) -> list[PreparedInbound]:
    return [prepare(raw, received_at=at, now=now, max_bytes=max_bytes) for raw, at in batch]


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: the kernel kills it when its parent dies (Linux; elsewhere the pool's
    broken pipe ends it a moment later)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# Messages per hand-over to the child: the child holds one such piece and its pickled
# copy at a time, not a whole batch (attachments make a batch tens of MiB).
PIECE = 10


@dataclass
class Pending:
    """A batch submitted to a `Preparer`: its pieces' futures, and the batch itself (to
    prepare it here if the child dies)."""

    batch: Sequence[Received]
    now: datetime
    pieces: list[Future[list[PreparedInbound]]]


class Preparer:
    """`prepare_batch`, here (`ahead=False`) or ahead in a child process.

    `submit` hands a batch over and returns at once; `result` waits for it. A child that
    dies is replaced by preparing here, so a batch is never lost to it.
    """

    def __init__(self, *, ahead: bool, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pool: ProcessPoolExecutor | None = None
        if ahead:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=get_context("spawn"), initializer=_die_with_parent
            )

    def __enter__(self) -> Preparer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, batch: Sequence[Received], *, now: datetime) -> Pending:
        pending = Pending(batch, now, [])
        if self._pool is not None:
            try:
                for start in range(0, len(batch), PIECE):
                    piece = batch[start : start + PIECE]
                    pending.pieces.append(
                        self._pool.submit(prepare_batch, piece, now=now, max_bytes=self.max_bytes)
                    )
                return pending
            except BrokenProcessPool:
                self._pool = None
        done: Future[list[PreparedInbound]] = Future()
        done.set_result(prepare_batch(batch, now=now, max_bytes=self.max_bytes))
        pending.pieces = [done]
        return pending

    def result(self, pending: Pending) -> list[PreparedInbound]:
        """The prepared batch, in order; prepared here if the child died on it."""
        try:
            return [item for piece in pending.pieces for item in piece.result()]
        except BrokenProcessPool:
            self._pool = None
            return prepare_batch(pending.batch, now=pending.now, max_bytes=self.max_bytes)
