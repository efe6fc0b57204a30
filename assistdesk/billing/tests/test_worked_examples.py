"""Worked examples: one story per test, each reading like the invoice it produces."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from assistdesk.billing.fx.importer import fx_rates_import_from
from assistdesk.billing.models import BillingRun, Invoice
from assistdesk.billing.services import billing_run
from assistdesk.billing.tests.builders import (
    ACTOR,
    NOW,
    at,
    contract,
    customer,
    plans,
    rate,
    rated_ticket,
)
from assistdesk.contracts.models import Contract
from assistdesk.contracts.services import contracts_convert_due_trials

pytestmark = pytest.mark.django_db
D = Decimal

EXPERT = {
    "key": "expert",
    "currency": "EUR",
    "fees": {"monthly": "300", "annual": "3000", "per_workstation_monthly": "15"},
    "fx_markup": "0.02",
}


def bill(period: str, on: date) -> BillingRun:
    return billing_run(period=period, invoice_on=on, actor=ACTOR, now=NOW)


def invoice_of(key: str, period: str) -> Invoice:
    return Invoice.objects.get(customer__key=key, period__key=period, kind="invoice")


def lines(invoice: Invoice) -> list[tuple[str, str]]:
    return [(line.description, f"{line.amount}") for line in invoice.lines.order_by("position")]


def test_annual_fee_month_and_the_months_between(shared_dir: Path) -> None:
    # Seed 001: an annual contract from 15 April, 1 800 EUR a year, Italian customer.
    p = plans({"key": "annual", "currency": "EUR", "fees": {"annual": "1800"}})
    farmacia = customer("farmacia", country="IT", currency="EUR", language="it", vat_rate=D("22"))
    contract(farmacia, p["annual"], date(2026, 4, 15), billing_cycle="annual")

    bill("2026-04", date(2026, 4, 30))
    april = invoice_of("farmacia", "2026-04")
    assert lines(april) == [("annual annual fee", "1800.00")]
    assert (april.net_amount, april.vat_amount, april.total_amount) == (
        D("1800.00"), D("396.00"), D("2196.00"),
    )  # fmt: skip
    assert april.fx_rate is None and april.number == "2026-000001"

    run = bill("2026-05", date(2026, 5, 31))  # nothing to bill in May: no invoice
    assert (run.invoices_issued, Invoice.objects.count()) == (0, 1)

    bill("2027-04", date(2027, 4, 30))  # the second contract year starts on 15 April 2027
    assert lines(invoice_of("farmacia", "2027-04")) == [("annual annual fee", "1800.00")]
    assert invoice_of("farmacia", "2027-04").number == "2027-000001"  # a new year, a new series


def test_trial_conversion_month() -> None:
    # Seed 002: Scudo Trial 90 from 15 January converts into Scudo 360 (2 400 EUR a year).
    p = plans(
        {"key": "scudo360", "currency": "EUR", "fees": {"annual": "2400"}},
        {
            "key": "trial90",
            "currency": "EUR",
            "fees": {"monthly": "999"},  # a trial costs nothing, whatever its plan says
            "trial": {"days": 90, "converts_to": "scudo360"},
        },
    )
    studio = customer("studio", country="IT", currency="EUR", language="it", vat_rate=D("22"))
    contract(studio, p["trial90"], date(2026, 1, 15), billing_cycle="annual")
    for period, last in (("2026-01", 31), ("2026-02", 28), ("2026-03", 31)):
        assert bill(period, date(2026, int(period[-2:]), last)).invoices_issued == 0

    # The trial's 90 days end on 14 April; the conversion job runs at the local midnight.
    (successor,) = contracts_convert_due_trials(now=at("2026-04-15T00:05:00", "Europe/Bucharest"))
    assert successor.start_on == date(2026, 4, 15)

    bill("2026-04", date(2026, 4, 30))
    assert lines(invoice_of("studio", "2026-04")) == [("scudo360 annual fee", "2400.00")]
    bill("2026-05", date(2026, 5, 31))
    assert not Invoice.objects.filter(period__key="2026-05").exists()
    bill("2027-04", date(2027, 4, 30))  # its contract year started on the conversion day
    assert lines(invoice_of("studio", "2027-04")) == [("scudo360 annual fee", "2400.00")]
    assert Contract.objects.get(pk=successor.converted_from_id).state == "converted"


def test_trial_converting_into_a_monthly_plan_bills_the_whole_month() -> None:
    p = plans(
        {"key": "expert", "currency": "EUR", "fees": {"monthly": "300"}},
        {"key": "try", "currency": "EUR", "trial": {"days": 30, "converts_to": "expert"}},
    )
    who = customer("beta", currency="EUR", country="IT", vat_rate=D("22"))
    contract(who, p["try"], date(2026, 2, 10))
    contracts_convert_due_trials(now=at("2026-03-12T08:00:00"))  # converts on 12 March
    bill("2026-03", date(2026, 3, 31))
    assert lines(invoice_of("beta", "2026-03")) == [("expert monthly fee", "300.00")]


def test_per_workstation_fee_converted_into_ron() -> None:
    # Seed 004: "+15 euro + TVA / lună / stație", seven workstations, paid in RON at BNR + 2 %.
    p = plans(EXPERT)
    acme = customer("acme", workstations=4)
    contract(acme, p["expert"], date(2026, 1, 1), workstations=7)  # the contract's count wins
    rate(date(2026, 2, 27), "5.0876")
    bill("2026-02", date(2026, 2, 27))
    february = invoice_of("acme", "2026-02")
    assert lines(february) == [
        ("expert monthly fee", "1556.81"),  # 300 x 5.189352 = 1556.8056
        ("expert workstations", "544.88"),  # 7 x 15 = 105 x 5.189352 = 544.88196
    ]
    ws = february.lines.get(source="workstation_fee")
    assert (ws.quantity, ws.source_unit_amount, ws.source_amount) == (D(7), D(15), D("105.00"))
    assert (february.net_amount, february.vat_amount, february.total_amount) == (
        D("2101.69"), D("441.35"), D("2543.04"),
    )  # fmt: skip


def test_fx_takes_the_last_bnr_publication_before_a_weekend_invoice_date(
    shared_dir: Path,
) -> None:
    # Invoice dated Sunday 29 November 2026; BNR published on Thursday 26 and Friday 27
    # (and then not again until 2 December: weekend, St Andrew, National Day).
    fx_rates_import_from(
        source="bnr",
        location=str(shared_dir / "samples" / "fx" / "bnr-nbrfxrates-multi-day.xml"),
        actor=ACTOR,
        now=NOW,
    )
    p = plans(EXPERT)
    acme = customer("acme")
    contract(acme, p["expert"], date(2026, 11, 1))
    bill("2026-11", date(2026, 11, 29))
    invoice = invoice_of("acme", "2026-11")
    assert (invoice.fx_source, invoice.fx_published_on, invoice.fx_from_currency) == (
        "bnr", date(2026, 11, 27), "EUR",
    )  # fmt: skip
    assert (invoice.fx_central_rate, invoice.fx_markup) == (D("5.0874"), D("0.02"))
    assert invoice.fx_rate == D("5.189148")  # 5.0874 x 1.02, exact, stored on the invoice
    assert lines(invoice) == [("expert monthly fee", "1556.74")]  # 1556.7444


def test_vat_rounding_on_the_invoice_net() -> None:
    # Two tickets of 0.25 EUR parts each, 22 % VAT: per line 0.055 -> 0.06 twice = 0.12;
    # §2.7 taxes the net: 0.50 x 22 % = 0.11.
    p = plans({"key": "percall", "currency": "EUR"})
    studio = customer("studio", country="IT", currency="EUR", language="it", vat_rate=D("22"))
    contract(studio, p["percall"], date(2026, 1, 1))
    rated_ticket(studio, at("2026-02-03T10:00:00"), [("part", "0.25")])
    rated_ticket(studio, at("2026-02-04T10:00:00"), [("part", "0.25")])
    bill("2026-02", date(2026, 2, 28))
    invoice = invoice_of("studio", "2026-02")
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        D("0.50"), D("0.11"), D("0.61"),
    )  # fmt: skip


def test_reverse_charge_invoices_without_vat() -> None:
    # A French customer, EU reverse charge: the net is the total, VAT 0, the PDF says why.
    p = plans({"key": "expert", "currency": "EUR", "fees": {"monthly": "300"}})
    paris = customer(
        "paris", country="FR", currency="EUR", language="fr", vat_rate=None,
        is_vat_reverse_charge=True,
    )  # fmt: skip
    contract(paris, p["expert"], date(2026, 1, 1))
    bill("2026-01", date(2026, 1, 31))
    invoice = invoice_of("paris", "2026-01")
    assert (invoice.is_reverse_charge, invoice.vat_rate) == (True, None)
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        D("300.00"), D("0.00"), D("300.00"),
    )  # fmt: skip


def test_ticket_lines_per_ticket_and_type_zero_lines_left_off() -> None:
    # Seed 001's W1: warranty work and the free follow-up cost 0: nothing on the invoice.
    p = plans({"key": "annual", "currency": "EUR"})
    farmacia = customer("farmacia", country="IT", currency="EUR", vat_rate=D("22"))
    contract(farmacia, p["annual"], date(2026, 1, 1))
    t1 = rated_ticket(
        farmacia,
        at("2026-04-14T07:00:00"),
        [("labour", "30.00"), ("labour", "12.50"), ("travel", "25.00"), ("part", "74.90")],
    )
    rated_ticket(farmacia, at("2026-04-23T07:00:00"), [("labour", "0.00"), ("part", "0.00")])
    bill("2026-04", date(2026, 4, 30))
    ref = t1.ticket.reference
    assert lines(invoice_of("farmacia", "2026-04")) == [
        (f"{ref} labour", "42.50"),
        (f"{ref} travel", "25.00"),
        (f"{ref} part", "74.90"),
    ]
    line = invoice_of("farmacia", "2026-04").lines.get(kind="travel")
    assert (line.rating_id, line.ticket_label, line.source) == (t1.pk, ref, "ticket")


def test_a_ticket_belongs_to_the_month_it_closed_in_on_the_plan_calendar() -> None:
    p = plans({"key": "percall", "currency": "EUR"})
    who = customer("late", currency="EUR", country="RO")
    contract(who, p["percall"], date(2026, 1, 1))
    # 31 Jan 23:30 in Bucharest is still January there, although 1 Feb has begun in Tokyo
    rated_ticket(who, at("2026-01-31T21:30:00"), [("labour", "10.00")])
    # 1 Feb 00:30 in Bucharest is February, although still 31 Jan in UTC
    rated_ticket(who, at("2026-01-31T22:30:00"), [("labour", "20.00")])
    bill("2026-01", date(2026, 1, 31))
    bill("2026-02", date(2026, 2, 28))
    assert invoice_of("late", "2026-01").net_amount == D("10.00")
    assert invoice_of("late", "2026-02").net_amount == D("20.00")


def test_packages_bought_in_the_month() -> None:
    from assistdesk.contracts.services import package_purchase

    p = plans(
        {
            "key": "remote12",
            "currency": "EUR",
            "package": {"price": "540", "mode": "remote", "hours": 12, "validity_months": 12},
        }
    )
    who = customer("studio", currency="EUR", country="IT", vat_rate=D("22"))
    for on in (date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 16)):
        package_purchase(customer=who, plan=p["remote12"], purchased_on=on, actor=ACTOR, now=NOW)
    bill("2026-02", date(2026, 2, 28))
    assert lines(invoice_of("studio", "2026-02")) == [
        ("package remote12", "540.00"),
        ("package remote12", "540.00"),
    ]


def test_a_missing_rate_is_reported_and_the_others_are_billed() -> None:
    p = plans(EXPERT)
    contract(customer("acme"), p["expert"], date(2026, 1, 1))  # RON: needs EUR->RON
    contract(customer("beta", currency="EUR", vat_rate=D("21")), p["expert"], date(2026, 1, 1))
    run = bill("2026-01", date(2026, 1, 31))
    assert (run.invoices_issued, run.errors) == (
        1, ["acme: no EUR->RON rate published on or before 2026-01-31"],
    )  # fmt: skip
    rate(date(2026, 1, 30), "5.0876")
    again = bill("2026-01", date(2026, 1, 31))
    assert (again.invoices_issued, again.customers_already_invoiced, again.errors) == (1, 1, [])
    assert invoice_of("acme", "2026-01").number == "2026-000002"
