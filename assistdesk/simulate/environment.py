"""The throw-away world `assistdesk simulate` runs in.

Set before Django reads its settings: an in-memory SQLite database (created and
migrated by the command, gone when it exits), tasks recorded but never run, mail kept
in memory, and a private var/ directory, so a simulation can never touch the
provider's real data or send anything.
"""

from __future__ import annotations

import os
import tempfile


def isolate() -> None:
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ["TASK_BACKEND"] = "dummy"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["ASSISTDESK_VAR_DIR"] = tempfile.mkdtemp(prefix="assistdesk-simulate-")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
