"""The `sla` entries of the shared example scenarios, computed by the domain engine alone.

The plan, its calendars and the ticket events are read from the scenario YAML; the
expected due/actual/met/late_minutes come from the `*.expected.json` beside it, compared
exactly, ISO strings with the provider's offset included.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from assistdesk.domain.calendar import Calendar
from assistdesk.domain.sla import (
    EventType,
    TicketEvent,
    TicketKind,
    sla_state,
    targets_from_spec,
    ticket_facts,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = REPO_ROOT.parent / "shared" / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("example-*.yaml"))


def test_the_shared_examples_are_there() -> None:
    # Never skip silently: without the shared specs this suite proves nothing.
    assert SCENARIOS.is_dir(), f"missing shared scenarios directory {SCENARIOS}"
    assert len(EXAMPLES) >= 3, f"expected the example scenarios in {SCENARIOS}"
    for path in EXAMPLES:
        assert path.with_suffix(".expected.json").is_file(), f"no expected result for {path}"


def instant(value: object, tz: ZoneInfo) -> datetime:
    """FORMAT.md: ISO 8601; without an offset, local time in the provider's zone."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


def ticket_events(ticket: dict[str, Any], tz: ZoneInfo) -> list[TicketEvent]:
    events = []
    for event in ticket.get("events", []):
        if event["type"] == "intervention":
            at = instant(event["start"], tz)
            events.append(TicketEvent(EventType.INTERVENTION, at, mode=event["mode"]))
        else:
            events.append(TicketEvent(EventType(event["type"]), instant(event["at"], tz)))
    return events


def computed_sla(scenario: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tz = ZoneInfo(scenario["provider"]["timezone"])
    calendars = {
        name: Calendar.from_spec(spec) for name, spec in (scenario.get("calendars") or {}).items()
    }
    targets = {
        plan["key"]: targets_from_spec(plan.get("sla"), calendars, calendars[plan["calendar"]])
        for plan in scenario["plans"]
    }
    plan_of = {contract["customer"]: contract["plan"] for contract in scenario["contracts"]}
    result = {}
    for ticket in scenario.get("tickets", []):
        received_at = instant(ticket["received"], tz)
        events = ticket_events(ticket, tz)
        facts = ticket_facts(
            received_at,
            events,
            severity=ticket["severity"],
            urgent=ticket.get("urgent"),
            kind=TicketKind(ticket.get("kind", "support")),
        )
        now = max([received_at, *(event.at for event in events)])
        result[ticket["key"]] = [
            {
                "kind": str(entry.kind),
                "due": entry.due_at.astimezone(tz).isoformat(),
                "actual": None
                if entry.actual_at is None
                else entry.actual_at.astimezone(tz).isoformat(),
                "met": entry.met,
                "late_minutes": entry.late_minutes,
            }
            for entry in sla_state(facts, targets[plan_of[ticket["customer"]]], now)
        ]
    return result


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_sla(path: Path) -> None:
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert computed_sla(scenario) == {
        key: ticket["sla"] for key, ticket in expected["tickets"].items()
    }
