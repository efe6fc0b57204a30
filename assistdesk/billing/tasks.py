"""Periodic jobs of the billing app (registered in `BillingConfig.ready`).

- `import_exchange_rates`: hourly on weekdays while the banks publish (BNR about 13:00
  Bucharest, ECB about 16:00 Frankfurt). A source whose rates of today are stored is
  skipped, so once a day's rates are in the later runs cost one query. Offline or a bank
  down: logged, and the next hourly run tries again; the job itself never fails.
- `bill_previous_month`: daily at 12:30 UTC (by then the previous month is over in every
  time zone); bills the previous month dated its last day, then enqueues one task per
  invoice to e-mail (`send_invoice`) and one per customer for the statement
  (`send_statement`). A period with a finished run without errors is left alone; one
  with errors (an exchange rate missing) is run again the next day, which bills only
  the customers left. So the daily repetition, or a scheduler that was down, is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from assistdesk.billing.fx.importer import FEED_URLS, fx_rates_import_from
from assistdesk.billing.models import BillingRun, ExchangeRate, Invoice
from assistdesk.billing.services import (
    billing_run,
    invoice_send,
    invoices_to_send,
    statement_customers,
    statement_issue,
)
from assistdesk.common import clock
from assistdesk.customers.models import Customer

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"


@task()
def import_exchange_rates() -> list[str]:
    now = clock.now()
    done = []
    for source, url in FEED_URLS.items():
        if ExchangeRate.objects.filter(source=source, published_on=now.date()).exists():
            continue
        try:
            result = fx_rates_import_from(source=source, location=url, actor=SCHEDULER, now=now)
        except Exception as error:  # offline, bank down, feed changed: try again next hour
            log.warning("exchange rates from %s not imported (%s); next run retries", url, error)
            continue
        log.info("exchange rates imported: %s", result)
        done.append(str(result))
    return done


@task()
def bill_previous_month() -> str:
    now = clock.now()
    last_on = now.date().replace(day=1) - timedelta(days=1)
    period = f"{last_on:%Y-%m}"
    runs = BillingRun.objects.filter(period__key=period, finished_at__isnull=False)
    if any(not run.errors for run in runs):
        return f"{period}: billed already"
    run = billing_run(period=period, invoice_on=last_on, actor=SCHEDULER, now=now)
    for invoice_id in invoices_to_send(period=period):
        send_invoice.enqueue(invoice_id)
    for customer_id in statement_customers(period=period):
        send_statement.enqueue(customer_id, period)
    return (
        f"{period}: {run.invoices_issued} invoices, {run.lines_issued} lines, "
        f"{len(run.errors)} customers not billed"
    )


@task()
def send_invoice(invoice_id: int) -> str:
    invoice = Invoice.objects.get(pk=invoice_id)
    document = invoice_send(invoice=invoice, actor=SCHEDULER, now=clock.now())
    return f"{invoice.number}: {'queued' if document.sent_at else 'nobody to send it to'}"


@task()
def send_statement(customer_id: int, period: str) -> str:
    customer = Customer.objects.get(pk=customer_id)
    statement = statement_issue(customer=customer, period=period, actor=SCHEDULER, now=clock.now())
    return f"{customer.key} {period}: {'sent' if statement.sent_at else 'nobody to send it to'}"
