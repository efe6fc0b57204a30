"""Building billing worlds for tests: catalog and contracts through their services.

Rated tickets are written as rows (ticket, rating, charges) with the amounts the test
states: billing reads ratings, it does not rate, so its tests do not depend on how a
ticket's work became its charges (the tickets app tests that).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.db.models import Max

from assistdesk.billing.fx.importer import fx_rate_record
from assistdesk.catalog.models import Plan
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.contracts.models import Contract
from assistdesk.contracts.selectors import contract_in_force
from assistdesk.contracts.services import contract_create, package_purchase
from assistdesk.customers.models import Customer
from assistdesk.customers.services import customer_create
from assistdesk.tickets.models import Charge, Ticket, TicketRating

ACTOR = "test"
D = Decimal


def at(text: str, zone: str = "UTC") -> datetime:
    """An aware instant from ISO text; a naive one is local time in `zone`."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


NOW = at("2026-01-01T00:00:00")

CALENDAR = {
    "timezone": "Europe/Bucharest",
    "week": {d: ["08:30-16:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "RO"},
}


def plans(*specs: Mapping[str, Any]) -> dict[str, Plan]:
    """Plans from FORMAT.md entries, on an `office` calendar (Bucharest) unless named."""
    full = [{"calendar": "office", "rates": {}, **spec} for spec in specs]
    _, made = catalog_load_from_spec(
        spec={"calendars": {"office": CALENDAR}, "plans": full}, actor=ACTOR, now=NOW
    )
    return made


def customer(key: str = "acme", **fields: Any) -> Customer:
    values: dict[str, Any] = {
        "name": f"{key.title()} S.R.L.",
        "country": "RO",
        "currency": "RON",
        "language": "ro",
        "vat_rate": D("21"),
        "workstations": 0,
        "vat_id": f"RO{zlib.crc32(key.encode()) % 10**8:08d}",
    }
    values.update(fields)
    return customer_create(key=key, actor=ACTOR, now=NOW, **values)


def contract(
    who: Customer, plan: Plan, start_on: date, *, billing_cycle: str = "monthly", **extra: Any
) -> Contract:
    return contract_create(
        customer=who,
        plan=plan,
        start_on=start_on,
        billing_cycle=billing_cycle,
        actor=ACTOR,
        now=datetime.combine(start_on, time(0), tzinfo=UTC),
        **extra,
    )


def rate(on: date, value: str, from_currency: str = "EUR", to_currency: str = "RON") -> None:
    fx_rate_record(
        published_on=on,
        from_currency=from_currency,
        to_currency=to_currency,
        rate=D(value),
        actor=ACTOR,
        now=NOW,
    )


def rated_ticket(
    who: Customer,
    closed_at: datetime,
    charges: Sequence[tuple[str, str]],
    *,
    received_at: datetime | None = None,
    subject: str = "printer",
) -> TicketRating:
    """A closed ticket of `who` with a current rating of `charges` ((type, amount), ...)."""
    received = received_at or closed_at
    in_force = contract_in_force(customer=who, at=received)
    plan = in_force.plan if in_force else None
    number = (Ticket.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    ticket = Ticket.objects.create(
        number=number,
        customer=who,
        contract=in_force,
        plan=plan,
        origin="email",
        subject=subject,
        received_at=received,
        priority_rank=plan.priority if plan else 9,
        state="closed",
        in_queue=False,
        resolved_at=closed_at,
        closed_at=closed_at,
    )
    amounts = [(kind, D(amount)) for kind, amount in charges]
    rating = TicketRating.objects.create(
        ticket=ticket,
        rated_at=closed_at,
        currency=plan.currency if plan else who.currency,
        total_amount=sum((a for _, a in amounts), D(0)),
        actor=ACTOR,
    )
    Charge.objects.bulk_create(
        Charge(rating=rating, ordinal=i, type=kind, amount=amount, explanation=f"{kind} {amount}")
        for i, (kind, amount) in enumerate(amounts, start=1)
    )
    return rating


# --- the shared example scenarios ---------------------------------------------------------


@dataclass
class Example:
    spec: dict[str, Any]
    expected: dict[str, Any]
    customers: dict[str, Customer] = field(default_factory=dict)
    tickets: dict[str, TicketRating] = field(default_factory=dict)

    @property
    def billing(self) -> list[tuple[str, date]]:
        return [(str(b["period"]), _date(b["invoice_date"])) for b in self.spec["billing"]]


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def example(shared_dir: Path, name: str) -> Example:
    """An example scenario built through the services, its tickets rated as expected.

    Catalog, customers, contracts, packages and FX rates come from the YAML; each
    ticket's charges are the amounts of the expected result, closed at the YAML's time.
    """
    folder = shared_dir / "scenarios"
    spec = yaml.safe_load((folder / f"{name}.yaml").read_text())
    expected = json.loads((folder / f"{name}.expected.json").read_text())
    world = Example(spec, expected)
    zone = spec["provider"]["timezone"]
    made = catalog_load_from_spec(
        spec={"calendars": spec["calendars"], "plans": spec["plans"]}, actor=ACTOR, now=NOW
    )[1]
    for c in spec["customers"]:
        world.customers[c["key"]] = customer(
            c["key"],
            country=c["country"],
            language=c.get("language", "en"),
            currency=c["currency"],
            vat_rate=D(str(c["vat_rate"])) if "vat_rate" in c else None,
            is_vat_reverse_charge=bool(c.get("reverse_charge", False)),
            workstations=int(c.get("workstations", 0)),
            is_in_town=bool(c.get("in_town", True)),
        )
    for c in spec["contracts"]:
        contract(
            world.customers[c["customer"]],
            made[c["plan"]],
            _date(c["start"]),
            billing_cycle=c.get("billing_cycle", "monthly"),
        )
    for p in spec.get("packages", []):
        on = _date(p["purchased"])
        package_purchase(
            customer=world.customers[p["customer"]],
            plan=made[p["plan"]],
            purchased_on=on,
            actor=ACTOR,
            now=datetime.combine(on, time(9), tzinfo=ZoneInfo(zone)),
        )
    for r in spec.get("fx_rates", []):
        rate(_date(r["date"]), str(r["rate"]), r["from"], r["to"])
    for t in spec.get("tickets", []):
        closed = next(e["at"] for e in t["events"] if e["type"] == "closed")
        charges = [(c["type"], c["amount"]) for c in expected["tickets"][t["key"]]["charges"]]
        world.tickets[t["key"]] = rated_ticket(
            world.customers[t["customer"]],
            at(str(closed), zone),
            charges,
            received_at=at(str(t["received"]), zone),
            subject=t["key"],
        )
    return world
