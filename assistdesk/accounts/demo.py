"""Demo staff: a dispatcher, two technicians and an accountant, with known passwords.

The passwords are fixed demo values, written in docs/console.md: the demo database is
for trying the product on one's own machine, never for a deployment. Staff the other
demos made without a role (the tickets demo's technicians) become technicians, so that
the console offers them as assignees.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from assistdesk.accounts.roles import ROLE_NAMES, Role
from assistdesk.accounts.services import staff_create, staff_set_roles

ACTOR = "demo"
# username, password, role, first name, last name
DEMO_STAFF = [
    ("dispatcher", "demo-dispatcher", Role.DISPATCHER, "Sara", "Conti"),
    ("technician1", "demo-technician1", Role.TECHNICIAN, "Marco", "Greco"),
    ("technician2", "demo-technician2", Role.TECHNICIAN, "Ana", "Popescu"),
    ("accountant", "demo-accountant", Role.ACCOUNTANT, "Julie", "Martin"),
]


def load(*, now: datetime) -> None:
    for username, password, role, first, last in DEMO_STAFF:
        if User.objects.filter(username=username).exists():
            continue
        staff_create(
            username=username,
            password=password,
            roles=[role],
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            actor=ACTOR,
            now=now,
        )
    roleless = User.objects.filter(is_staff=True, is_superuser=False, is_active=True).exclude(
        groups__name__in=ROLE_NAMES
    )
    for user in roleless:
        staff_set_roles(user=user, roles=[Role.TECHNICIAN], actor=ACTOR, now=now)
