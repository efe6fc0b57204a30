"""`assistdesk fetchmail`: poll the active IMAP mailboxes once (the scheduler does it
every minute too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.channels.intake import fetch_mailbox
from assistdesk.channels.models import Mailbox
from assistdesk.common import clock


class Command(BaseCommand):
    help = "Fetch unseen messages from every active mailbox (or one, with --mailbox)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="only this mailbox (by name)")
        parser.add_argument("--limit", type=int, default=500, help="messages per mailbox")

    def handle(self, *args: Any, mailbox: str | None, limit: int, **options: Any) -> None:
        boxes = Mailbox.objects.filter(is_active=True)
        if mailbox:
            boxes = boxes.filter(name=mailbox)
            if not boxes.exists():
                raise CommandError(f"no active mailbox named {mailbox!r}")
        failed = False
        for box in boxes:
            report = fetch_mailbox(box, now=clock.now(), limit=limit)
            self.stdout.write(
                f"{box.name}: {report.fetched} fetched, {report.stored} stored, "
                f"{report.duplicates} already stored"
            )
            for error in report.errors:
                failed = True
                self.stderr.write(f"{box.name}: {error}")
        if failed:
            raise CommandError("some mailboxes could not be fetched")
