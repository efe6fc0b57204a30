"""Demo billing: EUR -> RON rates of the last weeks and last month's invoices.

The rates are typed-in (`manual`) ones, plausible but not the central bank's; a real
installation imports BNR's and ECB's feeds (`assistdesk fxrates`, or the daily job).
The invoicing run of the previous month, dated its last day, bills the demo contracts,
packages and tickets, so the admin and the portal have invoices to show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from assistdesk.billing.fx.importer import fx_rate_record
from assistdesk.billing.services import billing_run

ACTOR = "demo"
DAYS_OF_RATES = 45


def load(*, now: datetime) -> None:
    today = now.date()
    for back in range(DAYS_OF_RATES, -1, -1):
        on = today - timedelta(days=back)
        if on.weekday() < 5:  # the bank publishes on working days
            rate = Decimal("5.0800") + Decimal(back % 7) / Decimal(1000)
            fx_rate_record(
                published_on=on, from_currency="EUR", to_currency="RON", rate=rate,
                actor=ACTOR, now=now,
            )  # fmt: skip
    last_on = today.replace(day=1) - timedelta(days=1)
    billing_run(period=f"{last_on:%Y-%m}", invoice_on=last_on, actor=ACTOR, now=now)
