"""Received mail made ready to store (parsed, its files written), away from the database.

The IMAP intake handles a mailbox batch by batch, and each batch's database work must
follow the one before (a reply needs the ticket its request opened). Parsing needs no
database, and neither does writing its attachments (named by their content, they need
no ticket number): `Preparer(ahead=True)` does both for the next batch in a process of
its own while the current one is stored, so the machine's second core does it. That
process is spawned (Python and this package only: no Django, no database connection to
inherit) and dies with its parent: a fetch worker killed with SIGKILL leaves nothing
behind but files no row points at yet.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import signal
import tempfile
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
class Limits:
    """What a prepared message may keep, and where its files go."""

    max_message_bytes: int
    max_attachment_bytes: int
    files_root: str = ""  # MEDIA_ROOT: attachments are written there; "" writes none


@dataclass(frozen=True)
class PreparedFile:
    sha256: str
    stored_as: str  # the path under the files root, "" when not written (over the limit)


@dataclass(frozen=True)
class PreparedInbound:
    raw: bytes  # as received
    stored: bytes  # what is kept: the whole message, or its header if it is too large
    parsed: ParsedMessage
    received_at: datetime
    error: str  # why it cannot be used, besides what the parser found
    files: tuple[PreparedFile, ...] = ()  # one per `parsed.attachments`, in order


FILES_FOLDER = "mail"


def store_file(content: bytes, *, files_root: str) -> PreparedFile:
    """Write an attachment under `files_root`, named by its SHA-256 (`mail/ab/abcd…`).

    The same bytes arrive again and again (a signature's logo in every mail): they are
    written once. A file appears under its name whole or not at all (written beside it,
    then renamed), so an existing name is a complete file. Written before the database
    row that points at it: a batch rolled back can leave a file no row uses, never a row
    without its file.
    """
    digest = hashlib.sha256(content).hexdigest()
    relative = f"{FILES_FOLDER}/{digest[:2]}/{digest}"
    path = os.path.join(files_root, relative)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
    return PreparedFile(digest, relative)


def _header_section(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, _ = raw.partition(separator)
        if found:
            return head + separator
    return raw[:65536]


def prepare(
    raw: bytes, *, received_at: datetime | None, now: datetime, limits: Limits
) -> PreparedInbound:
    """Parse one received message and write its attachments (`store_file`); never raises
    for what the message holds: what is wrong with it is in `error`.

    A message over the limit keeps only its header; the original stays on the server. An
    attachment over its limit is not written. A receipt time in the future (a server
    clock ahead of ours) is taken as `now`.
    """
    received = min(received_at or now, now)
    stored, error = raw, ""
    if len(raw) > limits.max_message_bytes:
        stored = _header_section(raw)
        error = f"message too large ({len(raw) // (1024 * 1024)} MiB); original left on server"
    parsed = parse(stored, received_at=received)
    files = tuple(
        store_file(a.content, files_root=limits.files_root)
        if limits.files_root and a.size <= limits.max_attachment_bytes
        else PreparedFile(hashlib.sha256(a.content).hexdigest(), "")
        for a in parsed.attachments
    )
    return PreparedInbound(raw, stored, parsed, received, error, files)


def prepare_batch(
    batch: Sequence[Received], *, now: datetime, limits: Limits
) -> list[PreparedInbound]:
    return [prepare(raw, received_at=at, now=now, limits=limits) for raw, at in batch]


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """In the child: the kernel kills it when its parent dies (Linux). A parent that died
    while the child was starting (before this ran) is checked for once it is set."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


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

    def __init__(self, *, ahead: bool, limits: Limits) -> None:
        self.limits = limits
        self._pool: ProcessPoolExecutor | None = None
        if ahead:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=get_context("spawn"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
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
                        self._pool.submit(prepare_batch, piece, now=now, limits=self.limits)
                    )
                return pending
            except BrokenProcessPool:
                self._pool = None
        done: Future[list[PreparedInbound]] = Future()
        done.set_result(prepare_batch(batch, now=now, limits=self.limits))
        pending.pieces = [done]
        return pending

    def result(self, pending: Pending) -> list[PreparedInbound]:
        """The prepared batch, in order; prepared here if the child died on it."""
        try:
            return [item for piece in pending.pieces for item in piece.result()]
        except BrokenProcessPool:
            self._pool = None
            return prepare_batch(pending.batch, now=pending.now, limits=self.limits)
