"""Staff roles: dispatcher, technician, accountant, admin, as Django groups.

A role is a group of the same name holding exactly the permissions of `ROLE_PERMISSIONS`.
Code never asks "is this a dispatcher?": it asks for a permission (`user.has_perm`), so a
provider can give one person a single permission without a whole role. `staff_roles`
is for showing who someone is, not for deciding what they may do.

The groups are (re)written after every migrate, idempotently: a permission added to a
role here reaches every installation on its next migrate, and one removed here is
removed from the group (the role is the code's, not a database edit's).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import DEFAULT_DB_ALIAS, router

from assistdesk.tickets.services.intake import DISPATCH_PERMISSION


class Role(StrEnum):
    DISPATCHER = "dispatcher"  # triages the queue and assigns tickets; handles the quarantine
    TECHNICIAN = "technician"  # works on tickets: replies, interventions, resolution
    ACCOUNTANT = "accountant"  # reads the work, handles invoices, credits and statements
    ADMIN = "admin"  # everything, including users and the catalog


# Read access every staff role needs to see a ticket and its customer.
_READ_DESK = (
    "tickets.view_ticket",
    "tickets.view_message",
    "tickets.view_attachment",
    "tickets.view_ticketevent",
    "tickets.view_tickettarget",
    "tickets.view_intervention",
    "tickets.view_part",
    "tickets.view_ticketrating",
    "tickets.view_charge",
    "customers.view_customer",
    "customers.view_contact",
    "customers.view_site",
    "contracts.view_contract",
    "contracts.view_allowancebucket",
    "contracts.view_allowanceentry",
    "contracts.view_packagepurchase",
)
# Working on tickets: the thread, classification, states and interventions.
_WORK_TICKETS = (
    "tickets.change_ticket",
    "tickets.add_message",
    "tickets.add_attachment",
    "tickets.add_intervention",
    "tickets.add_part",
    "tickets.change_part",
)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.TECHNICIAN: (*_READ_DESK, *_WORK_TICKETS),
    Role.DISPATCHER: (
        *_READ_DESK,
        *_WORK_TICKETS,
        DISPATCH_PERMISSION,
        "tickets.add_ticket",
        "channels.view_inboundmessage",
        "channels.change_inboundmessage",
        "channels.view_quarantinedmessage",
        "channels.change_quarantinedmessage",
    ),
    Role.ACCOUNTANT: (
        *_READ_DESK,
        "billing.view_invoice",
        "billing.view_invoiceline",
        "billing.view_invoicedocument",
        "billing.view_statement",
        "billing.view_credit",
        "billing.add_credit",
        "billing.change_credit",
        "billing.view_exchangerate",
        "billing.view_billingperiod",
        "billing.view_billingrun",
        "contracts.add_packagepurchase",
    ),
    # Admin: every permission there is (resolved when the groups are written).
    Role.ADMIN: (),
}

ROLE_NAMES = frozenset(role.value for role in Role)


def _split(code: str) -> tuple[str, str]:
    app_label, codename = code.split(".", 1)
    return app_label, codename


def _permissions(codes: tuple[str, ...], using: str) -> list[Permission]:
    """The permission rows of 'app_label.codename' strings; a missing one is an error
    (a typo here would silently give a role less than it should)."""
    wanted = {_split(code) for code in codes}
    rows = list(
        Permission.objects.using(using)
        .filter(content_type__app_label__in={app for app, _ in wanted})
        .select_related("content_type")
    )
    found = {(p.content_type.app_label, p.codename): p for p in rows}
    missing = sorted(".".join(key) for key in wanted - found.keys())
    if missing:
        raise LookupError(f"role permissions that do not exist: {', '.join(missing)}")
    return [found[key] for key in sorted(wanted)]


def _ensure_permissions_exist(using: str) -> None:
    """Create the permission rows of every app now, whatever order the apps are migrated
    in (Django creates them per app, each after its own post_migrate): the named roles
    need the business apps', the admin role needs them all."""
    for config in apps.get_app_configs():
        if config.models_module is not None:
            create_permissions(config, verbosity=0, using=using)


def sync_role_groups(*, using: str = DEFAULT_DB_ALIAS) -> dict[Role, Group]:
    """Create or update the four role groups with exactly their permissions."""
    _ensure_permissions_exist(using)
    groups = {}
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        if role is Role.ADMIN:
            permissions = list(Permission.objects.using(using).all())
        else:
            permissions = _permissions(ROLE_PERMISSIONS[role], using)
        group.permissions.set(permissions)
        groups[role] = group
    return groups


def sync_role_groups_after_migrate(
    sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    if not router.allow_migrate_model(using, Group):
        return
    sync_role_groups(using=using)


def staff_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles of a staff member (a superuser counts as admin); none for anyone else.

    One query, remembered on the user object for the rest of the request.
    """
    if not (user.is_authenticated and user.is_active and getattr(user, "is_staff", False)):
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_assistdesk_roles", None)
    if cached is None:
        names = set(Group.objects.filter(user__pk=user.pk).values_list("name", flat=True))
        cached = frozenset(Role(name) for name in names & ROLE_NAMES)
        if getattr(user, "is_superuser", False):
            cached |= {Role.ADMIN}
        setattr(user, "_assistdesk_roles", cached)  # noqa: B010 (not a model field)
    return cached
