"""`assistdesk simulate FILE`: replay a scenario and print what the system decided.

Exit status 2 and one line on standard error naming the offending key when the file is
invalid; nothing on standard output then.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from assistdesk.domain.errors import SpecError
from assistdesk.simulate import runner, scenario


class Command(BaseCommand):
    help = "Replay a scenario (assistdesk-scenario/1) on a throw-away database; print JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="scenario file, YAML or JSON")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if connection.vendor != "sqlite" or connection.settings_dict["NAME"] != ":memory:":
            # Run through `assistdesk simulate`, which isolates before settings load.
            self.stderr.write("simulate: refusing to run outside its throw-away database")
            sys.exit(2)
        try:
            loaded = scenario.load(file)
            call_command("migrate", verbosity=0, interactive=False)
            result = runner.run(loaded)
        except SpecError as error:
            key = error.key or "(file)"
            sys.stderr.write(f"{file}: {key}: {error.message}\n")
            sys.exit(2)
        sys.stdout.write(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
