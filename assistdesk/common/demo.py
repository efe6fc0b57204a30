"""Demo data: the staff login every demo starts with.

`assistdesk demo` calls the `load(now=...)` of every installed app's `demo` module, in
INSTALLED_APPS order, on an empty database; each app adds its own part (catalog,
customers and contracts, tickets, ...).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model

DEMO_LOGIN_FILE = "demo-login.txt"


def load(*, now: datetime) -> None:
    user_model = get_user_model()
    password = secrets.token_urlsafe(9)
    user_model.objects.create_superuser(
        username="admin", email="admin@example.com", password=password
    )
    (settings.VAR_DIR / DEMO_LOGIN_FILE).write_text(f"admin {password}\n")


def staff_login() -> str | None:
    """The demo staff login, as the serve command prints it, or None without demo data."""
    path = settings.VAR_DIR / DEMO_LOGIN_FILE
    if not path.exists():
        return None
    username, password = path.read_text().split()
    return f"{username} / {password}"
