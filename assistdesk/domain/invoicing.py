"""Pricing a customer's month (DESIGN.md §2.7), pure: no Django, no clock, no database.

Terms
- *item*: something to bill, in the currency it is priced in (a plan's): a subscription
  fee of a contract's month, a package bought, a rated ticket's labour, travel or parts,
  a credit (already in the invoice currency, negative).
- *line*: an item priced in the invoice currency: converted at the central rate plus the
  plan's markup and rounded half-up to the cent, each line on its own.

Rules (§2.7, and where it is silent, the decision taken)
- Monthly fee: whole, for every month the contract covers at least one day of.
  Annual fee: in the month each contract year starts (start, start + 12 months, ...),
  if the contract still covers that day. The contract's billing cycle chooses between
  the plan's two subscription fees; a plan with only one of them bills that one at its
  own rhythm. The per-workstation fee: every covered month, whatever the cycle.
- A trial plan's contract costs nothing; its successor (a contract starting on the
  conversion day) bills its plan from that month, and its contract year starts then.
- Lines of amount 0 are left off; VAT is computed on the net per rate, half-up; reverse
  charge: no VAT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from assistdesk.domain.allowances import add_months
from assistdesk.domain.money import ZERO, convert, rate_with_markup, round_money, vat_by_rate

MONTHLY, ANNUAL = "monthly", "annual"
ONE = Decimal(1)


def month_last_on(first_on: date) -> date:
    return add_months(first_on, 1) - timedelta(days=1)


def period_first_on(key: str) -> date:
    """`2026-01` as the first day of the month; anything else is a ValueError."""
    year, sep, month = key.partition("-")
    if not (sep and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
        raise ValueError(f"period {key!r}: expected YYYY-MM")
    if not 1 <= int(month) <= 12:
        raise ValueError(f"period {key!r}: no month {month}")
    return date(int(year), int(month), 1)


@dataclass(frozen=True)
class PlanFees:
    key: str
    currency: str
    monthly_fee_amount: Decimal | None
    annual_fee_amount: Decimal | None
    per_workstation_monthly_fee_amount: Decimal | None
    fx_markup: Decimal = Decimal(0)
    is_trial: bool = False


@dataclass(frozen=True)
class ContractFees:
    contract_id: int
    plan: PlanFees
    start_on: date
    ends_on: date | None
    billing_cycle: str
    workstations: int

    def covers(self, on: date) -> bool:
        return self.start_on <= on and (self.ends_on is None or on <= self.ends_on)

    def covers_month(self, first_on: date) -> bool:
        return self.start_on <= month_last_on(first_on) and (
            self.ends_on is None or self.ends_on >= first_on
        )

    def year_start_in(self, first_on: date) -> date | None:
        """The day a contract year starts in the month of `first_on`, if one does."""
        years = (first_on.year - self.start_on.year) * 12 + first_on.month - self.start_on.month
        if years < 0 or years % 12:
            return None
        on = add_months(self.start_on, years)  # from the start, so 29 Feb stays the 29th
        return on if self.covers(on) else None


@dataclass(frozen=True)
class Refs:
    """Where an item comes from (row ids): what makes billing it twice impossible."""

    contract_id: int | None = None
    month_on: date | None = None
    purchase_id: int | None = None
    rating_id: int | None = None
    credit_id: int | None = None
    credited_line_id: int | None = None


@dataclass(frozen=True)
class Item:
    """Something to bill, in `currency`; `refs` say where it came from (ids, month)."""

    kind: str  # fee | package | labour | travel | part | credit
    source: str  # monthly_fee | annual_fee | workstation_fee | package | ticket | ...
    description: str
    currency: str
    amount: Decimal  # to the cent
    quantity: Decimal = ONE
    unit_amount: Decimal | None = None  # default: amount / quantity
    fx_markup: Decimal = Decimal(0)
    plan_key: str = ""
    ticket_label: str = ""
    refs: Refs = field(default_factory=Refs)

    @property
    def unit(self) -> Decimal:
        return self.unit_amount if self.unit_amount is not None else self.amount / self.quantity


def fee_items(contract: ContractFees, first_on: date) -> list[Item]:
    """The subscription fees of one contract for the month starting `first_on`."""
    plan = contract.plan
    if plan.is_trial or not contract.covers_month(first_on):
        return []
    refs = Refs(contract_id=contract.contract_id, month_on=first_on)

    def item(
        source: str,
        description: str,
        amount: Decimal,
        quantity: Decimal = ONE,
        unit_amount: Decimal | None = None,
    ) -> Item:
        return Item(
            kind="fee",
            source=source,
            description=description,
            currency=plan.currency,
            amount=round_money(amount),
            fx_markup=plan.fx_markup,
            plan_key=plan.key,
            quantity=quantity,
            unit_amount=unit_amount,
            refs=refs,
        )

    items = []
    monthly, annual = plan.monthly_fee_amount, plan.annual_fee_amount
    is_annual = annual is not None and (contract.billing_cycle == ANNUAL or monthly is None)
    if is_annual and annual is not None:
        if contract.year_start_in(first_on) is not None:
            items.append(item("annual_fee", f"{plan.key} annual fee", annual))
    elif monthly is not None:
        items.append(item("monthly_fee", f"{plan.key} monthly fee", monthly))
    per_workstation = plan.per_workstation_monthly_fee_amount
    if per_workstation is not None and contract.workstations > 0:
        quantity = Decimal(contract.workstations)
        items.append(
            item(
                "workstation_fee",
                f"{plan.key} workstations",
                quantity * per_workstation,
                quantity=quantity,
                unit_amount=per_workstation,
            )
        )
    return items


@dataclass(frozen=True)
class Line:
    """An item in the invoice currency; `fx_rate` is None when no conversion was needed."""

    item: Item
    fx_rate: Decimal | None
    amount: Decimal


def price(
    items: Iterable[Item], *, currency: str, central_rate: Callable[[str], Decimal]
) -> list[Line]:
    """Each item converted into `currency` and rounded to the cent; lines of 0 left off.

    `central_rate(item_currency)` is the central bank's rate into `currency` on the
    invoice date; the item's plan adds its markup (5.0876 x 1.02 = 5.189352, exact).
    """
    lines = []
    for item in items:
        if item.currency == currency:
            line = Line(item, None, round_money(item.amount))
        else:
            rate = rate_with_markup(central_rate(item.currency), item.fx_markup)
            line = Line(item, rate, convert(item.amount, rate))
        if line.amount != 0:
            lines.append(line)
    return lines


def choose_credits(
    net_amount: Decimal, credits: Sequence[tuple[object, Decimal]]
) -> list[tuple[object, Decimal]]:
    """The credits (key, positive amount), oldest first, deducted while the net stays >= 0.

    A credit is deducted whole or not at all: one that does not fit waits for a later
    invoice, so an invoice is never negative (that is what a credit note is for).
    """
    chosen = []
    for key, amount in credits:
        if amount <= net_amount:
            chosen.append((key, amount))
            net_amount -= amount
    return chosen


@dataclass(frozen=True)
class Totals:
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal


def totals(
    amounts: Iterable[Decimal], *, vat_rate: Decimal | None, is_reverse_charge: bool
) -> Totals:
    """Net = sum of the lines; VAT on the net (one rate per invoice), half-up to the cent."""
    nets = list(amounts)
    net = sum(nets, ZERO)
    if is_reverse_charge or vat_rate is None:
        vat = ZERO
    else:
        vat = sum(vat_by_rate((amount, vat_rate) for amount in nets).values(), ZERO)
    return Totals(net, vat, net + vat)
