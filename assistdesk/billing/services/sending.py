"""Invoices and statements by e-mail, through the outbox (§2.7, §2.8).

Each is sent once: the PDF is rendered, stored (`InvoiceDocument`, `Statement`) and the
message queued in the outbox in one transaction, with the document row locked, so a
repeated or concurrent call finds it sent and does nothing. The outbox's worker does the
actual sending, with retries.

Recipients: the customer's accounting contacts with an e-mail address; without any, its
authorised contacts; without any, nobody (the document is stored, not sent, and logged).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import translation

from assistdesk.billing import documents
from assistdesk.billing.models import Invoice, InvoiceDocument, Statement
from assistdesk.billing.selectors import statement_data
from assistdesk.billing.services.run import billing_period_get
from assistdesk.channels.services import OutgoingAttachment, outbox_enqueue_notification
from assistdesk.contracts.models import AllowanceBucket, Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.domain.invoicing import month_last_on, period_first_on
from assistdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

# Shown in the invoice e-mail; no plan or customer field holds payment terms yet.
PAYMENT_DAYS = 30
PDF = "application/pdf"


def recipients(customer: Customer) -> tuple[list[str], str]:
    """(addresses, the contact's name when there is exactly one)."""
    contacts = list(
        Contact.objects.filter(customer=customer).exclude(email="").order_by("name", "id")
    )
    chosen = [c for c in contacts if c.is_accounting] or [c for c in contacts if c.is_authorised]
    name = chosen[0].name if len(chosen) == 1 else ""
    return [c.email for c in chosen], name


def invoice_send(*, invoice: Invoice, actor: str, now: datetime) -> InvoiceDocument:
    """Render, store and queue an invoice (or credit note) for the customer; once."""
    with transaction.atomic():
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()  # one sender at a time
        document = InvoiceDocument.objects.filter(invoice=invoice).first()
        if document is not None and document.sent_at is not None:
            return document
        pdf = documents.invoice_pdf(invoice)
        if document is None:
            document = InvoiceDocument.objects.create(invoice=invoice, pdf=pdf, rendered_at=now)
        to, contact_name = recipients(invoice.customer)
        if not to:
            log.warning(
                "invoice %s: %s has no contact to send it to", invoice.number, invoice.customer
            )
            return document
        with translation.override(documents.language_of(invoice.language)):
            total = documents.money(invoice.total_amount)
        message = outbox_enqueue_notification(
            name="invoice",
            language=invoice.language,
            context={
                "customer_name": invoice.customer_name,
                "contact_name": contact_name,
                "invoice_number": invoice.number,
                "issued_on": invoice.issued_on,
                "due_on": invoice.issued_on + timedelta(days=PAYMENT_DAYS),
                "total_amount": total,
                "currency": invoice.currency,
            },
            to=to,
            context_ref=f"invoice:{invoice.number}",
            attachments=[OutgoingAttachment(f"{invoice.number}.pdf", pdf, PDF)],
            now=now,
        )
        document.pdf, document.sent_at, document.outbox_ref = pdf, now, message.message_id
        document.save(update_fields=["pdf", "sent_at", "outbox_ref"])
    return document


def invoices_to_send(*, period: str) -> list[int]:
    """Ids of the period's invoices and credit notes not handed to the outbox yet."""
    return list(
        Invoice.objects.filter(period__key=period)
        .filter(Q(document__isnull=True) | Q(document__sent_at__isnull=True))
        .order_by("series", "sequence")
        .values_list("pk", flat=True)
    )


def statement_customers(*, period: str) -> list[int]:
    """Customers owed a statement: a contract, a package or a ticket in the month."""
    first_on = period_first_on(period)
    last_on = month_last_on(first_on)
    # A day's margin either side: the month is local, these are UTC instants.
    start = datetime.combine(first_on - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(last_on + timedelta(days=2), time(0), tzinfo=UTC)
    ids = set(
        Contract.objects.filter(start_on__lte=last_on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first_on))
        .values_list("customer_id", flat=True)
    )
    ids |= set(
        AllowanceBucket.objects.filter(
            kind="package", granted_at__lt=end, expires_at__gt=start
        ).values_list("customer_id", flat=True)
    )
    ids |= set(
        Ticket.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        .filter(received_at__lt=end)
        .values_list("customer_id", flat=True)
    )
    return sorted(ids)


def statement_issue(*, customer: Customer, period: str, actor: str, now: datetime) -> Statement:
    """The customer's statement of `period`: rendered, stored and queued; once.

    Issued even for a quiet month ("no intervention"): it still shows what is left.
    """
    data = statement_data(customer=customer, period=period)
    period_row = billing_period_get(key=period)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = Statement.objects.filter(customer=customer, period=period_row).first()
        if existing is not None:
            return existing
        language = documents.language_of(customer.language)
        pdf = documents.statement_pdf(data, language)
        statement = Statement.objects.create(
            customer=customer, period=period_row, language=language, pdf=pdf, issued_at=now
        )
        to, contact_name = recipients(customer)
        if not to:
            log.warning("statement %s: %s has no contact to send it to", period, customer)
            return statement
        message = outbox_enqueue_notification(
            name="statement",
            language=language,
            context={
                "customer_name": customer.name,
                "contact_name": contact_name,
                "period": period,
                "tickets_opened": data.tickets_opened,
                "interventions": len(data.interventions),
                "hours_used": documents.hours(data.minutes_worked),
                "hours_left": documents.hours(data.minutes_left),
            },
            to=to,
            context_ref=f"statement:{customer.key}:{period}",
            attachments=[OutgoingAttachment(f"statement-{customer.key}-{period}.pdf", pdf, PDF)],
            now=now,
        )
        statement.sent_at, statement.outbox_ref = now, message.message_id
        statement.save(update_fields=["sent_at", "outbox_ref"])
    return statement
