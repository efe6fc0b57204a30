"""`assistdesk simulate` end to end: the command a provider runs, compared with compare.py.

Each example runs exactly as the acceptance says, in a subprocess:
`assistdesk simulate F > out.json && python3 compare.py F-expected out.json`.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO_ROOT.parent / "shared" / "scenarios").glob("example-*.yaml"))


def simulate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistdesk.cli", "simulate", str(path)],
        capture_output=True, text=True, timeout=120, check=False, cwd=REPO_ROOT,
    )  # fmt: skip


def compare(expected: Path, actual: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(expected.parent / "compare.py"), str(expected), str(actual)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert lines and lines[-1].endswith("differences"), done.stdout + done.stderr
    return lines[:-1]


def test_the_examples_are_there(shared_dir):
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("scenario", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_its_expected_result(scenario, tmp_path):
    done = simulate(scenario)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out.json"
    out.write_text(done.stdout)
    result = json.loads(done.stdout)
    assert result["format"] == "assistdesk-result/1"

    differences = compare(scenario.with_name(scenario.stem + ".expected.json"), out)

    assert differences == []
    assert result["invoices"], "every example bills its month"


def test_every_charge_is_explained(tmp_path):
    result = json.loads(simulate(EXAMPLES[0]).stdout)
    charges = [c for t in result["tickets"].values() for c in t["charges"]]
    assert charges and all(c["explanation"] for c in charges)


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def example_data():
    return yaml.safe_load(EXAMPLES[0].read_text())


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["contracts"][0].update(plan="platinum"), "contracts[0].plan"),
        (lambda d: d["tickets"][0]["events"][1].update(end="2026-01-08T13:59:00"),
         "tickets[0].events[1].end"),
        (lambda d: d["tickets"][0]["events"][1].update(activity="change"),
         "tickets[0].events[1].activity"),
        (lambda d: d["plans"][0]["rates"]["onsite"].update(per_minutes=0),
         "plans[0].rates.onsite.per_minutes"),
        (lambda d: d["customers"][0].update(vat_rate="lots"), "customers[0].vat_rate"),
    ],
    ids=["unknown plan", "end before start", "no matching rate", "bad rate", "bad customer"],
)  # fmt: skip
def test_a_malformed_scenario_exits_2_naming_the_key(example_data, tmp_path, mutate, key):
    data = copy.deepcopy(example_data)
    mutate(data)

    done = simulate(write(tmp_path, data))

    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f": {key}: " in lines[0]


def test_a_file_that_is_not_yaml_exits_2(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("plans: [unclosed\n")
    done = simulate(path)
    assert done.returncode == 2 and done.stdout == ""
    assert "not valid YAML" in done.stderr
