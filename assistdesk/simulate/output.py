"""The result of a replay as `assistdesk-result/1` (../shared/scenarios/FORMAT.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from assistdesk.billing.selectors import invoice_results
from assistdesk.contracts.selectors import customer_allowances
from assistdesk.customers.models import Customer
from assistdesk.simulate.scenario import Scenario
from assistdesk.tickets.selectors import ticket_result

FORMAT = "assistdesk-result/1"


def minutes(value: Decimal | int) -> int | float:
    """Minutes as JSON numbers: whole ones as integers, fractions (coefficients) as-is."""
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def instant(value: datetime | None, scenario: Scenario) -> str | None:
    return value.astimezone(scenario.timezone).isoformat() if value is not None else None


def result(
    scenario: Scenario, customers: Mapping[str, Customer], tickets: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "tickets": {key: _ticket(ticket, scenario) for key, ticket in tickets.items()},
        "allowances": {
            key: [
                {
                    "source": line.source,
                    "granted_minutes": minutes(line.granted_minutes),
                    "used_minutes": minutes(line.used_minutes),
                    "expired_minutes": minutes(line.expired_minutes),
                    "left_minutes": minutes(line.left_minutes),
                    "expires": line.expires_on.isoformat(),
                }
                for line in customer_allowances(customer=customer)
            ]
            for key, customer in customers.items()
            if customer_allowances(customer=customer)
        },
        "invoices": invoice_results(
            ticket_names={ticket.number: key for key, ticket in tickets.items()}
        ),
    }


def _ticket(ticket: Any, scenario: Scenario) -> dict[str, Any]:
    view = ticket_result(ticket_id=ticket.pk)
    entry: dict[str, Any] = {
        "number": view.number,
        "state": view.state,
        "sla": [
            {
                "kind": target.kind,
                "due": instant(target.due_at, scenario),
                "actual": instant(target.actual_at, scenario),
                "met": target.met,
                "late_minutes": target.late_minutes,
            }
            for target in view.targets
        ],
        "charges": [],
        "total": None,
    }
    if view.rating is not None:
        entry["charges"] = [_charge(charge) for charge in view.rating.charges]
        entry["total"] = money(view.rating.total_amount)
    return entry


def _charge(charge: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"type": charge.type}
    if charge.type == "labour":
        line.update(
            rate=charge.rate_key,
            mode=charge.mode,
            minutes=minutes(charge.minutes),
            billed_minutes=minutes(charge.billed_minutes),
            coefficient=f"{Decimal(charge.coefficient).normalize():f}",
            allowance_minutes=minutes(charge.allowance_minutes),
        )
        if charge.free_reason:
            line["free"] = charge.free_reason
    elif charge.type == "part":
        line["name"] = charge.name
    line["amount"] = money(charge.amount)
    line["explanation"] = charge.explanation
    return line
