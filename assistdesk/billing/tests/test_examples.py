"""The three shared example scenarios: their `invoices`, through the billing services.

The world of each example is built with the catalog, customer and contract services;
each ticket is closed at the YAML's time with the charges of the expected result. The
invoice lines name tickets by reference (AD-000002); `invoice_results` names them with
the scenario's keys (T2), as `assistdesk simulate` prints them, to compare whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistdesk.billing.selectors import invoice_results
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
    names = {rating.ticket.number: key for key, rating in world.tickets.items()}
    actual = [
        {
            **{k: v for k, v in invoice.items() if k not in ("kind", "lines")},
            "lines": sorted((x["kind"], x["description"], x["amount"]) for x in invoice["lines"]),
        }
        for invoice in invoice_results(ticket_names=names)
    ]
    expected = [
        {
            **{k: v for k, v in e.items() if k != "lines"},
            "lines": sorted((x["kind"], x["description"], x["amount"]) for x in e["lines"]),
        }
        for e in world.expected["invoices"]
    ]
    assert actual == expected
