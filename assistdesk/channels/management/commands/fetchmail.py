"""`assistdesk fetchmail`: poll the active IMAP mailboxes once (the scheduler does it
every minute too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.channels.intake import FETCH_BATCH, fetch_mailbox
from assistdesk.channels.models import Mailbox
from assistdesk.common import clock


class Command(BaseCommand):
    help = "Fetch unseen messages from every active mailbox (or one, with --mailbox)."
    # Started every minute (and many times by the fault test): skip the system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="only this mailbox (by name)")
        parser.add_argument("--limit", type=int, default=500, help="messages per mailbox")
        parser.add_argument(
            "--batch", type=int, default=FETCH_BATCH, help="messages per transaction"
        )

    def progress(self, step: str, count: int) -> None:
        # -v 2: one line per batch step, flushed at once (the fault test reads them).
        self.stdout.write(f"{step} {count}")
        self.stdout.flush()

    def handle(
        self, *args: Any, mailbox: str | None, limit: int, batch: int, **options: Any
    ) -> None:
        verbose = int(options.get("verbosity", 1)) >= 2
        boxes = Mailbox.objects.filter(is_active=True)
        if mailbox:
            boxes = boxes.filter(name=mailbox)
            if not boxes.exists():
                raise CommandError(f"no active mailbox named {mailbox!r}")
        failed = False
        for box in boxes:
            report = fetch_mailbox(
                box,
                now=clock.now(),
                limit=limit,
                batch_size=batch,
                **({"progress": self.progress} if verbose else {}),
            )
            self.stdout.write(
                f"{box.name}: {report.fetched} fetched, {report.stored} stored, "
                f"{report.duplicates} already stored"
            )
            for error in report.errors:
                failed = True
                self.stderr.write(f"{box.name}: {error}")
        if failed:
            raise CommandError("some mailboxes could not be fetched")
