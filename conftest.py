"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent
SHARED_DIR = REPO_ROOT.parent / "shared"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"


@pytest.fixture
def shared_dir() -> Path:
    """The project's shared specs (../shared); their absence is a failure, never a skip."""
    if not (SHARED_DIR / "DESIGN.md").exists():
        pytest.fail(f"{SHARED_DIR} is missing: clone the project with shared/ beside it")
    return SHARED_DIR


def database_url_of_test_db() -> str:
    """A DATABASE_URL that points a subprocess at the database this test is using."""
    from django.db import connection

    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    if connection.vendor == "postgresql":
        user = cfg.get("USER") or ""
        auth = f"{user}@" if user else ""
        host = cfg.get("HOST") or "127.0.0.1"
        port = cfg.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{cfg['NAME']}"
    raise RuntimeError(f"no subprocess URL for {connection.vendor}")


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for a subprocess (worker, scheduler, server) sharing the test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_of_test_db()
    env["DJANGO_SETTINGS_MODULE"] = "assistdesk.settings"
    return env


@pytest.fixture
def run_assistdesk(
    subprocess_env: dict[str, str],
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the `assistdesk` command in a subprocess against the test database."""

    def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "assistdesk.cli", *args],
            env={**subprocess_env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=REPO_ROOT,
        )

    return run


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
