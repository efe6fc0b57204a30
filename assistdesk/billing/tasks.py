"""Periodic jobs of the billing app (registered in `BillingConfig.ready`).

- `import_exchange_rates`: hourly on weekdays while the banks publish (BNR about 13:00
  Bucharest, ECB about 16:00 Frankfurt). A source whose rates of today are stored is
  skipped, so once a day's rates are in the later runs cost one query. Offline or a bank
  down: logged, and the next hourly run tries again; the job itself never fails.
- `bill_previous_month`: daily; once the previous month is over everywhere it bills it,
  dated its last day, and hands the invoices to the outbox. A period that has a finished
  run is left alone, so the daily repetition (and a scheduler that was down) is harmless.
"""

from __future__ import annotations

import logging

from django_tasks import task

from assistdesk.billing.fx.importer import FEED_URLS, fx_rates_import_from
from assistdesk.billing.models import ExchangeRate
from assistdesk.common import clock

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
