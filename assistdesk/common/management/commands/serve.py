"""`assistdesk serve`: the embedded default in one process group.

Runs gunicorn (a production WSGI server, not runserver), one task worker and one
scheduler as child processes, forwards SIGINT/SIGTERM to them, and stops all of them
when any one exits, so a supervisor sees one unit that is either whole or down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from assistdesk.common.demo import staff_login

# Seconds a served process keeps its database connection (env DB_CONN_MAX_AGE overrides).
DEFAULT_CONN_MAX_AGE = 60


class Command(BaseCommand):
    help = "Serve the web application with its worker and scheduler (embedded default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2"))
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
        # gunicorn's access log costs ~1 ms of CPU per request: off unless asked for.
        parser.add_argument(
            "--access-log",
            action="store_true",
            default=os.environ.get("WEB_ACCESS_LOG", "") not in {"", "0", "false", "no"},
            help="write gunicorn's access log to stdout (env WEB_ACCESS_LOG=1)",
        )
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument("--no-scheduler", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        me = [sys.executable, "-m", "assistdesk.cli"]
        commands = {
            "web": [
                sys.executable, "-m", "gunicorn", "assistdesk.wsgi:application",
                "--bind", options["bind"],
                "--workers", str(options["web_workers"]),
                "--threads", str(options["threads"]),
                "--worker-class", "gthread",
                "--graceful-timeout", "10",
            ],
        }  # fmt: skip
        if options["access_log"]:
            commands["web"] += ["--access-logfile", "-"]
        if not options["no_worker"]:
            commands["worker"] = [*me, "worker"]
        if not options["no_scheduler"]:
            commands["scheduler"] = [*me, "scheduler"]

        # The web processes keep their database connections unless told otherwise: opening
        # one per request (on PostgreSQL a new backend process each time) costs more CPU
        # than creating a ticket does.
        web_env = dict(os.environ)
        web_env.setdefault("DB_CONN_MAX_AGE", str(DEFAULT_CONN_MAX_AGE))
        children = {
            name: subprocess.Popen(cmd, env=web_env if name == "web" else None)  # noqa: S603
            for name, cmd in commands.items()
        }
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        self.stdout.write(f"AssistDesk at http://{options['bind']}/ ({', '.join(children)})")
        login = staff_login()
        if login:
            self.stdout.write(f"Staff login: {login}  (admin: http://{options['bind']}/admin/)")
        self.stdout.flush()

        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with {child.returncode}; stopping")
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.5)

        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if settings.DEBUG:
            self.stdout.write("stopped")
        raise SystemExit(exit_code)
