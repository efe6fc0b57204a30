"""The shared example scenarios, replayed through the tickets services.

Every `../shared/scenarios/example-*.yaml` is built with the catalog, customers and
contracts services, its ticket events are replayed in time order through the tickets
services (the clock of each call is the event's time), and each ticket's state, SLA,
charges and total, and each customer's allowances, must be those of its
`*.expected.json`. This is the end-to-end check of rating on close: SLA from the stored
events, coefficients, allowances granted and debited through the ledgers.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.contracts.selectors import customer_allowances
from assistdesk.contracts.services import contract_create, package_purchase
from assistdesk.customers.services import customer_create
from assistdesk.tickets import services
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.selectors import ticket_result

SCENARIOS = Path(__file__).resolve().parents[3].parent / "shared" / "scenarios"
ACTOR = "system:test"


def _scenarios() -> list[Path]:
    found = sorted(SCENARIOS.glob("example-*.yaml"))
    if not found:
        raise RuntimeError(f"no example scenarios under {SCENARIOS}")
    return found


def _at(value: Any, tz: ZoneInfo) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def replay(spec: dict[str, Any]) -> tuple[dict[str, Ticket], dict[str, Any]]:
    tz = ZoneInfo(spec["provider"]["timezone"])
    start = datetime(2000, 1, 1, tzinfo=tz)
    _, plans = catalog_load_from_spec(
        spec={"calendars": spec["calendars"], "plans": spec["plans"]}, actor=ACTOR, now=start
    )
    customers = {
        c["key"]: customer_create(
            key=c["key"],
            name=c["key"],
            country=c["country"],
            currency=c["currency"],
            language=c.get("language", "en"),
            vat_rate=Decimal(c["vat_rate"]),
            workstations=c.get("workstations", 0),
            is_in_town=c.get("in_town", True),
            actor=ACTOR,
            now=start,
        )
        for c in spec["customers"]
    }
    steps: list[tuple[datetime, tuple[int, ...], Any]] = []
    for i, c in enumerate(spec.get("contracts", [])):
        at = datetime.combine(_day(c["start"]), time(0), tzinfo=tz)
        steps.append((at, (0, i), ("contract", c)))
    for i, p in enumerate(spec.get("packages", [])):
        at = datetime.combine(_day(p["purchased"]), time(0), tzinfo=tz)
        steps.append((at, (1, i), ("package", p)))
    for i, t in enumerate(spec["tickets"]):
        steps.append((_at(t["received"], tz), (2, i, 0), ("receive", t)))
        previous = _at(t["received"], tz)
        for j, event in enumerate(t["events"], start=1):
            # An intervention is logged when it ends.
            at = _at(event["end"] if event["type"] == "intervention" else event["at"], tz)
            previous = max(previous, at)
            steps.append((previous, (2, i, j), (event["type"], (t["key"], event))))
    tickets: dict[str, Ticket] = {}
    for now, _, (what, item) in sorted(steps, key=lambda s: (s[0], s[1])):
        if what == "contract":
            contract_create(
                customer=customers[item["customer"]],
                plan=plans[item["plan"]],
                start_on=_day(item["start"]),
                billing_cycle=item.get("billing_cycle", "monthly"),
                actor=ACTOR,
                now=now,
            )
        elif what == "package":
            package_purchase(
                customer=customers[item["customer"]],
                plan=plans[item["plan"]],
                purchased_on=_day(item["purchased"]),
                actor=ACTOR,
                now=now,
            )
        elif what == "receive":
            tickets[item["key"]] = services.ticket_create(
                customer=customers[item["customer"]],
                origin=item["origin"],
                subject=item["key"],
                severity=item["severity"],
                urgent=item.get("urgent"),
                kind=item.get("kind", "support"),
                received_at=_at(item["received"], tz),
                actor=ACTOR,
                now=now,
            )
        else:
            key, event = item
            ticket = Ticket.objects.get(pk=tickets[key].pk)
            _event(ticket, what, event, tz, now)
    return tickets, customers


def _event(ticket: Ticket, what: str, event: dict[str, Any], tz: ZoneInfo, now: datetime) -> None:
    if what == "response":
        services.ticket_reply(ticket=ticket, body="On it.", actor=ACTOR, now=now)
    elif what == "intervention":
        services.intervention_log(
            ticket=ticket,
            mode=event["mode"],
            activity=event["activity"],
            start_at=_at(event["start"], tz),
            end_at=_at(event["end"], tz),
            km=Decimal(str(event.get("km", 0))),
            remote_tool_setup=event.get("remote_tool_setup", False),
            warranty=event.get("warranty", False),
            follow_up=event.get("follow_up", False),
            resolved=event.get("resolved", False),
            parts=[
                (p["name"], Decimal(str(p["quantity"])), Decimal(str(p["unit_price"])))
                for p in event.get("parts", [])
            ],
            actor=ACTOR,
            now=now,
        )
    elif what == "resolved":
        services.ticket_resolve(ticket=ticket, actor=ACTOR, now=now)
    elif what == "closed":
        services.ticket_close(ticket=ticket, actor=ACTOR, now=now)
    else:
        raise AssertionError(f"event {what} not in the examples")


def _charge(charge: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"type": charge.type}
    if charge.type == "labour":
        line |= {
            "rate": charge.rate_key,
            "mode": charge.mode,
            "minutes": float(charge.minutes),
            "billed_minutes": float(charge.billed_minutes),
            "coefficient": _fmt(charge.coefficient),
            "allowance_minutes": float(charge.allowance_minutes),
        }
    elif charge.type == "part":
        line["name"] = charge.name
    line["amount"] = f"{charge.amount:.2f}"
    return line


@pytest.mark.django_db
@pytest.mark.parametrize("path", _scenarios(), ids=lambda p: p.stem)
def test_example_scenario_through_the_services(path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text())
    tz = ZoneInfo(spec["provider"]["timezone"])
    tickets, customers = replay(spec)
    for key, want in expected["tickets"].items():
        got = ticket_result(ticket_id=tickets[key].pk)
        assert got.state == want["state"], key
        assert [
            {
                "kind": t.kind,
                "due": t.due_at.astimezone(tz).isoformat(),
                "actual": t.actual_at.astimezone(tz).isoformat() if t.actual_at else None,
                "met": t.met,
                "late_minutes": t.late_minutes,
            }
            for t in got.targets
        ] == want["sla"], key
        assert got.rating is not None
        assert [_charge(c) for c in got.rating.charges] == want["charges"], key
        assert f"{got.rating.total_amount:.2f}" == want["total"], key
    for key, lines in expected["allowances"].items():
        got_lines = [
            {
                "source": line.source,
                "granted_minutes": float(line.granted_minutes),
                "used_minutes": float(line.used_minutes),
                "left_minutes": float(line.left_minutes),
                "expires": line.expires_on.isoformat(),
            }
            for line in customer_allowances(customer=customers[key])
        ]
        assert sorted(got_lines, key=str) == sorted(lines, key=str), key
