"""`assistdesk scheduler`: enqueue periodic jobs; safe to run on every node."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from assistdesk.common import clock, scheduler


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (several nodes may run it: each slot runs once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Tick once and exit.")
        parser.add_argument("--interval", type=int, default=settings.SCHEDULER_INTERVAL_SECONDS)
        parser.add_argument("--list", action="store_true", help="List the jobs and exit.")

    def handle(self, *args: Any, once: bool, interval: int, list: bool, **options: Any) -> None:
        if list:
            for job in scheduler.jobs():
                self.stdout.write(f"{job.name:30} {job.cron:20} {job.task_path}")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        node = scheduler.node_name()
        self.stdout.write(f"scheduler {node}: {len(scheduler.jobs())} jobs, every {interval}s")
        while not stop.is_set():
            close_old_connections()
            for name in scheduler.tick(now=clock.now(), node=node):
                self.stdout.write(f"enqueued {name}")
            if once:
                break
            stop.wait(interval)
