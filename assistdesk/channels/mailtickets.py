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

Within an intake batch (`common.readcache.batch_reads`), `prefetch_threads` reads what
the batch's messages point at in a few queries, and threading reads that instead of
querying per message. What the batch itself changes is kept true: a ticket a message
was routed to has its facts read again when next asked for (an earlier message of the
batch may have closed it), and the Message-ID of a message routed into a ticket points
at that ticket at once (its row may be inserted only when the batch ends).
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from assistdesk.channels.mail.parse import ParsedAttachment, ParsedMessage, parse
from assistdesk.channels.models import MAX_ATTACHMENT_BYTES, InboundMessage, OutboxMessage
from assistdesk.channels.routing import (
    REASON_NOT_AUTHORISED,
    QuarantineMessage,
    Sender,
    TicketLink,
)
from assistdesk.common import readcache
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
# A ticket as threading reads it: its pk, then `_TICKET_FACTS`.
TicketRow = tuple[Any, ...]

# How many References ids a stored message keeps besides the root (`_message_fields` in
# channels/services.py): the root and the most recent ids are what threading needs.
KEPT_REFERENCES = 49


def kept_references(references: Sequence[str]) -> list[str]:
    """The References ids stored on the InboundMessage: the root and the newest."""
    return list(references[:1]) + list(references[1:][-KEPT_REFERENCES:])


def _ids_in_order(in_reply_to: str, references: Sequence[str]) -> list[str]:
    """In-Reply-To first, then References newest first: the most specific pointer wins."""
    ids = [in_reply_to, *reversed(references)]
    return list(dict.fromkeys(i for i in ids if i))


def _referenced_ids(message: InboundMessage) -> list[str]:
    return _ids_in_order(message.in_reply_to, message.references or [])


def parsed_referenced_ids(parsed: ParsedMessage) -> list[str]:
    """The ids threading will try for this message once stored (`_referenced_ids`): the
    batch prefetch must read exactly those, not the whole References header."""
    return _ids_in_order(parsed.in_reply_to, kept_references(parsed.references))


# --- What a batch has read (common.readcache) -------------------------------------------
#
# ("thread-mail-id", id) → the ticket pk that Message-ID points at, or None: nothing.
# ("thread-ticket-number", n) → the pk of the ticket numbered n, or None: no such ticket.
# ("thread-ticket", pk) → the ticket's row (`TicketRow`), None (no such ticket), or
#     `_UNKNOWN`: changed in the batch, read it again.
# A key never remembered reads as `_UNKNOWN` too: outside a batch, or for an id the batch
# did not prefetch, threading queries as it always did.


class _Unknown(enum.Enum):
    """Not known to the batch: read the database (a sentinel, never a row)."""

    TOKEN = 0


_UNKNOWN: Final = _Unknown.TOKEN


def _mail_id_key(mail_id: str) -> Hashable:
    return ("thread-mail-id", mail_id)


def _number_key(number: int) -> Hashable:
    return ("thread-ticket-number", number)


def _ticket_key(ticket_id: int) -> Hashable:
    return ("thread-ticket", ticket_id)


def _known_ticket_id(key: Hashable) -> int | _Unknown | None:
    """The ticket pk a Message-ID or number points at as far as the batch knows, None
    for none, or `_UNKNOWN` (always so outside a batch)."""
    return readcache.memoised(key, _unknown_ticket_id)


def _unknown_ticket_id() -> int | _Unknown | None:
    return _UNKNOWN


def _unknown_row() -> TicketRow | _Unknown | None:
    return _UNKNOWN


def prefetch_threads(messages: Iterable[ParsedMessage]) -> None:
    """Read, for a whole intake batch, the tickets its messages point at: by Message-ID
    (ticket messages, then our outbox for the ids no message has) and by subject tag, in
    at most four queries instead of up to four per message. Kept only inside a
    `common.readcache.batch_reads()` block (see "What a batch has read" above)."""
    ids: set[str] = set()
    numbers: set[int] = set()
    for parsed in messages:
        ids.update(parsed_referenced_ids(parsed))
        numbers.update(parsed.ticket_numbers)
    by_id = _tickets_by_mail_id(ids) if ids else {}
    for mail_id in ids:
        readcache.remember(_mail_id_key(mail_id), by_id.get(mail_id))
    by_number = _tickets_by_number(numbers) if numbers else {}
    for number in numbers:
        readcache.remember(_number_key(number), by_number.get(number))
    # Most of these tickets are about to get a reply: their rows are locked now, all in
    # one statement, instead of one by one as each reply is added.
    tickets.tickets_lock_ahead(ticket_ids={*by_id.values(), *by_number.values()})


def _tickets_by_mail_id(ids: set[str]) -> dict[str, int]:
    """Message-ID → ticket pk, a ticket message's winning over our outbox's (as in
    `_find_thread_by_query`); the tickets' rows are remembered on the way."""
    found: dict[str, int] = {}
    for mail_id, *row in Message.objects.filter(mail_message_id__in=ids).values_list(
        "mail_message_id", "ticket_id", *(f"ticket__{f}" for f in _TICKET_FACTS)
    ):
        found[mail_id] = _remember_ticket(tuple(row))
    outbox = _outbox_tickets(ids - found.keys())
    if outbox:
        existing = _read_tickets(set(outbox.values()))
        # An outbox row naming a ticket that is gone points nowhere, as unbatched.
        found.update((m, t) for m, t in outbox.items() if t in existing)
    return found


def _tickets_by_number(numbers: set[int]) -> dict[int, int]:
    """Subject tag number → ticket pk, the tickets' rows remembered on the way."""
    rows = Ticket.objects.filter(number__in=numbers).values_list("number", "pk", *_TICKET_FACTS)
    return {number: _remember_ticket(tuple(row)) for number, *row in rows}


def _read_tickets(ticket_ids: set[int]) -> set[int]:
    """Remember these tickets' rows, and None for those that do not exist; the pks of
    those that do."""
    rows = {
        row[0]: row
        for row in Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", *_TICKET_FACTS)
    }
    for ticket_id in ticket_ids:
        readcache.remember(_ticket_key(ticket_id), rows.get(ticket_id))
    return set(rows)


def _remember_ticket(row: TicketRow) -> int:
    readcache.remember(_ticket_key(row[0]), row)
    return int(row[0])


def _ticket_row(ticket_id: int) -> TicketRow | None:
    """The ticket as it is now: remembered, or read again (one small query) when the
    batch changed it since (`_routed`); kept until it changes again."""
    row = readcache.memoised(_ticket_key(ticket_id), _unknown_row)
    if row is _UNKNOWN:
        row = Ticket.objects.filter(pk=ticket_id).values_list("pk", *_TICKET_FACTS).first()
        readcache.remember(_ticket_key(ticket_id), row)
    return row


def _routed(mail_message_id: str, ticket: Ticket, *, current: bool, number: bool = False) -> None:
    """A message of the batch was routed into this ticket: later messages of the batch
    must see what it did. `current`: `ticket` is the row as it now stands (a new ticket,
    or the one a reply locked and changed), remembered as it is; otherwise (a "confirm"
    closed it through another service) it is read again when next asked for. The
    message's Message-ID points at the ticket from now on, also where the prefetch found
    nothing (the message row may be inserted only at the batch's end, where no query
    would find it); with `number`, the ticket's number likewise, for a tag."""
    if current:
        _remember_ticket((ticket.pk, *(getattr(ticket, fact) for fact in _TICKET_FACTS)))
    else:
        readcache.remember(_ticket_key(ticket.pk), _UNKNOWN)
    if mail_message_id:
        readcache.remember(_mail_id_key(mail_message_id), ticket.pk)
    if number:
        readcache.remember(_number_key(ticket.number), ticket.pk)


def find_thread(message: InboundMessage) -> ThreadMatch | None:
    """The ticket this message answers, whoever's it is (the caller checks the customer).

    From what the batch read when it knows every pointer the message has; otherwise
    (outside a batch, or a pointer not prefetched) by querying."""
    ids = _referenced_ids(message)
    numbers = list(message.ticket_numbers or [])
    known = _find_thread_known(ids, numbers)
    if known is not _UNKNOWN:
        return known
    return _find_thread_by_query(ids, numbers)


def _find_thread_known(ids: list[str], numbers: list[int]) -> ThreadMatch | _Unknown | None:
    """`_find_thread_by_query`'s answer from what the batch knows, or `_UNKNOWN` when a
    pointer that could decide it is not known. The same precedence: each id resolved
    (a ticket message before our outbox) in order, then the tags."""
    pointers = [(_mail_id_key(mail_id), "message-id") for mail_id in ids]
    pointers += [(_number_key(number), "tag") for number in numbers]
    for key, how in pointers:
        ticket_id = _known_ticket_id(key)
        if ticket_id is _UNKNOWN:
            return _UNKNOWN
        row = _ticket_row(ticket_id) if ticket_id is not None else None
        if row is not None:
            return _match(row, how=how)
    return None


def _find_thread_by_query(ids: list[str], numbers: list[int]) -> ThreadMatch | None:
    """Threading by querying: 1 to 3 queries for the ids, then one per tag."""
    if ids:
        found: dict[str, TicketRow] = {
            row[0]: row[1:]
            for row in Message.objects.filter(mail_message_id__in=ids).values_list(
                "mail_message_id", "ticket_id", *(f"ticket__{f}" for f in _TICKET_FACTS)
            )
        }
        # Messages routed earlier in the batch, whose rows may not be inserted yet (none
        # outside a batch).
        for mail_id in ids:
            ticket_id = _known_ticket_id(_mail_id_key(mail_id))
            if mail_id not in found and isinstance(ticket_id, int):
                row = _ticket_row(ticket_id)
                if row is not None:
                    found[mail_id] = row
        if ids[0] in found:  # the most specific pointer: our outbox cannot do better
            return _match(found[ids[0]], how="message-id")
        outbox_tickets = _outbox_tickets(set(ids))
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
    for number in numbers:
        row = Ticket.objects.filter(number=number).values_list("pk", *_TICKET_FACTS).first()
        if row is not None:
            return _match(row, how="tag")
    return None


def _outbox_tickets(ids: set[str]) -> dict[str, int]:
    """Message-ID → ticket pk of the notifications we sent about a ticket."""
    if not ids:
        return {}
    tickets_by_id: dict[str, int] = {}
    for mail_id, ref in OutboxMessage.objects.filter(
        message_id__in=ids, context_ref__startswith="ticket:"
    ).values_list("message_id", "context_ref"):
        match = OUTBOX_REF.match(ref)
        if match:
            tickets_by_id[mail_id] = int(match.group(1))
    return tickets_by_id


def _match(row: TicketRow, *, how: str) -> ThreadMatch:
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
    # The request's row carries the mail's Message-ID: a reply threads by it.
    _routed(message.message_id, ticket, current=True, number=True)
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
        _routed(message.message_id, ticket, current=False)
    else:  # the reply's ticket, as the reply left it
        _routed(message.message_id, reply.ticket, current=True)
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
