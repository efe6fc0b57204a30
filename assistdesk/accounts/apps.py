"""Accounts: the staff roles exist after every migrate, and every login form is throttled."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "assistdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib import admin

        from assistdesk.accounts.forms import ThrottledAdminAuthenticationForm
        from assistdesk.accounts.roles import sync_role_groups_after_migrate

        # Only when the accounts app itself is migrated (or flushed): it comes after the
        # business apps in INSTALLED_APPS, and the handler creates any permission that
        # is still missing itself, so the order is a convenience, not a requirement.
        post_migrate.connect(
            sync_role_groups_after_migrate,
            sender=self,
            dispatch_uid="assistdesk.accounts.sync_role_groups",
        )
        # The admin's own login page is a second door: it gets the same throttle.
        admin.site.login_form = ThrottledAdminAuthenticationForm
