"""Writes on staff accounts: create a staff member with roles, change their roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import Group, User
from django.db import transaction

from assistdesk.accounts.roles import Role, sync_role_groups


def _groups(roles: Iterable[Role | str]) -> list[Group]:
    names = {Role(role).value for role in roles}
    groups = list(Group.objects.filter(name__in=names))
    if len(groups) != len(names):
        # A database created before the accounts app, or flushed without signals.
        sync_role_groups()
        groups = list(Group.objects.filter(name__in=names))
    return groups


def staff_create(
    *,
    username: str,
    roles: Iterable[Role | str],
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    actor: str,
    now: datetime,
) -> User:
    """A staff member (may use the console) with these roles; no password: unusable
    until they reset it by e-mail."""
    with transaction.atomic():
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_staff=True,
            date_joined=now,
        )
        user.set_password(password)  # None: an unusable password
        user.save()
        user.groups.set(_groups(roles))
    return user


def staff_set_roles(*, user: User, roles: Iterable[Role | str], actor: str, now: datetime) -> User:
    """Replace the user's roles (other groups they belong to are kept)."""
    with transaction.atomic():
        keep = [g for g in user.groups.all() if g.name not in {r.value for r in Role}]
        user.groups.set([*keep, *_groups(roles)])
    return user
