"""Storing and routing inbound mail: once per Message-ID, never lost, never answered
when it is a robot writing."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.db import transaction

from assistdesk.channels import routing, selectors, services
from assistdesk.channels.models import (
    MAX_MESSAGE_BYTES,
    InboundAttachment,
    InboundMessage,
    InboundSource,
    InboundStatus,
    OutboxMessage,
)
from assistdesk.channels.routing import Sender, TicketLink
from assistdesk.channels.tests.conftest import eml
from assistdesk.common import readcache
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
AUTHORISED = Sender(contact_id=1, customer_id=10, is_authorised=True, language="it")


def ingest(raw: bytes, **kwargs):
    return services.inbound_ingest(raw=raw, source=InboundSource.PIPE, now=NOW, **kwargs)


@pytest.fixture
def known_senders(monkeypatch):
    """The customers app's contacts, as routing sees them: address → senders."""
    directory: dict[str, list[Sender]] = {}
    monkeypatch.setattr(routing, "lookup_sender", lambda address: directory.get(address, []))
    return directory


@pytest.fixture
def ticket_router(monkeypatch):
    """A stand-in for the tickets app's hook that records its calls."""
    calls: list[tuple[InboundMessage, Sender]] = []

    def create_ticket_from_message(message, *, sender, now):
        calls.append((message, sender))
        return TicketLink("ticket", f"ticket:{len(calls)}")

    monkeypatch.setattr(routing, "create_ticket_from_message", create_ticket_from_message)
    return calls


def test_a_message_is_stored_whole_with_its_summary():
    raw = eml("multipart_alternative_latin1_fr.eml")
    result = ingest(raw)

    message = InboundMessage.objects.get()
    assert result.created and result.message.pk == message.pk
    assert bytes(message.raw) == raw and message.size == len(raw)
    assert message.message_id == "<CAF12345abc@mail.gmail.com>"
    assert message.from_address == "elodie@cabinet-martin.fr"
    assert message.ticket_numbers == [42]
    assert message.references[-1] == "<ad.0123456789abcdef@helpdesk.example>"
    assert "erreur 809" in message.visible_text and "a bien été reçue" in message.body_text
    assert message.received_at == NOW and message.sent_at == datetime(
        2025, 3, 4, 9, 2, 11, tzinfo=UTC
    )


def test_the_same_message_id_twice_is_stored_once():
    first = ingest(eml("plain_utf8_it.eml"))
    again = ingest(eml("plain_utf8_it.eml").replace(b"12 lavori", b"13 lavori"))

    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert InboundMessage.objects.count() == 1
    assert b"12 lavori" in bytes(InboundMessage.objects.get().raw)


def test_a_message_another_worker_stored_meanwhile_undoes_its_own_routing(
    known_senders, monkeypatch
):
    # The check "stored already?" says no (read before the other worker committed); the
    # insert then conflicts: the ticket work done for it is undone with its savepoint.
    first = ingest(eml("plain_utf8_it.eml"))
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]

    def router(message, *, sender, now):
        services.outbox_enqueue(
            to="marco.rossi@edil-rossi.it", subject="ack", body_text="x", language="it",
            context_ref="ticket:1", now=now,
        )  # fmt: skip
        return TicketLink("ticket", "ticket:1")

    monkeypatch.setattr(routing, "create_ticket_from_message", router)
    with readcache.batch_reads():
        readcache.remember(("inbound-message-id", first.message.message_id), False)
        again = ingest(eml("plain_utf8_it.eml"))

    assert not again.created and again.message.pk == first.message.pk
    assert not OutboxMessage.objects.exists()


def test_a_batch_reads_what_routing_asks_in_four_queries(django_assert_max_num_queries):
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="marco.rossi@edil-rossi.it", is_authorised=True)
    raws = [eml("plain_utf8_it.eml").replace(b"4711@", f"{n}@".encode()) for n in range(5)]
    batch = [services.inbound_prepare(raw=raw, now=NOW) for raw in raws]
    with readcache.batch_reads():
        with django_assert_max_num_queries(4):
            services.inbound_prefetch(batch)
        # Known Message-IDs, our own mail, the sender: no query more per message.
        with django_assert_max_num_queries(0):
            for item in batch:
                assert not readcache.memoised(("inbound-message-id", item.parsed.message_id), list)
                assert routing.lookup_sender("Marco.Rossi@edil-rossi.it")[0].is_authorised
                assert not routing._is_our_own(InboundMessage(message_id=item.parsed.message_id))


def test_a_message_without_message_id_is_deduplicated_by_its_bytes():
    raw = eml("missing_message_id.eml")
    assert ingest(raw).created
    assert not ingest(raw.replace(b"\n", b"\r\n")).created
    assert InboundMessage.objects.get().is_message_id_synthesised


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply_it.eml", "auto-reply"),
        ("auto_reply_x_autoreply.eml", "auto-reply"),
        ("bounce_postfix.eml", "bounce"),
        ("mailing_list.eml", "mailing list"),
        ("newsletter_precedence_bulk.eml", "auto-reply"),
    ],
)
def test_robots_are_ignored_and_never_answered(name, reason, known_senders, ticket_router):
    # Even from an authorised contact with a working ticket router: no ticket, no mail.
    from email import message_from_bytes
    from email.utils import parseaddr

    sender = parseaddr(str(message_from_bytes(eml(name))["From"]))[1].lower()
    known_senders[sender] = [AUTHORISED]

    message = ingest(eml(name)).message

    assert (message.status, message.reason) == (InboundStatus.IGNORED, reason)
    assert ticket_router == []
    assert not OutboxMessage.objects.exists()


def test_unknown_sender_waits_in_the_quarantine(known_senders, ticket_router):
    message = ingest(eml("plain_utf8_it.eml")).message
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, "unknown sender")
    assert list(selectors.quarantine()) == [message]
    assert ticket_router == []


def test_a_contact_who_is_not_authorised_waits_in_the_quarantine(known_senders):
    # The real router: a new request (it answers no ticket) needs an authorised contact.
    known_senders["marco.rossi@edil-rossi.it"] = [Sender(2, 10, False, "it")]
    message = ingest(eml("plain_utf8_it.eml")).message
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, "not authorised")


def test_a_contact_of_several_customers_waits_in_the_quarantine(known_senders, ticket_router):
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED, Sender(3, 11, True, "it")]
    message = ingest(eml("plain_utf8_it.eml")).message
    assert message.reason == routing.REASON_AMBIGUOUS_SENDER


def test_the_ticket_router_gets_authorised_mail_and_records_its_result(
    known_senders, ticket_router
):
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]
    message = ingest(eml("plain_utf8_it.eml")).message
    assert (message.status, message.result_ref, message.routed_at) == (
        InboundStatus.TICKET,
        "ticket:1",
        NOW,
    )
    assert ticket_router == [(message, AUTHORISED)]


def test_a_monitoring_alert_may_open_a_ticket_but_is_marked_not_to_answer(
    known_senders, ticket_router
):
    known_senders["noreply@monitor.acme-logistics.co.uk"] = [AUTHORISED]
    message = ingest(eml("monitoring_alert.eml")).message
    assert message.status == InboundStatus.TICKET
    assert ticket_router[0][0].must_not_answer


def test_the_router_may_send_a_message_to_the_quarantine(known_senders, monkeypatch):
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]

    def refuse(message, *, sender, now):
        raise routing.QuarantineMessage("tag of another customer's ticket")

    monkeypatch.setattr(routing, "create_ticket_from_message", refuse)
    message = ingest(eml("plain_utf8_it.eml")).message
    assert message.reason == "tag of another customer's ticket"


def test_a_failing_router_leaves_no_half_work_and_loses_no_message(known_senders, monkeypatch):
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]

    def broken(message, *, sender, now):
        services.outbox_enqueue(
            to="marco.rossi@edil-rossi.it", subject="ack", body_text="x", language="it",
            context_ref="ticket:1", now=now,
        )  # fmt: skip
        raise RuntimeError("bug in the router")

    monkeypatch.setattr(routing, "create_ticket_from_message", broken)
    message = ingest(eml("plain_utf8_it.eml")).message

    assert message.status == InboundStatus.QUARANTINED
    assert message.reason.startswith("routing failed: RuntimeError")
    assert not OutboxMessage.objects.exists()  # the router's write was undone


def test_unusable_mail_is_quarantined_with_its_bytes():
    raw = eml("no_sender_at_all.eml")
    message = ingest(raw).message
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, "no sender address")
    assert bytes(message.raw) == raw


def test_our_own_notification_coming_back_is_ignored(known_senders, ticket_router):
    outbox = services.outbox_enqueue(
        to="desk@helpdesk.example", subject="x", body_text="y", language="en",
        context_ref="t", now=NOW,
    )  # fmt: skip
    raw = eml("plain_utf8_it.eml").replace(
        b"<20250303091240.4711@edil-rossi.it>", outbox.message_id.encode()
    )
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]
    message = ingest(raw).message
    assert (message.status, message.reason) == (InboundStatus.IGNORED, "our own message")
    assert ticket_router == []


def test_an_oversize_message_keeps_its_headers_and_waits_for_a_dispatcher(monkeypatch):
    monkeypatch.setattr(services, "MAX_MESSAGE_BYTES", 1000)
    raw = eml("attachments_unsafe_names.eml")
    assert len(raw) > 1000 and len(raw) < MAX_MESSAGE_BYTES

    message = ingest(raw).message

    assert message.is_raw_truncated and message.size == len(raw)
    assert bytes(message.raw).endswith(b"\n\n") and b"%PDF" not in bytes(message.raw)
    assert message.status == InboundStatus.QUARANTINED
    assert message.reason.startswith("message too large")
    assert message.subject == "Invoice and logs"


def test_attachments_are_described_and_served_from_the_original(monkeypatch):
    message = ingest(eml("attachments_unsafe_names.eml")).message
    rows = list(InboundAttachment.objects.filter(message=message))
    assert [r.filename for r in rows] == [
        "devis signé.pdf",
        "passwd",
        "invoicefdp.exe",
        "attachment-4.bin",
    ]
    assert selectors.attachment_content(rows[0]).startswith(b"%PDF-1.4")
    assert rows[0].sha256 and not rows[0].is_oversize

    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 50)
    big = ingest(eml("inline_image_outlook.eml")).message.attachments.get()
    assert big.is_oversize and big.is_inline and big.content_id.startswith("image001.png@")
    assert selectors.attachment_content(big) is None


def test_release_routes_again_and_dismiss_ends_it(known_senders, ticket_router):
    message = ingest(eml("plain_utf8_it.eml")).message
    assert message.reason == "unknown sender"

    # The dispatcher adds the sender as an authorised contact, then releases.
    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]
    route = services.inbound_release(message_pk=message.pk, actor="dispatcher", now=NOW)

    message.refresh_from_db()
    assert route is not None and route.status == InboundStatus.TICKET
    assert (message.status, message.released_by) == (InboundStatus.TICKET, "dispatcher")
    assert services.inbound_release(message_pk=message.pk, actor="d", now=NOW) is None

    other = ingest(eml("base64_utf8_ro.eml")).message
    assert services.inbound_dismiss(message_pk=other.pk, actor="dispatcher", now=NOW)
    other.refresh_from_db()
    assert (other.status, other.reason) == (InboundStatus.IGNORED, "dismissed by dispatcher")
    assert not services.inbound_dismiss(message_pk=other.pk, actor="dispatcher", now=NOW)


Q = InboundStatus.QUARANTINED


@pytest.mark.parametrize(
    ("contacts", "status", "reason"),
    [
        ([], Q, routing.REASON_UNKNOWN_SENDER),
        ([dict(is_authorised=False)], Q, routing.REASON_NOT_AUTHORISED),
        ([dict(is_authorised=True)], InboundStatus.TICKET, ""),
        ([dict(is_authorised=True), dict(is_authorised=False)], Q, routing.REASON_AMBIGUOUS_SENDER),
    ],
)
def test_senders_are_looked_up_among_the_customers_contacts(
    contacts, status, reason, settings, tmp_path
):
    from assistdesk.customers.tests.factories import ContactFactory

    settings.MEDIA_ROOT = tmp_path
    for fields in contacts:
        ContactFactory(email="Marco.Rossi@edil-rossi.it", **fields)  # case differs on purpose
    ContactFactory(email="someone.else@edil-rossi.it", is_authorised=True)

    message = ingest(eml("plain_utf8_it.eml")).message

    assert (message.status, message.reason) == (status, reason)


def test_a_sender_speaks_the_contacts_language_or_the_customers():
    from assistdesk.customers.tests.factories import ContactFactory

    contact = ContactFactory(email="a@x.example", is_authorised=True, customer__language="fr")
    ContactFactory(email="b@x.example", language="it", customer=contact.customer)
    assert routing.lookup_sender("A@X.example") == [
        Sender(contact.pk, contact.customer_id, True, "fr")
    ]
    assert routing.lookup_sender("b@x.example")[0].language == "it"
    assert routing.lookup_sender("") == []


@pytest.mark.django_db(transaction=True)
def test_the_delivery_pipe_stores_a_message_from_stdin(subprocess_env):
    def deliver(raw: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "assistdesk.cli", "deliver"],
            input=raw, env=subprocess_env, capture_output=True, timeout=120, check=False,
        )  # fmt: skip

    raw = eml("windows1252_it.eml")
    first = deliver(raw)
    assert first.returncode == 0, first.stderr
    assert b"stored: <001a01db8d$5e0c2f30$1a248d90$@studio-verde.it> quarantined" in first.stdout
    second = deliver(raw)
    assert second.returncode == 0 and b"already stored" in second.stdout
    assert deliver(b"").returncode == 65
    message = InboundMessage.objects.get()
    assert (message.source, bytes(message.raw)) == (InboundSource.PIPE, raw)


@pytest.fixture
def admin_pages(settings):
    """Render admin pages without a collected static manifest."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


def test_dispatchers_see_the_quarantine_with_reasons_and_release_from_it(
    admin_client, admin_pages, known_senders, ticket_router
):
    waiting = ingest(eml("plain_utf8_it.eml")).message
    ingest(eml("auto_reply_it.eml"))  # ignored: not in the quarantine

    page = admin_client.get("/admin/channels/quarantinedmessage/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Stampante non funziona" in content and "unknown sender" in content
    assert "Risposta automatica" not in content
    filtered = admin_client.get("/admin/channels/quarantinedmessage/?reason=not+authorised")
    assert "Stampante non funziona" not in filtered.content.decode()

    known_senders["marco.rossi@edil-rossi.it"] = [AUTHORISED]
    response = admin_client.post(
        "/admin/channels/quarantinedmessage/",
        {"action": "release", "_selected_action": [waiting.pk]},
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.released_by) == (InboundStatus.TICKET, "admin")


def test_the_admin_never_renders_the_unsanitised_html(admin_client, admin_pages):
    message = ingest(eml("html_xss.eml")).message
    page = admin_client.get(f"/admin/channels/inboundmessage/{message.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "document.cookie" not in content and "onerror" not in content
    assert "Please pay this invoice" in content


def test_a_batchs_rows_wait_for_its_end_but_not_those_made_under_a_savepoint():
    def enqueue(subject):
        return services.outbox_enqueue(
            to="marco.rossi@edil-rossi.it", subject=subject, body_text="x", language="it",
            context_ref="t", now=NOW,
        )  # fmt: skip

    with transaction.atomic(), services.deferred_inserts():
        enqueue("waits for the end of the batch")
        assert not OutboxMessage.objects.exists()
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("a close that failed")  # e.g. closing a ticket by mail
            raise RuntimeError("rolled back with its savepoint")
        stored = ingest(eml("plain_utf8_it.eml")).message
        assert stored.pk is None and not InboundMessage.objects.exists()
    assert list(OutboxMessage.objects.values_list("subject", flat=True)) == [
        "waits for the end of the batch"
    ]
    assert InboundMessage.objects.get().pk == stored.pk
