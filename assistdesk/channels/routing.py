"""Where an inbound message goes: ignored, quarantined, or handed to the ticket router.

`route_inbound` decides in this order, and each rule says why:
1. unusable (parse error, too large) → quarantine: a dispatcher must look at the bytes;
2. bounce, auto-reply, mailing list → ignored: never answered, so no mail loop;
3. our own outgoing message come back (its Message-ID is in the outbox, or it is from
   our own address) → ignored, for the same reason;
4. sender → contact: unknown sender → quarantine "unknown sender"; a contact of several
   customers → the customer whose ticket the message answers, else quarantine (we
   cannot tell whose request it is);
5. everything else → `create_ticket_from_message` (`mailtickets.py`): threading, the
   customer check, replies, new tickets; it quarantines what must wait, e.g. a new
   request from a contact who is not authorised (DESIGN §2.4).

Auto-generated mail (a monitoring system writing on its own) is not ignored: it may open
a ticket, but the message carries `must_not_answer` and nothing is sent back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from typing import Literal

from django.conf import settings

from assistdesk.channels.models import InboundMessage, InboundStatus, OutboxMessage
from assistdesk.common import readcache
from assistdesk.customers.models import Contact
from assistdesk.customers.selectors import contact_by_email, contacts_by_emails

REASON_UNKNOWN_SENDER = "unknown sender"
REASON_NOT_AUTHORISED = "not authorised"
REASON_AMBIGUOUS_SENDER = "sender is a contact of several customers"


@dataclass(frozen=True)
class Sender:
    """The contact a message is from, as far as routing needs to know."""

    contact_id: int
    customer_id: int
    is_authorised: bool
    language: str
    # The row it was read from (with its customer), so the router need not read it again.
    contact: Contact | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TicketLink:
    """What the ticket router did: opened a ticket, or added a reply to one."""

    kind: Literal["ticket", "reply"]
    ref: str  # e.g. "ticket:42", "ticket-message:310"


@dataclass(frozen=True)
class Route:
    status: InboundStatus
    reason: str = ""
    result_ref: str = ""


class QuarantineMessage(Exception):
    """Raised by the ticket router to send a message to the quarantine with a reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def create_ticket_from_message(
    message: InboundMessage, *, sender: Sender, now: datetime
) -> TicketLink:
    """Open a ticket or add the message to the one it answers (see `mailtickets`).

    Called inside the transaction that stores `message`, so the ticket work and the
    stored message commit together, and the mailbox is told "seen" only after both.
    Raises `QuarantineMessage` for a message that must wait for a dispatcher.
    """
    from assistdesk.channels import mailtickets  # it imports this module's types

    return mailtickets.create_ticket_from_message(message, sender=sender, now=now)


def _sender_key(address: str) -> tuple[str, str]:
    # ASCII addresses compare case-insensitively, as `contact_by_email` and the batch
    # query both match them; others are kept as given.
    return ("mail-sender", address.lower() if address.isascii() else address)


def lookup_sender(address: str) -> list[Sender]:
    """The contacts with this e-mail address (case-insensitive), one per customer.

    Within an intake batch (`common.readcache.batch_reads`), read once per address, or
    not at all when `prefetch_senders` read the batch's senders together.
    """
    if not address:
        return []
    return list(
        readcache.memoised(_sender_key(address), lambda: _senders(contact_by_email(email=address)))
    )


def prefetch_senders(addresses: Iterable[str]) -> set[int]:
    """Read the contacts of a batch's senders in one query (ASCII addresses; any other is
    looked up alone when routed). Kept only inside a `batch_reads()` block. Returns the
    customers they are contacts of."""
    wanted = {a.lower() for a in addresses if a and a.isascii()}
    if not wanted:
        return set()
    found: dict[str, list[Contact]] = {address: [] for address in wanted}
    for contact in contacts_by_emails(emails=wanted):
        found[contact.email.lower()].append(contact)
    for address, contacts in found.items():
        readcache.remember(_sender_key(address), _senders(contacts))
    return {contact.customer_id for contacts in found.values() for contact in contacts}


def _senders(contacts: Iterable[Contact]) -> list[Sender]:
    found: dict[int, Sender] = {}
    for contact in contacts:
        sender = Sender(
            contact_id=contact.pk,
            customer_id=contact.customer_id,
            is_authorised=contact.is_authorised,
            language=contact.language_or_customers,
            contact=contact,
        )
        # An authorised record of a customer wins over a non-authorised one of the same.
        if contact.customer_id not in found or sender.is_authorised:
            found[contact.customer_id] = sender
    return list(found.values())


def own_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def _own_key(message_id: str) -> tuple[str, str]:
    return ("outbox-message-id", message_id)


def prefetch_own_message_ids(message_ids: Collection[str]) -> None:
    """Which of a batch's Message-IDs are our own outgoing mail, in one query. (An outbox
    row queued during the batch cannot be among them: it is sent after the commit.)"""
    own = set(
        OutboxMessage.objects.filter(message_id__in=list(message_ids)).values_list(
            "message_id", flat=True
        )
    )
    for message_id in message_ids:
        readcache.remember(_own_key(message_id), message_id in own)


def _is_our_own(message: InboundMessage) -> bool:
    if message.from_address and message.from_address == own_address():
        return True
    return readcache.memoised(
        _own_key(message.message_id),
        lambda: OutboxMessage.objects.filter(message_id=message.message_id).exists(),
    )


def decide(message: InboundMessage, *, now: datetime) -> Route:
    """The routing decision for a stored message (see the module docstring)."""
    if message.error:
        return Route(InboundStatus.QUARANTINED, message.error[:255])
    if message.is_bounce:
        return Route(InboundStatus.IGNORED, "bounce")
    if message.is_auto_reply:
        return Route(InboundStatus.IGNORED, "auto-reply")
    if message.is_mailing_list:
        return Route(InboundStatus.IGNORED, "mailing list")
    if _is_our_own(message):
        return Route(InboundStatus.IGNORED, "our own message")
    senders = lookup_sender(message.from_address)
    if not senders:
        return Route(InboundStatus.QUARANTINED, REASON_UNKNOWN_SENDER)
    sender: Sender | None = senders[0]
    if len(senders) > 1:
        from assistdesk.channels import mailtickets

        sender = mailtickets.sender_for_thread(message, senders)
        if sender is None:
            return Route(InboundStatus.QUARANTINED, REASON_AMBIGUOUS_SENDER)
    assert sender is not None
    try:
        link = create_ticket_from_message(message, sender=sender, now=now)
    except QuarantineMessage as exc:
        return Route(InboundStatus.QUARANTINED, exc.reason[:255])
    status = InboundStatus.TICKET if link.kind == "ticket" else InboundStatus.REPLY
    return Route(status, "", link.ref)
