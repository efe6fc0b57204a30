"""Money: one rounding rule, exact conversion, VAT per rate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistdesk.domain.money import (
    CENT,
    Money,
    convert,
    rate_with_markup,
    round_money,
    to_decimal,
    vat_amount,
    vat_by_rate,
)

D = Decimal


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        ("67.5", "67.50"),
        ("0.005", "0.01"),  # half-up, not banker's rounding
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("2.344999", "2.34"),
        ("-0.005", "-0.01"),  # half away from zero, symmetric for credits
        ("1556.8056", "1556.81"),
    ],
)
def test_round_money_is_half_up_to_the_cent(raw: str, rounded: str) -> None:
    assert str(round_money(D(raw))) == rounded


def test_amounts_are_built_from_strings_and_ints_never_floats() -> None:
    assert to_decimal(" 74.90 ") == D("74.90")
    assert to_decimal(3) == D(3)
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_decimal(True)
    with pytest.raises(ValueError):
        to_decimal("NaN")


def test_an_expert_fee_invoiced_in_ron_at_bnr_plus_two_percent() -> None:
    # Seed 004: 300 EUR monthly fee, BNR 5.0876, markup 2 %.
    rate = rate_with_markup(D("5.0876"), D("0.02"))
    assert rate == D("5.189352")  # kept exact: it is printed on the invoice
    assert convert(D("300"), rate) == D("1556.81")
    assert convert(D("60"), rate) == D("311.36")  # 4 workstations x 15 EUR
    assert convert(D("110.50"), rate) == D("573.42")


def test_each_line_is_converted_and_rounded_on_its_own() -> None:
    rate = D("5.189352")
    lines = [D("25.00"), D("60.00"), D("110.50"), D("85.00")]
    per_line = sum(convert(amount, rate) for amount in lines)
    assert per_line == D("1455.60")
    assert convert(sum(lines), rate) == D("1455.61")  # why §2.7 converts per line


def test_vat_is_computed_on_the_net_of_each_rate() -> None:
    assert vat_amount(D("3323.77"), D("21")) == D("697.99")
    assert vat_by_rate([(D("0.03"), D("22")), (D("0.03"), D("22")), (D("10"), D("5"))]) == {
        D("22"): D("0.01"),  # 22 % of 0.06, not 2 x 22 % of 0.03 (0.00 + 0.00)
        D("5"): D("0.50"),
    }


def test_money_refuses_to_mix_currencies() -> None:
    fee = Money.of("300", "EUR")
    assert fee + Money.of("15", "EUR") == Money(D("315"), "EUR")
    assert str(fee.converted(D("5.189352"), "RON")) == "1556.81 RON"
    with pytest.raises(ValueError, match="cannot mix EUR and RON"):
        _ = fee + Money.of("1", "RON")
    with pytest.raises(ValueError):
        Money.of("1", "euro")


amounts = st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6)


@given(amounts)
def test_rounding_moves_an_amount_by_at_most_half_a_cent(amount: Decimal) -> None:
    rounded = round_money(amount)
    assert abs(rounded - amount) <= CENT / 2
    assert rounded == round_money(rounded)
    assert rounded.as_tuple().exponent == -2


@given(amounts, st.decimals(min_value=0, max_value=100, allow_nan=False, places=6))
def test_convert_is_the_rounded_product(amount: Decimal, rate: Decimal) -> None:
    assert convert(amount, rate) == round_money(amount * rate)
