"""The pure pricing rules of a month (no database): fees, conversion, credits, VAT."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistdesk.domain.invoicing import (
    ContractFees,
    Item,
    PlanFees,
    choose_credits,
    fee_items,
    period_first_on,
    price,
    totals,
)

D = Decimal


def plan(**fees: str | None) -> PlanFees:
    values = {"monthly": None, "annual": None, "per_workstation": None} | fees
    return PlanFees(
        key="p",
        currency="EUR",
        monthly_fee_amount=D(values["monthly"]) if values["monthly"] else None,
        annual_fee_amount=D(values["annual"]) if values["annual"] else None,
        per_workstation_monthly_fee_amount=D(values["per_workstation"])
        if values["per_workstation"]
        else None,
    )


def contract(
    fees: PlanFees,
    start_on: date,
    ends_on: date | None = None,
    cycle: str = "monthly",
    workstations: int = 0,
) -> ContractFees:
    return ContractFees(1, fees, start_on, ends_on, cycle, workstations)


def billed(c: ContractFees, month: str) -> list[tuple[str, Decimal]]:
    return [(i.source, i.amount) for i in fee_items(c, period_first_on(month))]


@pytest.mark.parametrize(
    ("fees", "cycle", "expected"),
    [
        # Seed 004 "Expert": 300 a month or 3000 a year; the cycle chooses
        ({"monthly": "300", "annual": "3000"}, "monthly", [("monthly_fee", D("300.00"))]),
        ({"monthly": "300", "annual": "3000"}, "annual", [("annual_fee", D("3000.00"))]),
        # a plan with one fee bills that one, whatever the cycle
        ({"annual": "1800"}, "monthly", [("annual_fee", D("1800.00"))]),
        ({"monthly": "50"}, "annual", [("monthly_fee", D("50.00"))]),
        ({}, "monthly", []),
    ],
)
def test_the_billing_cycle_chooses_the_subscription_fee(
    fees: dict[str, str], cycle: str, expected: list[tuple[str, Decimal]]
) -> None:
    assert billed(contract(plan(**fees), date(2026, 1, 1), cycle=cycle), "2026-01") == expected


def test_the_annual_fee_falls_in_the_month_each_contract_year_starts() -> None:
    yearly = contract(plan(annual="1800"), date(2026, 4, 15), date(2028, 4, 14), "annual")
    months = {m: billed(yearly, m) for m in ("2026-03", "2026-04", "2026-05", "2027-04", "2028-04")}
    assert months == {
        "2026-03": [],
        "2026-04": [("annual_fee", D("1800.00"))],
        "2026-05": [],
        "2027-04": [("annual_fee", D("1800.00"))],
        "2028-04": [],  # the third year would start on 15 Apr 2028: the contract ended on the 14th
    }
    leap = contract(plan(annual="100"), date(2024, 2, 29), cycle="annual")
    assert leap.year_start_in(date(2025, 2, 1)) == date(2025, 2, 28)
    assert leap.year_start_in(date(2028, 2, 1)) == date(2028, 2, 29)  # not drifted to the 28th


def test_a_monthly_fee_is_whole_for_every_month_touched() -> None:
    c = contract(plan(monthly="300"), date(2026, 1, 20), date(2026, 3, 2))
    assert [billed(c, m) for m in ("2025-12", "2026-01", "2026-02", "2026-03", "2026-04")] == [
        [],
        [("monthly_fee", D("300.00"))],
        [("monthly_fee", D("300.00"))],
        [("monthly_fee", D("300.00"))],
        [],
    ]


def test_workstations_are_billed_every_month_and_a_trial_costs_nothing() -> None:
    c = contract(plan(annual="3000", per_workstation="15"), date(2026, 1, 1), None, "annual", 4)
    (ws,) = fee_items(c, date(2026, 2, 1))
    assert (ws.source, ws.description, ws.quantity, ws.unit, ws.amount) == (
        "workstation_fee", "p workstations", D(4), D("15"), D("60.00"),
    )  # fmt: skip
    trial = PlanFees("t", "EUR", D("300"), None, D("15"), is_trial=True)
    assert fee_items(contract(trial, date(2026, 1, 1), workstations=4), date(2026, 1, 1)) == []


def test_each_line_is_converted_at_the_marked_up_rate_and_rounded_on_its_own() -> None:
    items = [
        Item("fee", "monthly_fee", "fee", "EUR", D("300.00"), fx_markup=D("0.02")),
        Item("fee", "workstation_fee", "ws", "EUR", D("60.00"), fx_markup=D("0.02")),
        Item("labour", "ticket", "free", "EUR", D("0.00"), fx_markup=D("0.02")),
        Item("credit", "credit", "credit", "RON", D("-10.00")),
    ]
    lines = price(items, currency="RON", central_rate=lambda currency: D("5.0876"))
    assert [(line.item.description, line.fx_rate, line.amount) for line in lines] == [
        ("fee", D("5.189352"), D("1556.81")),  # 1556.8056
        ("ws", D("5.189352"), D("311.36")),  # 311.36112
        ("credit", None, D("-10.00")),
    ]  # the line of 0 is left off


def test_credits_are_deducted_whole_while_the_invoice_stays_positive() -> None:
    chosen = choose_credits(D("100.00"), [("a", D("60.00")), ("b", D("50.00")), ("c", D("40"))])
    assert chosen == [("a", D("60.00")), ("c", D("40"))]


@pytest.mark.parametrize(
    ("lines", "rate", "vat"),
    [
        (["12.50"], "21", "2.63"),  # 2.625: half-up, not to even
        (["0.25", "0.25"], "22", "0.11"),  # on the net (0.50 -> 0.11), not per line (0.06 x 2)
        (["3323.77"], "21", "697.99"),
        (["-100.00"], "22", "-22.00"),
        (["-12.50"], "21", "-2.63"),  # a credit note mirrors its invoice
    ],
)
def test_vat_is_half_up_on_the_net(lines: list[str], rate: str, vat: str) -> None:
    result = totals([D(x) for x in lines], vat_rate=D(rate), is_reverse_charge=False)
    assert result.vat_amount == D(vat)
    assert result.total_amount == result.net_amount + result.vat_amount


def test_reverse_charge_has_no_vat() -> None:
    result = totals([D("100.00")], vat_rate=None, is_reverse_charge=True)
    assert (result.net_amount, result.vat_amount, result.total_amount) == (
        D("100.00"), D("0.00"), D("100.00"),
    )  # fmt: skip


@pytest.mark.parametrize("key", ["2026-1", "26-01", "2026-13", "2026/01", ""])
def test_a_period_is_yyyy_mm(key: str) -> None:
    with pytest.raises(ValueError, match="period"):
        period_first_on(key)
