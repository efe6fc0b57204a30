"""Mail to tickets: which ticket a message answers, and what it does there.

Threading, in order (the first that finds a ticket decides):
1. the message's In-Reply-To, then its References newest first, against the Message-IDs
   we know: the ticket messages' `mail_message_id` (the customer's own earlier mail) and
   our outbox rows (`context_ref` "ticket:<pk>", the notifications we sent);
2. the subject tag `[AD#1234]`.
The ticket found must be a ticket of the sender's customer. A message that points at
another customer's ticket never attaches to it and never opens a new ticket either: it
waits in the quarantine, because it is either a mistake or an attempt to read or write
someone else's ticket by copying its tag.

What the message then does:
- a reply: `ticket_customer_reply` with the visible part (quotes and signature cut; the
  whole original stays on the InboundMessage), its attachments through `message_attach`.
  On a resolved ticket, a requester or authorised contact answering "confirm" closes it
  and "reopen" reopens it (the resolution mail asks for exactly these words, seed 004).
  A reply to a closed ticket waits in the quarantine: a dispatcher reopens the ticket or
  opens a new one (a closed ticket is rated and archived for accounting).
- anything else: a new ticket, origin `email`, received at the mail's arrival, requester
  the contact, acknowledged (the acknowledgement mail is the notifications' business) —
  except for robots' mail (`must_not_answer`), which opens a ticket that nobody answers.
  Only authorised contacts open tickets (DESIGN §2.4, on every plan): anyone else's new
  request waits in the quarantine "not authorised"; their replies on their customer's
  tickets are accepted (answering a question is not opening a billable request).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistdesk.channels.mail.parse import ParsedAttachment, parse
from assistdesk.channels.models import MAX_ATTACHMENT_BYTES, InboundMessage, OutboxMessage
from assistdesk.channels.routing import (
    REASON_NOT_AUTHORISED,
    QuarantineMessage,
    Sender,
    TicketLink,
)
from assistdesk.customers.models import Contact
from assistdesk.tickets import services as tickets
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Message, Ticket
from assistdesk.tickets.states import TicketState

log = logging.getLogger(__name__)

REASON_OTHER_CUSTOMER = "refers to a ticket of another customer"
REASON_CLOSED = "reply to a closed ticket"
SYSTEM_ACTOR = "system:mail"
OUTBOX_REF = re.compile(r"^ticket:(\d+)$")
NO_SUBJECT = "(no subject)"
_WORD = re.compile(r"[\w'\u2019-]+")

# The words the resolution mail asks for, in its four languages (first word of the reply).
CONFIRM_WORDS = frozenset({"confirm", "confirmed", "confermo", "conferma", "confirmer",
                           "confirme", "confirmé", "confirmat"})  # fmt: skip
REOPEN_WORDS = frozenset({"reopen", "riapri", "riaprire", "rouvrir", "rouvrez",
                          "redeschide", "redeschideți"})  # fmt: skip


@dataclass(frozen=True)
class ThreadMatch:
    ticket_id: int
    customer_id: int
    state: str
    requester_id: int | None
    number: int
    how: str  # "message-id" or "tag"


# What threading reads of the ticket found, in the same query.
_TICKET_FACTS = ("customer_id", "state", "requester_id", "number")


def _referenced_ids(message: InboundMessage) -> list[str]:
    """In-Reply-To first, then References newest first: the most specific pointer wins."""
    ids = [message.in_reply_to, *reversed(message.references or [])]
    return list(dict.fromkeys(i for i in ids if i))


def find_thread(message: InboundMessage) -> ThreadMatch | None:
    """The ticket this message answers, whoever's it is (the caller checks the customer)."""
    ids = _referenced_ids(message)
    if ids:
        found: dict[str, tuple[Any, ...]] = {
            row[0]: row[1:]
            for row in Message.objects.filter(mail_message_id__in=ids).values_list(
                "mail_message_id", "ticket_id", *(f"ticket__{f}" for f in _TICKET_FACTS)
            )
        }
        if ids[0] in found:  # the most specific pointer: our outbox cannot do better
            return _match(found[ids[0]], how="message-id")
        outbox_tickets: dict[str, int] = {}
        for mail_id, ref in OutboxMessage.objects.filter(
            message_id__in=ids, context_ref__startswith="ticket:"
        ).values_list("message_id", "context_ref"):
            match = OUTBOX_REF.match(ref)
            if match:
                outbox_tickets[mail_id] = int(match.group(1))
        if outbox_tickets:
            facts = {
                row[0]: row
                for row in Ticket.objects.filter(pk__in=set(outbox_tickets.values())).values_list(
                    "pk", *_TICKET_FACTS
                )
            }
            for mail_id, ticket_id in outbox_tickets.items():
                if ticket_id in facts:
                    found.setdefault(mail_id, facts[ticket_id])
        for mail_id in ids:
            if mail_id in found:
                return _match(found[mail_id], how="message-id")
    for number in message.ticket_numbers or []:
        row = Ticket.objects.filter(number=number).values_list("pk", *_TICKET_FACTS).first()
        if row is not None:
            return _match(row, how="tag")
    return None


def _match(row: tuple[Any, ...], *, how: str) -> ThreadMatch:
    ticket_id, customer_id, state, requester_id, number = row
    return ThreadMatch(ticket_id, customer_id, state, requester_id, number, how)


def sender_for_thread(message: InboundMessage, senders: Sequence[Sender]) -> Sender | None:
    """For a contact of several customers: the one whose ticket the message answers."""
    thread = find_thread(message)
    if thread is None:
        return None
    return next((s for s in senders if s.customer_id == thread.customer_id), None)


def create_ticket_from_message(
    message: InboundMessage, *, sender: Sender, now: datetime
) -> TicketLink:
    """Add the message to the ticket it answers, or open a ticket (module docstring)."""
    thread = find_thread(message)
    if thread is not None and thread.customer_id != sender.customer_id:
        raise QuarantineMessage(f"{REASON_OTHER_CUSTOMER} (by {thread.how})")
    if thread is None and not sender.is_authorised:
        raise QuarantineMessage(REASON_NOT_AUTHORISED)
    contact = sender.contact or Contact.objects.select_related("customer").get(pk=sender.contact_id)
    if thread is not None:
        return _reply(message, contact, thread, now=now)
    return _new_ticket(message, contact, now=now)


def _attachments(message: InboundMessage) -> tuple[ParsedAttachment, ...]:
    """The message's attachments with their bytes: from the parse that stored it when
    it is at hand (intake), else from the stored original (a release from quarantine)."""
    cached: tuple[ParsedAttachment, ...] | None = getattr(message, "parsed_attachments", None)
    if cached is not None:
        return cached
    if not message.attachments.exists():
        return ()
    return parse(bytes(message.raw), received_at=message.received_at).attachments


def _body(message: InboundMessage, attachments: Iterable[ParsedAttachment]) -> str:
    text = (message.visible_text or message.body_text).strip()
    too_large = [a for a in attachments if a.size > MAX_ATTACHMENT_BYTES]
    if too_large:
        # Said in the thread, so that nobody waits for a file we did not keep.
        notes = "\n".join(
            f"[attachment not stored, over the size limit: {a.filename} "
            f"({a.size // (1024 * 1024)} MiB)]"
            for a in too_large
        )
        text = f"{text}\n\n{notes}" if text else notes
    if not text:
        names = ", ".join(a.filename for a in attachments)
        text = f"[attachments: {names}]" if names else "[empty message]"
    return text


def _files(
    message: InboundMessage, attachments: Sequence[ParsedAttachment]
) -> list[tickets.NewFile]:
    """The attachments kept on the ticket: all but those over the size limit (listed in
    the body; their bytes stay in the stored original). The intake wrote them already
    (`mail.prepare`); a message released from the quarantine has them written now."""
    written = [f.stored_as for f in getattr(message, "prepared_files", ())]
    if len(written) != len(attachments):
        written = [""] * len(attachments)
    return [
        tickets.NewFile(a.filename, a.content, a.content_type, stored_as=path)
        for a, path in zip(attachments, written, strict=True)
        if a.size <= MAX_ATTACHMENT_BYTES
    ]


def _new_ticket(message: InboundMessage, contact: Contact, *, now: datetime) -> TicketLink:
    attachments = _attachments(message)
    actor = f"contact:{contact.pk}"
    try:
        ticket = tickets.ticket_create(
            customer=contact.customer,
            requester=contact,
            origin="email",
            subject=message.subject.strip() or NO_SUBJECT,
            body=_body(message, attachments),
            body_html=message.body_html,
            received_at=message.received_at,
            mail_message_id=message.message_id,
            is_request_from_robot=message.is_auto_generated,
            files=_files(message, attachments),
            # Acknowledged at once (the notification goes with it), unless a robot wrote:
            # then nobody is told and a dispatcher acknowledges when they look at it.
            acknowledged_by="" if message.must_not_answer else SYSTEM_ACTOR,
            actor=actor,
            now=now,
        )
    except TicketError as error:  # e.g. the plan takes no requests by e-mail
        raise QuarantineMessage(f"refused by the ticket: {error}") from error
    return TicketLink("ticket", f"ticket:{ticket.pk}")


def _first_word(text: str) -> str:
    for line in text.splitlines():
        match = _WORD.search(line.lower())
        if match:
            return match.group(0).strip("'\u2019-")
    return ""


def _reply(
    message: InboundMessage, contact: Contact, thread: ThreadMatch, *, now: datetime
) -> TicketLink:
    # The services lock and read the ticket themselves: the key is all they need; the
    # rest (read with the thread) decides what the reply does.
    ticket = Ticket(
        pk=thread.ticket_id,
        customer_id=thread.customer_id,
        state=thread.state,
        requester_id=thread.requester_id,
        number=thread.number,
    )
    if ticket.state == TicketState.CLOSED:
        raise QuarantineMessage(f"{REASON_CLOSED} ({ticket.reference})")
    attachments = _attachments(message)
    actor = f"contact:{contact.pk}"
    visible = (message.visible_text or "").strip()
    full = (message.body_text or "").strip()
    reply = tickets.ticket_customer_reply(
        ticket=ticket,
        body=_body(message, attachments),
        contact=contact,
        # The HTML would bring the quoted history back into the thread: only when
        # nothing was cut is it the same message as the text.
        body_html=message.body_html if visible == full else "",
        sent_at=message.received_at,
        mail_message_id=message.message_id,
        files=_files(message, attachments),
        actor=actor,
        now=now,
    )
    if ticket.state == TicketState.RESOLVED and (
        contact.is_authorised or contact.pk == ticket.requester_id
    ):
        _confirm_or_reopen(ticket, _first_word(visible or full), visible, actor=actor, now=now)
    return TicketLink("reply", f"ticket-message:{reply.pk}")


def _confirm_or_reopen(ticket: Ticket, word: str, text: str, *, actor: str, now: datetime) -> None:
    try:
        if word in CONFIRM_WORDS:
            tickets.ticket_close(ticket=ticket, reason="confirmed by e-mail", actor=actor, now=now)
        elif word in REOPEN_WORDS:
            reason = " ".join(text.split())[:500] or "reopened by e-mail"
            tickets.ticket_reopen(ticket=ticket, reason=reason, actor=actor, now=now)
    except TicketError as error:
        # E.g. it cannot be rated yet (no contract): the reply is on the ticket, and a
        # person takes it from there.
        log.warning("%s: could not act on %r by e-mail: %s", ticket.reference, word, error)
