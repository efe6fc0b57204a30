"""The command line and the production settings."""

from __future__ import annotations

import pytest


def test_help_lists_the_runtime_commands(run_assistdesk):
    done = run_assistdesk("--help")
    assert done.returncode == 0
    for command in ("serve", "worker", "scheduler"):
        assert f"\n  {command} " in done.stdout


def test_help_of_a_django_command_still_works(run_assistdesk):
    done = run_assistdesk("help", "worker")
    assert done.returncode == 0
    assert "--batch" in done.stdout


@pytest.mark.django_db
def test_check_deploy_is_clean_with_production_settings(run_assistdesk):
    done = run_assistdesk(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY="x9#Lq2!vR7@pZ4$wT1^mN8&kB5*cH3(jD6)fG0_sY-uE+oI=aQ",
        ALLOWED_HOSTS="desk.example.com",
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


def test_an_unknown_task_backend_is_refused(run_assistdesk):
    done = run_assistdesk("check", TASK_BACKEND="carrier-pigeon")
    assert done.returncode != 0
    assert "TASK_BACKEND must be one of" in done.stderr
