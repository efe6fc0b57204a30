"""The three shared example scenarios: their `invoices`, through the billing services.

The world of each example is built with the catalog, customer and contract services;
each ticket is closed at the YAML's time with the charges of the expected result. The
invoice lines name tickets by reference (AD-000002); here they are read back with the
scenario's keys (T2) to compare with the expected descriptions.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from assistdesk.billing.models import Invoice
from assistdesk.billing.services import billing_run
from assistdesk.billing.tests.builders import ACTOR, NOW, example

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["example-01-ticket-plan", "example-02-prepaid-hours", "example-03-intervention-terms"],
)
def test_the_example_invoices_come_out_as_expected(shared_dir: Path, name: str) -> None:
    world = example(shared_dir, name)
    for period, invoice_on in world.billing:
        billing_run(period=period, invoice_on=invoice_on, actor=ACTOR, now=NOW)
    keys = {rating.ticket.reference: key for key, rating in world.tickets.items()}
    by_customer = {c.pk: key for key, c in world.customers.items()}

    actual = []
    for invoice in Invoice.objects.order_by("number"):
        fx_rate = None if invoice.fx_rate is None else f"{invoice.fx_rate.normalize():f}"
        lines = sorted(
            (line.kind, " ".join(keys.get(w, w) for w in line.description.split()), line.amount)
            for line in invoice.lines.all()
        )
        actual.append(
            {
                "customer": by_customer[invoice.customer_id],
                "period": invoice.period.key,
                "number": invoice.number,
                "date": invoice.issued_on.isoformat(),
                "currency": invoice.currency,
                "fx_rate": fx_rate,
                "lines": lines,
                "net": invoice.net_amount,
                "vat": invoice.vat_amount,
                "total": invoice.total_amount,
            }
        )
    expected = [
        {
            **{k: v for k, v in e.items() if k not in ("lines", "net", "vat", "total")},
            "lines": sorted(
                (line["kind"], line["description"], Decimal(line["amount"])) for line in e["lines"]
            ),
            "net": Decimal(e["net"]),
            "vat": Decimal(e["vat"]),
            "total": Decimal(e["total"]),
        }
        for e in world.expected["invoices"]
    ]
    assert actual == expected
