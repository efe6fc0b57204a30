"""Demo catalog: the five seed offerings (fixtures/seed_catalog.yaml)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from assistdesk.catalog.services import catalog_load_from_spec

SEED_CATALOG = Path(__file__).resolve().parent / "fixtures" / "seed_catalog.yaml"


def seed_catalog_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    return spec


def load(*, now: datetime) -> None:
    catalog_load_from_spec(spec=seed_catalog_spec(), actor="demo", now=now)
