"""Failed logins, read-only: who was tried, from where (to see an attack, or unlock)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from assistdesk.accounts.models import LoginFailure


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin[LoginFailure]):
    list_display = ["at", "username", "ip"]
    list_filter = ["at"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginFailure | None = None) -> bool:
        return False
