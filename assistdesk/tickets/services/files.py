"""Files kept with a message: written under MEDIA_ROOT, one row each, one event each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile

from assistdesk.common import deferredrows
from assistdesk.tickets.models import Attachment, EventKind, Message, Ticket, TicketEvent
from assistdesk.tickets.models.thread import safe_file_name
from assistdesk.tickets.services._core import new_event


@dataclass(frozen=True)
class NewFile:
    """A file to keep with a message, as received (the name is made safe when stored)."""

    name: str
    content: bytes = field(repr=False)
    content_type: str = ""
    # Written under MEDIA_ROOT already, at this path (the mail intake writes attachments
    # before its transaction, named by their content): the row points at it.
    stored_as: str = ""


def store_files(
    ticket: Ticket, message: Message, files: Sequence[NewFile], *, actor: str, now: datetime
) -> tuple[list[Attachment], list[TicketEvent]]:
    """Write the files, insert their rows in one statement; their events, not stored yet.

    Each file is written before its row commits: a rolled-back call can leave an orphan
    file under MEDIA_ROOT, never a row without its file. `ticket` is the message's (its
    number names the folder), locked by the caller.
    """
    message.ticket = ticket
    rows = []
    for new in files:
        safe = safe_file_name(new.name)
        attachment = Attachment(
            message=message,
            name=safe,
            content_type=new.content_type[:100],
            size=len(new.content),
            created_at=now,
        )
        if new.stored_as:
            attachment.file.name = new.stored_as
        else:
            attachment.file.save(safe, ContentFile(new.content), save=False)
        rows.append(attachment)
    deferredrows.insert(rows)
    events = [
        new_event(
            ticket,
            EventKind.ATTACHMENT,
            actor=actor,
            now=now,
            data={"message": message.pk, "attachment": row.pk, "name": row.name},
        )
        for row in rows
    ]
    return rows, events
