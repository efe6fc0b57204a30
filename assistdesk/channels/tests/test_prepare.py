"""Preparing received mail away from the database: the same result in a child process as
here, and a child that dies loses no batch."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

from assistdesk.channels.mail import prepare as prepare_module
from assistdesk.channels.mail.prepare import Limits, Preparer, prepare_batch
from assistdesk.channels.tests.conftest import eml

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
LIMITS = Limits(max_message_bytes=10_000_000, max_attachment_bytes=10_000_000)
BATCH = [
    (eml("plain_utf8_it.eml"), datetime(2025, 3, 20, 11, 0, tzinfo=UTC)),
    (eml("multipart_alternative_latin1_fr.eml"), None),
    (eml("no_sender_at_all.eml"), datetime(2030, 1, 1, tzinfo=UTC)),  # a clock ahead
]


def test_a_child_process_prepares_what_this_one_would(monkeypatch):
    monkeypatch.setattr(prepare_module, "PIECE", 2)  # a batch in two pieces
    with Preparer(ahead=True, limits=LIMITS) as preparer:
        prepared = preparer.result(preparer.submit(BATCH, now=NOW))
    assert prepared == prepare_batch(BATCH, now=NOW, limits=LIMITS)
    assert [p.received_at for p in prepared] == [BATCH[0][1], NOW, NOW]
    assert prepared[2].parsed.error == "no sender address"


def test_a_message_over_the_limit_keeps_its_header_only():
    (prepared,) = prepare_batch(BATCH[:1], now=NOW, limits=Limits(100, 100))
    assert prepared.stored.endswith(b"\n\n") and len(prepared.stored) < len(prepared.raw)
    assert prepared.error.startswith("message too large")


def test_a_batch_whose_child_died_is_prepared_here():
    with Preparer(ahead=True, limits=LIMITS) as preparer:
        preparer.result(preparer.submit(BATCH[:1], now=NOW))
        assert preparer._pool is not None
        for pid in list(preparer._pool._processes):  # the child, killed as the OOM killer would
            os.kill(pid, signal.SIGKILL)
        prepared = preparer.result(preparer.submit(BATCH, now=NOW))
        again = preparer.result(preparer.submit(BATCH, now=NOW))
        assert preparer._pool is None  # from then on, prepared here
    assert prepared == again == prepare_batch(BATCH, now=NOW, limits=LIMITS)


def test_attachments_are_written_once_by_their_content(tmp_path):
    raw = eml("attachments_unsafe_names.eml")
    limits = Limits(10_000_000, 10_000_000, files_root=str(tmp_path))
    first, again = prepare_batch([(raw, None), (raw, None)], now=NOW, limits=limits)
    assert first.files == again.files and len(first.files) == len(first.parsed.attachments) >= 1
    (stored,) = first.files[:1]
    path = tmp_path / stored.stored_as
    assert path.read_bytes() == first.parsed.attachments[0].content
    assert stored.stored_as == f"mail/{stored.sha256[:2]}/{stored.sha256}"
    assert [p.name for p in path.parent.iterdir()] == [stored.sha256]  # no leftovers
    small = Limits(10_000_000, 10, files_root=str(tmp_path / "other"))
    (over,) = prepare_batch([(raw, None)], now=NOW, limits=small)
    assert [f.stored_as == "" for f in over.files] == [a.size > 10 for a in over.parsed.attachments]
    assert any(a.size > 10 for a in over.parsed.attachments)
