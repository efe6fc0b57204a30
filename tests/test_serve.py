"""`assistdesk serve`, the embedded default, from an empty var/ to a working system.

Starts the real thing (gunicorn + worker + scheduler) on a free port with its own
SQLite database, logs in to the admin as the demo staff user printed at start-up, and
has a web request's task run by the served worker.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASK_BACKEND"}}
    env["ASSISTDESK_VAR_DIR"] = str(var_dir)
    env["SCHEDULER_INTERVAL_SECONDS"] = "1"
    return env


def assistdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assistdesk.cli", *args],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=10) as r:
            return r.status, r.read().decode()

    def post(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data or {}).encode()
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers={"X-CSRFToken": self.csrf(), "Referer": self.base + path},
        )
        with self.opener.open(request, timeout=10) as r:
            return r.status, r.read().decode()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_serve_runs_web_worker_and_scheduler(tmp_path):
    env = embedded_env(tmp_path / "var")
    assistdesk(env, "migrate", "--noinput", "-v", "0")
    assistdesk(env, "collectstatic", "--noinput", "-v", "0")
    assistdesk(env, "demo", "--if-empty")
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "assistdesk.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        status, page = wait_for(lambda: browser.get("/admin/login/"), 60, "the admin login")
        assert status == 200 and "csrfmiddlewaretoken" in page

        login = re.search(r"Staff login: (\S+) / (\S+)", log_path.read_text())
        assert login, log_path.read_text()
        status, page = browser.post(
            "/admin/login/?next=/admin/",
            {"username": login[1], "password": login[2], "next": "/admin/"},
        )
        assert status == 200 and "Catalog, customers and operations" in page

        status, body = browser.post("/ops/heartbeat/")
        assert status == 202
        beat_id = json.loads(body)["id"]

        def heartbeat_ran():
            return json.loads(browser.get(f"/ops/heartbeat/{beat_id}/")[1])["status"] == "ran"

        wait_for(heartbeat_ran, 60, "the served worker to run the heartbeat")
        wait_for(lambda: "scheduler" in log_path.read_text(), 30, "the scheduler to start")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0, log_path.read_text()
