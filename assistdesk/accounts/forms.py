"""Login forms with the throttle (`throttle.py`) in front of the password check."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import ngettext

from assistdesk.accounts import throttle
from assistdesk.common import clock


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address. Behind a proxy this is the proxy's: the proxy should then
    throttle too (X-Forwarded-For is not trusted, anyone can write it)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class ThrottleMixin:
    """Refuse a locked login before authenticating; count failures; clear on success."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        now = clock.now()
        locked_until = throttle.login_locked_until(username=username, ip=ip, now=now)
        if locked_until is not None:
            minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many failed logins. Try again in %(minutes)d minute.",
                    "Too many failed logins. Try again in %(minutes)d minutes.",
                    minutes,
                ),
                code="throttled",
                params={"minutes": minutes},
            )
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            if username:
                throttle.login_failure_record(username=username, ip=ip, now=now)
            raise
        throttle.login_failures_clear(username=username, ip=ip)
        return cleaned


class ThrottledAuthenticationForm(ThrottleMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottleMixin, AdminAuthenticationForm):
    pass
