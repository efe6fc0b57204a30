"""Reading scenario files: the examples load, and each kind of mistake names its key."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
import yaml

from assistdesk.domain.errors import SpecError
from assistdesk.simulate import scenario


@pytest.fixture
def example(shared_dir):
    return yaml.safe_load((shared_dir / "scenarios/example-01-ticket-plan.yaml").read_text())


def test_every_example_loads(shared_dir):
    files = sorted((shared_dir / "scenarios").glob("example-*.yaml"))
    assert len(files) >= 3
    for path in files:
        loaded = scenario.load(path)
        assert loaded.tickets and loaded.plans


def test_local_times_are_in_the_provider_zone(example):
    loaded = scenario.parse(example)
    t1 = loaded.tickets[0]
    assert t1.received_at.astimezone(UTC) == datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    intervention = next(e for e in t1.events if e.type == "intervention")
    assert intervention.end_at is not None
    assert (intervention.end_at - intervention.at).total_seconds() == 40 * 60
    assert t1.urgent is False and loaded.tickets[2].urgent is True  # severity 1


def broken(example, mutate):
    data = copy.deepcopy(example)
    mutate(data)
    with pytest.raises(SpecError) as caught:
        scenario.parse(data)
    return caught.value.key


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.update(format="assistdesk-scenario/9"), "format"),
        (lambda d: d["provider"].update(timezone="Mars/Olympus"), "provider.timezone"),
        (lambda d: d["contracts"][0].update(plan="gold"), "contracts[0].plan"),
        (lambda d: d["contracts"][0].update(customer="nobody"), "contracts[0].customer"),
        (lambda d: d["contracts"][0].update(billing_cycle="weekly"), "contracts[0].billing_cycle"),
        (lambda d: d["plans"][0].update(calendar="moon"), "plans[0].calendar"),
        (lambda d: d["tickets"][1].update(severity=5), "tickets[1].severity"),
        (lambda d: d["tickets"][1].update(origin="pigeon"), "tickets[1].origin"),
        (lambda d: d["tickets"][0]["events"][1].update(end="2026-01-08T13:00:00"),
         "tickets[0].events[1].end"),
        (lambda d: d["tickets"][0]["events"][1].update(mode="telepathy"),
         "tickets[0].events[1].mode"),
        (lambda d: d["tickets"][0]["events"][0].update(at="2026-01-01T09:00:00"),
         "tickets[0].events[0].at"),
        (lambda d: d["tickets"][2]["events"][1]["parts"][0].update(unit_price="eighty"),
         "tickets[2].events[1].parts[0].unit_price"),
        (lambda d: d["fx_rates"][0].update(rate="0"), "fx_rates[0].rate"),
        (lambda d: d["billing"][0].update(period="2026-13"), "billing[0].period"),
        (lambda d: d.update(surprise=1), "surprise"),
    ],
)  # fmt: skip
def test_a_mistake_names_its_key(example, mutate, key):
    assert broken(example, mutate) == key
