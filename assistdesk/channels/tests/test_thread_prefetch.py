"""Threading within an intake batch: read once for the batch, yet as true as unbatched.

The batch is the IMAP intake's (`intake._store_batch_once`, its first try: one
transaction, no savepoints, rows inserted at its end). Whatever the batch prefetched,
each message must thread as it would alone, seeing what the messages before it in the
same batch did: the tickets they opened, the states they changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistdesk.channels import intake, mailtickets, services
from assistdesk.channels.mail.prepare import PreparedInbound
from assistdesk.channels.models import (
    InboundMessage,
    InboundSource,
    InboundStatus,
    Mailbox,
    OutboxMessage,
)
from assistdesk.channels.tests.mailworld import ARRIVED, NOW, build_world, mail, quoted_reply
from assistdesk.common import readcache
from assistdesk.tickets.models import Message, MessageKind, Ticket, TicketEvent
from assistdesk.tickets.services import ticket_resolve, ticket_wait_for_customer

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=3)


@pytest.fixture(autouse=True)
def _media_and_sender(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "IT Helpdesk <support@helpdesk.example>"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(name="support", host="127.0.0.1", username="u", password="p")


def prepare(raw: bytes, *, at=ARRIVED, now=NOW) -> PreparedInbound:
    return services.inbound_prepare(raw=raw, received_at=at, now=now)


def ingest(raw: bytes, *, at=ARRIVED, now=NOW) -> InboundMessage:
    """One message alone, as the delivery pipe stores it: no batch."""
    return services.inbound_ingest(
        raw=raw, source=InboundSource.PIPE, received_at=at, now=now
    ).message


def store_batch(mailbox: Mailbox, raws: Sequence[bytes], *, now=NOW) -> list[InboundMessage]:
    """The intake's batch, first try (no savepoints: a failing message raises here)."""
    batch = [prepare(raw, at=now, now=now) for raw in raws]
    results = intake._store_batch_once(mailbox, batch, savepoints=False, now=now)
    return [InboundMessage.objects.get(pk=r.message.pk) for r in results]


def open_ticket(message_id: str, *, sender: str = "marco.rossi@edil-rossi.it") -> Ticket:
    message = ingest(mail(sender=sender, message_id=message_id, subject=f"Problem {message_id}"))
    assert message.status == InboundStatus.TICKET, message.reason
    return Ticket.objects.get(pk=int(message.result_ref.split(":")[1]))


def ack_id(ticket: Ticket) -> str:
    return OutboxMessage.objects.get(
        context_ref=f"ticket:{ticket.pk}", template="acknowledgement"
    ).message_id


def outcome(message: InboundMessage) -> tuple[str, str]:
    return (message.status, message.reason)


def spy_threading(monkeypatch) -> list[int]:
    """The number of queries each `find_thread` call runs, in order."""
    counts: list[int] = []
    real = mailtickets.find_thread

    def find_thread(message: InboundMessage) -> mailtickets.ThreadMatch | None:
        with CaptureQueriesContext(connection) as queries:
            found = real(message)
        counts.append(len(queries))
        return found

    monkeypatch.setattr(mailtickets, "find_thread", find_thread)
    return counts


# --- What the batch itself did ----------------------------------------------------------


def test_a_request_and_its_replies_in_one_batch_make_one_ticket(world, mailbox):
    # The prefetch found nothing for <req-1> (not stored yet): the request routed
    # first in the batch must still be found, and so must the reply to the reply.
    request, reply, follow_up = store_batch(
        mailbox,
        [
            mail(message_id="<req-1@edil-rossi.it>"),
            mail(message_id="<reply-1@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>",
                 subject="Re: Stampante non funziona", text="Il modello è HP M404."),
            mail(message_id="<reply-2@edil-rossi.it>", in_reply_to="<reply-1@edil-rossi.it>",
                 subject="Re: Stampante non funziona", text="Ora funziona."),
        ],
    )  # fmt: skip

    ticket = Ticket.objects.get()
    assert (request.status, request.result_ref) == (InboundStatus.TICKET, f"ticket:{ticket.pk}")
    assert (reply.status, reply.reason) == (InboundStatus.REPLY, "")
    assert follow_up.status == InboundStatus.REPLY
    replies = Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER_REPLY)
    assert sorted(replies.values_list("mail_message_id", flat=True)) == [
        "<reply-1@edil-rossi.it>",
        "<reply-2@edil-rossi.it>",
    ]


def test_a_reply_after_a_confirm_in_the_same_batch_finds_the_ticket_closed(world, mailbox):
    ticket = open_ticket("<req-1@edil-rossi.it>")
    ticket_resolve(ticket=ticket, reason="Driver reinstalled.", actor="test", now=LATER)
    confirm, late = store_batch(
        mailbox,
        [
            mail(message_id="<c-1@edil-rossi.it>", subject=f"Re: [AD#{ticket.number}] Stampante",
                 text=quoted_reply("Confermo, grazie.", "Riteniamo risolta la sua richiesta.")),
            # Prefetched while the ticket was resolved: it must see it closed.
            mail(message_id="<c-2@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>",
                 text="Un'altra cosa: anche lo scanner."),
        ],
        now=LATER,
    )  # fmt: skip

    ticket.refresh_from_db()
    assert confirm.status == InboundStatus.REPLY and ticket.state == "closed"
    assert outcome(late) == (
        InboundStatus.QUARANTINED,
        f"{mailtickets.REASON_CLOSED} ({ticket.reference})",
    )
    assert not Message.objects.filter(mail_message_id="<c-2@edil-rossi.it>").exists()


def test_a_ticket_a_reply_changed_is_seen_as_it_left_it_without_reading_it_again(
    world, mailbox, monkeypatch
):
    ticket = open_ticket("<req-1@edil-rossi.it>")
    ticket_wait_for_customer(ticket=ticket, reason="Which printer?", actor="test", now=NOW)
    counts = spy_threading(monkeypatch)
    replies = store_batch(
        mailbox,
        [
            mail(message_id=f"<r-{n}@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>")
            for n in range(3)
        ],
        now=LATER,
    )
    assert [r.status for r in replies] == [InboundStatus.REPLY] * 3
    assert Message.objects.filter(ticket=ticket).count() == 4
    # The first reply ended the wait; the later ones knew it without a query.
    assert counts == [0, 0, 0]
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    ends = TicketEvent.objects.filter(ticket=ticket, from_state="waiting_customer")
    assert list(ends.values_list("reason", flat=True)) == ["the customer replied"]


def test_the_tickets_a_batch_answers_are_locked_in_one_statement(world, mailbox):
    tickets = [open_ticket(f"<req-{n}@edil-rossi.it>") for n in range(4)]
    raws = [
        mail(message_id=f"<r-{n}@edil-rossi.it>", in_reply_to=t.request_mail_id, text="Grazie.")
        for n, t in enumerate(tickets + tickets)  # two replies to each
    ]
    with CaptureQueriesContext(connection) as queries:
        replies = store_batch(mailbox, raws, now=LATER)
    assert [r.status for r in replies] == [InboundStatus.REPLY] * 8
    # The rows read whole are the locks' (threading reads a few columns of them).
    whole = [q["sql"] for q in queries if q["sql"].startswith('SELECT "tickets_ticket"."id", ')]
    # One for the batch; each ticket's second reply locks it again (its row was read
    # ahead for the first reply only).
    assert len(whole) == 1 + 4, whole
    assert "IN (" in whole[0] or "IN(" in whole[0]
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in sql for sql in whole)
    for ticket in tickets:
        assert Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER_REPLY).count() == 2


def test_a_reply_to_a_ticket_opened_in_the_same_batch_waits_for_its_insert(world, mailbox):
    with CaptureQueriesContext(connection) as queries:
        request, reply = store_batch(
            mailbox,
            [
                mail(message_id="<req-1@edil-rossi.it>", subject="Stampante"),
                mail(message_id="<r-1@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>"),
            ],
        )
    ticket = Ticket.objects.get(pk=int(request.result_ref.split(":")[1]))
    assert reply.status == InboundStatus.REPLY
    assert Message.objects.filter(ticket=ticket).count() == 2
    # The ticket is not in the database before the batch ends: the reply takes the row
    # the batch keeps in memory, with no query to lock or read it.
    whole = [q["sql"] for q in queries if q["sql"].startswith('SELECT "tickets_ticket"."id", ')]
    assert whole == []
    inserting = ('INSERT INTO "tickets_ticket" ', 'COPY "tickets_ticket" ')
    inserts = [q for q in queries if q["sql"].startswith(inserting)]
    assert len(inserts) == 1


# --- As few queries as possible, the same answers -----------------------------------------


def test_threading_a_batch_costs_the_same_queries_whatever_its_size(world, mailbox, monkeypatch):
    tickets = [open_ticket(f"<req-{n}@edil-rossi.it>") for n in range(6)]
    pointers: list[Callable[[Ticket], dict]] = [
        lambda t: dict(in_reply_to=t.request_mail_id),
        lambda t: dict(in_reply_to=ack_id(t)),  # our acknowledgement: the outbox
        lambda t: dict(subject=f"Re: [AD#{t.number}] Problem"),
        lambda t: dict(references=(t.request_mail_id, "<lost@elsewhere>")),
    ]
    prefetching: list[int] = []
    real_prefetch = mailtickets.prefetch_threads

    def prefetch_threads(messages):
        with CaptureQueriesContext(connection) as queries:
            real_prefetch(messages)
        prefetching.append(len(queries))

    monkeypatch.setattr(mailtickets, "prefetch_threads", prefetch_threads)
    threading = spy_threading(monkeypatch)

    def replies(batch: str, chosen: Sequence[Ticket]) -> list[bytes]:
        return [
            mail(message_id=f"<{batch}-{n}@edil-rossi.it>", text="Grazie.",
                 **pointers[n % len(pointers)](ticket))
            for n, ticket in enumerate(chosen)
        ]  # fmt: skip

    small = store_batch(mailbox, replies("small", tickets[:2]))
    small_cost = (prefetching.pop(), threading[:])
    threading.clear()
    large = store_batch(mailbox, replies("large", tickets))
    large_cost = (prefetching.pop(), threading[:])

    assert [m.status for m in small + large] == [InboundStatus.REPLY] * 8
    # The whole batch's threading: four reads at most, and the lock of the tickets found.
    assert small_cost[0] <= 5 and large_cost[0] <= 5
    assert (small_cost[1], large_cost[1]) == ([0] * 2, [0] * 6)  # nothing per message
    for ticket in tickets:
        assert Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER_REPLY).exists()


def test_batched_threading_gives_the_unbatched_answers(world):
    t1 = open_ticket("<req-1@edil-rossi.it>")
    t2 = open_ticket("<req-2@edil-rossi.it>")
    t3 = open_ticket("<v-1@studio-verde.it>", sender="anna@studio-verde.it")
    # Our outbox row with a Message-ID a ticket message also has: the message wins.
    twin = OutboxMessage.objects.get(context_ref=f"ticket:{t3.pk}")
    OutboxMessage.objects.filter(pk=twin.pk).update(message_id="<req-1@edil-rossi.it>")
    gone = OutboxMessage.objects.get(context_ref=f"ticket:{t1.pk}")
    OutboxMessage.objects.filter(pk=gone.pk).update(context_ref="ticket:999999")
    long_history = tuple(f"<h-{n}@edil-rossi.it>" for n in range(120))
    cases: dict[str, tuple[dict, int | None, str | None]] = {
        "in-reply-to the request": (dict(in_reply_to="<req-1@edil-rossi.it>"), t1.pk, "message-id"),
        "in-reply-to our ack": (dict(in_reply_to=ack_id(t2)), t2.pk, "message-id"),
        "references, newest first": (
            dict(references=("<req-1@edil-rossi.it>", "<req-2@edil-rossi.it>")), t2.pk, "message-id"
        ),
        "in-reply-to before references": (
            dict(in_reply_to="<req-1@edil-rossi.it>", references=("<req-2@edil-rossi.it>",)),
            t1.pk, "message-id",
        ),
        "our ack first, a request further back": (
            dict(in_reply_to=ack_id(t2), references=("<req-1@edil-rossi.it>",)), t2.pk, "message-id"
        ),
        "a ticket message beats our outbox": (
            dict(in_reply_to="<req-1@edil-rossi.it>"), t1.pk, "message-id"
        ),
        "an outbox row of a ticket that is gone": (dict(in_reply_to=gone.message_id), None, None),
        "the tag": (dict(subject=f"Re: [AD#{t2.number}] Problem"), t2.pk, "tag"),
        "unknown ids, then the tag": (
            dict(in_reply_to="<lost@x>", subject=f"[AD#{t1.number}] Problem"), t1.pk, "tag"
        ),
        "an id beats the tag": (
            dict(in_reply_to=ack_id(t2), subject=f"[AD#{t1.number}] Problem"), t2.pk, "message-id"
        ),
        "another customer's ticket": (dict(subject=f"[AD#{t3.number}] x"), t3.pk, "tag"),
        "an unknown tag": (dict(subject="[AD#999999] x"), None, None),
        "nothing": (dict(subject="Hello"), None, None),
        "a kept reference": (
            dict(references=("<req-1@edil-rossi.it>", *long_history)), t1.pk, "message-id"
        ),
        "a reference not kept": (
            dict(references=("<x-root@x>", "<req-2@edil-rossi.it>", *long_history)), None, None
        ),
    }  # fmt: skip
    batch = [
        prepare(mail(message_id=f"<case-{n}@edil-rossi.it>", **headers))
        for n, (headers, _, _) in enumerate(cases.values())
    ]
    messages = [InboundMessage(**services._message_fields(item.parsed)) for item in batch]

    alone = [mailtickets.find_thread(message) for message in messages]
    assert {
        name: (found.ticket_id, found.how) if found else (None, None)
        for name, found in zip(cases, alone, strict=True)
    } == {name: (ticket_id, how) for name, (_, ticket_id, how) in cases.items()}

    with readcache.batch_reads():
        with CaptureQueriesContext(connection) as prefetching:
            mailtickets.prefetch_threads(item.parsed for item in batch)
        with CaptureQueriesContext(connection) as threading:
            batched = [mailtickets.find_thread(message) for message in messages]
    assert batched == alone
    # Four reads at most, and the lock of the tickets found (the test runs in a transaction).
    assert len(prefetching) <= 5 and len(threading) == 0


def test_outside_a_batch_threading_queries_as_it_always_did(world, django_assert_num_queries):
    ticket = open_ticket("<req-1@edil-rossi.it>")
    item = prepare(mail(message_id="<r-1@edil-rossi.it>", in_reply_to=ack_id(ticket)))
    message = InboundMessage(**services._message_fields(item.parsed))
    mailtickets.prefetch_threads([item.parsed])  # outside a batch it keeps nothing
    # The ticket messages, our outbox, the ticket: every time.
    for _ in range(2):
        with django_assert_num_queries(3):
            found = mailtickets.find_thread(message)
        assert found is not None and found.ticket_id == ticket.pk


@pytest.mark.parametrize("in_one_batch", [False, True], ids=["alone", "in one batch"])
def test_a_batch_threads_every_message_as_it_would_alone(world, mailbox, in_one_batch):
    ticket = open_ticket("<req-1@edil-rossi.it>")
    tag = f"Re: [AD#{ticket.number}] Stampante"
    raws = [
        mail(message_id="<a-1@edil-rossi.it>", subject=tag),
        mail(message_id="<a-2@edil-rossi.it>", in_reply_to=ack_id(ticket)),
        mail(sender="anna@studio-verde.it", message_id="<a-3@studio-verde.it>",
             in_reply_to="<req-1@edil-rossi.it>"),
        mail(sender="anna@studio-verde.it", message_id="<a-4@studio-verde.it>", subject=tag),
        mail(sender="giulia@edil-rossi.it", message_id="<a-5@edil-rossi.it>", subject=tag),
        mail(sender="giulia@edil-rossi.it", message_id="<a-6@edil-rossi.it>",
             subject="Nuova richiesta"),
        mail(message_id="<a-7@edil-rossi.it>", in_reply_to="<lost@x>", subject="Un'altra cosa"),
    ]  # fmt: skip

    messages = store_batch(mailbox, raws) if in_one_batch else [ingest(raw) for raw in raws]

    def where(message: InboundMessage) -> str:
        if message.status == InboundStatus.REPLY:
            reply = Message.objects.get(pk=int(message.result_ref.split(":")[1]))
            return "reply on the ticket" if reply.ticket_id == ticket.pk else "elsewhere"
        if message.status == InboundStatus.TICKET:
            opened = Ticket.objects.get(pk=int(message.result_ref.split(":")[1]))
            return "new ticket" if opened.request_mail_id == message.message_id else "?"
        return ""

    other = f"{mailtickets.REASON_OTHER_CUSTOMER} (by "
    assert [(*outcome(m), where(m)) for m in messages] == [
        (InboundStatus.REPLY, "", "reply on the ticket"),
        (InboundStatus.REPLY, "", "reply on the ticket"),
        (InboundStatus.QUARANTINED, f"{other}message-id)", ""),
        (InboundStatus.QUARANTINED, f"{other}tag)", ""),
        (InboundStatus.REPLY, "", "reply on the ticket"),
        (InboundStatus.QUARANTINED, "not authorised", ""),
        (InboundStatus.TICKET, "", "new ticket"),
    ]


def test_the_prefetch_reads_the_ids_threading_will_try(world):
    # A long References header is stored cut (the root and the newest): the prefetch
    # must read what the stored message holds, not the header.
    references = tuple(f"<h-{n}@edil-rossi.it>" for n in range(150))
    raw = mail(message_id="<long@edil-rossi.it>", in_reply_to="<h-149@edil-rossi.it>",
               references=references)  # fmt: skip
    stored = ingest(raw)
    ids = mailtickets.parsed_referenced_ids(prepare(raw).parsed)
    assert ids == mailtickets._referenced_ids(stored)
    assert len(ids) == 50 and ids[0] == "<h-149@edil-rossi.it>" and ids[-1] == "<h-0@edil-rossi.it>"
