"""IMAP intake: fetch unseen messages, store and route each, then mark them seen.

Order is what makes it lose nothing and duplicate nothing:
1. fetch a batch of UNSEEN messages with BODY.PEEK (fetching does not mark them seen);
2. store and route each with `inbound_ingest`, the batch in one transaction, commit
   (the next batch is fetched and parsed meanwhile: `mail.prepare`);
3. only then flag the batch `\\Seen` (or move it to the processed folder).

A crash between 2 and 3 leaves committed messages unseen; the next run fetches them
again and the unique Message-ID makes each a no-op before it is flagged. A crash before
2 commits leaves nothing behind but the unseen messages. The receipt time is the IMAP
INTERNALDATE (when the server got the message), not when we polled.

One fetcher per mailbox at a time (two would be harmless thanks to the dedupe, but
wasteful): the lock belongs to the fetching process — a PostgreSQL advisory lock of its
database session, an flock on a file beside the SQLite database — so a worker killed
with SIGKILL releases it at once and the next run goes on where it stopped. A lease
with a deadline would keep the mailbox blocked for the length of the lease instead.
`Mailbox.locked_until` only shows a dispatcher that a fetch is under way.
"""

from __future__ import annotations

import fcntl
import imaplib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from django.db import DatabaseError, connection, transaction
from imap_tools import AND, BaseMailBox, MailBox, MailboxLoginError, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from assistdesk.channels.mail.prepare import Pending, PreparedInbound, Preparer, Received
from assistdesk.channels.models import InboundSource, Mailbox
from assistdesk.channels.services import (
    BatchNeedsSavepoints,
    IngestResult,
    deferred_inserts,
    inbound_ingest,
    inbound_limits,
    inbound_prefetch,
)
from assistdesk.common import readcache
from assistdesk.domain.calendar import load_holiday_tables
from assistdesk.tickets import services as tickets

log = logging.getLogger(__name__)

# Messages per transaction. Each batch reads what its messages need (senders, contracts,
# threads) in a few queries and inserts its rows a statement per table, so bigger
# batches cost less per message (measured: 100 against 50, a quarter less time); the
# batch's transaction holds its tickets' rows and the ticket-number row until it
# commits (a few tenths of a second at 100).
FETCH_BATCH = 100
MAILBOX_LEASE = timedelta(minutes=10)  # shown as "being fetched until"; not the lock
IMAP_TIMEOUT = 60  # seconds

_UID = re.compile(rb"UID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass
class FetchReport:
    mailbox: str
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FetchedMessage:
    uid: str
    raw: bytes
    internal_date: datetime | None


def fetch_raw(box: BaseMailBox, uids: list[str]) -> list[FetchedMessage]:
    """Raw bytes and INTERNALDATE of some messages, without setting \\Seen."""
    status, data = box.client.uid("FETCH", ",".join(uids), "(UID INTERNALDATE BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH failed: {data!r}")
    messages = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, raw = item[0], item[1]
        uid_match = _UID.search(meta)
        if uid_match is None:
            continue
        date_match = _INTERNALDATE.search(meta)
        messages.append(
            FetchedMessage(
                uid=uid_match.group(1).decode(),
                raw=raw,
                internal_date=_parse_internal_date(date_match.group(1)) if date_match else None,
            )
        )
    return messages


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_INTERNALDATE_PARTS = re.compile(
    r"^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)$"
)


def _parse_internal_date(value: bytes) -> datetime | None:
    """`21-Nov-2026 20:33:36 +0100` as aware UTC; None when unreadable.

    Parsed by hand: strptime's %b follows the process locale.
    """
    match = _INTERNALDATE_PARTS.match(value.decode("ascii", "replace"))
    if match is None or match.group(2).title() not in _MONTHS:
        return None
    day, _, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    try:
        local = datetime(
            int(year), _MONTHS[match.group(2).title()], int(day),
            int(hour), int(minute), int(second), tzinfo=timezone(offset),
        )  # fmt: skip
    except ValueError:
        return None
    return local.astimezone(UTC)


def _open(mailbox: Mailbox) -> BaseMailBox:
    cls = MailBox if mailbox.use_ssl else MailBoxUnencrypted
    return cls(mailbox.host, port=mailbox.port, timeout=IMAP_TIMEOUT)


# "MAIL" in the high half of the advisory lock key, the mailbox's pk in the low half.
_ADVISORY_CLASS = 0x4D41494C << 32
_LOCAL_LOCKS: dict[tuple[str, int], threading.Lock] = {}


@contextmanager
def mailbox_lock(mailbox_pk: int) -> Iterator[bool]:
    """Hold the mailbox's fetch lock while inside; yields False if another process has it.

    The lock dies with its holder (module docstring): PostgreSQL releases a session's
    advisory locks when its connection ends, the kernel releases an flock when the
    process ends. An in-memory SQLite database has no other process: a thread lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_CLASS | mailbox_pk])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                # A lost connection took the lock with it: nothing to release then.
                with suppress(DatabaseError), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_CLASS | mailbox_pk])
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        lock = _LOCAL_LOCKS.setdefault((name, mailbox_pk), threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    with open(f"{name}.mailbox-{mailbox_pk}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _mark_done(box: BaseMailBox, mailbox: Mailbox, uids: list[str]) -> None:
    if not uids:
        return
    box.flag(uids, MailMessageFlags.SEEN, True)
    if mailbox.processed_folder:
        box.move(uids, mailbox.processed_folder)


Progress = Callable[[str, int], None]


def _no_progress(step: str, count: int) -> None:
    return None


def fetch_mailbox(
    mailbox: Mailbox,
    *,
    now: datetime,
    limit: int = 500,
    batch_size: int = FETCH_BATCH,
    progress: Progress = _no_progress,
) -> FetchReport:
    """Fetch up to `limit` unseen messages of one mailbox (see the module docstring).

    `progress(step, count)` is told of each batch: "fetched" (its bytes are here, the
    transaction starts), "committed" (stored and routed), "flagged" (marked seen).
    """
    report = FetchReport(mailbox=mailbox.name)
    with mailbox_lock(mailbox.pk) as held:
        if not held:
            report.errors.append("another worker is fetching this mailbox")
            return report
        Mailbox.objects.filter(pk=mailbox.pk).update(locked_until=now + MAILBOX_LEASE)
        _fetch_locked(
            mailbox, report, now=now, limit=limit, batch_size=batch_size, progress=progress
        )
    return report


def _fetch_locked(
    mailbox: Mailbox,
    report: FetchReport,
    *,
    now: datetime,
    limit: int,
    batch_size: int,
    progress: Progress,
) -> None:
    error = ""
    # The first batch's tickets need the holiday tables (their SLA calendars): loaded
    # while the worker waits for the batch to be fetched and parsed, not after.
    threading.Thread(target=load_holiday_tables, name="holiday-tables", daemon=True).start()
    try:
        with _open(mailbox).login(
            mailbox.username, mailbox.password, initial_folder=mailbox.folder
        ) as box:
            if mailbox.processed_folder and not box.folder.exists(mailbox.processed_folder):
                box.folder.create(mailbox.processed_folder)
            uids = box.uids(AND(seen=False))[:limit]
            batches = [uids[i : i + batch_size] for i in range(0, len(uids), batch_size)]
            # Parsing needs no database: with more than one batch, the next one is
            # fetched and parsed (in a process of its own) while this one is stored.
            with Preparer(ahead=len(batches) > 1, limits=inbound_limits()) as preparer:
                upcoming = _fetch_and_prepare(box, preparer, batches[0], now) if batches else None
                for index in range(len(batches)):
                    assert upcoming is not None
                    fetched_batch, pending = upcoming
                    progress("fetched", len(fetched_batch))
                    if index + 1 < len(batches):
                        upcoming = _fetch_and_prepare(box, preparer, batches[index + 1], now)
                    prepared = preparer.result(pending)
                    _store_batch(mailbox, report, prepared, now=now)
                    progress("committed", len(fetched_batch))
                    # Every message of the batch is committed: now, and only now, the
                    # server may forget about them.
                    _mark_done(box, mailbox, [f.uid for f in fetched_batch])
                    progress("flagged", len(fetched_batch))
    except (MailboxLoginError, imaplib.IMAP4.error, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        report.errors.append(error)
        log.warning("fetching mailbox %s failed: %s", mailbox.name, error)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            locked_until=None, last_fetched_at=now, last_error=error
        )


def _received(fetched_batch: list[FetchedMessage]) -> list[Received]:
    return [(f.raw, f.internal_date) for f in fetched_batch]


def _fetch_and_prepare(
    box: BaseMailBox, preparer: Preparer, uids: list[str], now: datetime
) -> tuple[list[FetchedMessage], Pending]:
    fetched_batch = fetch_raw(box, uids)
    return fetched_batch, preparer.submit(_received(fetched_batch), now=now)


def _store_batch(
    mailbox: Mailbox,
    report: FetchReport,
    prepared: list[PreparedInbound],
    *,
    now: datetime,
) -> None:
    """Store and route a batch in one transaction: a commit (an fsync) per message would be
    the slowest part of intake. First without a savepoint per message; if one message
    needs its work undone, the batch rolls back and runs again with them."""
    try:
        results = _store_batch_once(mailbox, prepared, savepoints=False, now=now)
    except BatchNeedsSavepoints:
        results = _store_batch_once(mailbox, prepared, savepoints=True, now=now)
    report.fetched += len(results)
    report.stored += sum(r.created for r in results)
    report.duplicates += sum(not r.created for r in results)


def _store_batch_once(
    mailbox: Mailbox, prepared: list[PreparedInbound], *, savepoints: bool, now: datetime
) -> list[IngestResult]:
    # What routing reads of the database (the senders, their contracts, which
    # Message-IDs are known) is read once per batch; without savepoints, the messages
    # and outbox rows are inserted together at the end, and the tickets' numbers are
    # reserved together.
    deferring = nullcontext() if savepoints else deferred_inserts()
    numbering = nullcontext() if savepoints else tickets.numbers_reserved(len(prepared))
    with transaction.atomic(), readcache.batch_reads(), deferring, numbering:
        inbound_prefetch(prepared)
        return [
            inbound_ingest(
                prepared=item,
                source=InboundSource.IMAP,
                mailbox=mailbox,
                savepoint=savepoints,
                now=now,
            )
            for item in prepared
        ]


def fetch_all(*, now: datetime, limit: int = 500) -> list[FetchReport]:
    return [
        fetch_mailbox(mailbox, now=now, limit=limit)
        for mailbox in Mailbox.objects.filter(is_active=True)
    ]
