"""Staff roles as groups: created by migrate, exact permissions, idempotent, shown."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User

from assistdesk.accounts import demo
from assistdesk.accounts.roles import ROLE_PERMISSIONS, Role, staff_roles, sync_role_groups
from assistdesk.accounts.services import staff_create, staff_set_roles
from assistdesk.common import clock
from assistdesk.tickets.services.intake import DISPATCH_PERMISSION

pytestmark = pytest.mark.django_db


def codes(group: Group) -> set[str]:
    return {
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_migrate_created_the_four_roles_with_their_permissions() -> None:
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    assert set(groups) == {"dispatcher", "technician", "accountant", "admin"}
    for role in (Role.DISPATCHER, Role.TECHNICIAN, Role.ACCOUNTANT):
        assert codes(groups[role]) == set(ROLE_PERMISSIONS[role])
    assert groups["admin"].permissions.count() == Permission.objects.count()
    assert DISPATCH_PERMISSION in codes(groups["dispatcher"])
    assert DISPATCH_PERMISSION not in codes(groups["technician"])
    assert "billing.view_invoice" in codes(groups["accountant"])
    assert "tickets.change_ticket" not in codes(groups["accountant"])


def test_sync_is_idempotent_and_repairs_edits() -> None:
    dispatcher = Group.objects.get(name="dispatcher")
    dispatcher.permissions.clear()
    dispatcher.permissions.add(Permission.objects.get(codename="delete_ticket"))
    sync_role_groups()
    sync_role_groups()
    assert codes(Group.objects.get(name="dispatcher")) == set(ROLE_PERMISSIONS[Role.DISPATCHER])
    assert Group.objects.filter(name="dispatcher").count() == 1


def test_staff_roles_and_permissions_follow_the_groups() -> None:
    now = clock.now()
    user = staff_create(username="sara", roles=[Role.DISPATCHER], actor="t", now=now)
    assert not user.has_usable_password()
    fresh = User.objects.get(pk=user.pk)
    assert staff_roles(fresh) == {Role.DISPATCHER}
    assert fresh.has_perm(DISPATCH_PERMISSION)
    staff_set_roles(user=fresh, roles=[Role.TECHNICIAN], actor="t", now=now)
    fresh = User.objects.get(pk=user.pk)
    assert staff_roles(fresh) == {Role.TECHNICIAN} and not fresh.has_perm(DISPATCH_PERMISSION)
    fresh.is_staff = False
    assert staff_roles(fresh) == frozenset()  # contacts and former staff have no role
    boss = User.objects.create_superuser("root", "root@example.com", "x")
    assert Role.ADMIN in staff_roles(boss)


def test_demo_staff_sign_in_with_the_documented_passwords() -> None:
    roleless = User.objects.create(username="luca", is_staff=True)
    demo.load(now=clock.now())
    demo.load(now=clock.now())  # twice: nothing more
    for username, password, role, _first, _last in demo.DEMO_STAFF:
        user = User.objects.get(username=username)
        assert user.check_password(password) and staff_roles(user) == {role}
    assert staff_roles(User.objects.get(pk=roleless.pk)) == {Role.TECHNICIAN}
    assert User.objects.count() == 5
