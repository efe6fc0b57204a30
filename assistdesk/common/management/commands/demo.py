"""`assistdesk demo`: load the demo data into an empty database."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from assistdesk.common import clock


class Command(BaseCommand):
    help = "Load demo data (staff login, catalog, customers, tickets) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any user exists."
        )

    def handle(self, *args: Any, if_empty: bool, **options: Any) -> None:
        if get_user_model().objects.exists():
            if if_empty:
                self.stdout.write("demo: database not empty, nothing loaded")
                return
            self.stderr.write("demo: the database is not empty")
            raise SystemExit(1)
        now = clock.now()
        with transaction.atomic():
            for config in apps.get_app_configs():
                if not config.name.startswith("assistdesk."):
                    continue
                module_name = f"{config.name}.demo"
                if find_spec(module_name) is None:
                    continue
                import_module(module_name).load(now=now)
                self.stdout.write(f"demo: loaded {config.label}")
