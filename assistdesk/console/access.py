"""Who may open a console page, in which time zone it is shown, and what it may load.

Every console view is wrapped by `console_view`: a signed-in, active staff member with
the view's permission (a role gives it, `accounts.roles`), else the login page (not
signed in) or 403 (signed in, not allowed). Dates are shown in the browser's time zone
(console.js writes it to the `tz` cookie); UTC until the browser has said.

A Content-Security-Policy forbids inline scripts and foreign sources: the thread shows
mail written by strangers, and even after sanitising (nh3) the browser is told to run
nothing but our own files.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, cast
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone

P = ParamSpec("P")
ZONE_COOKIE = "tz"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
VIEW_PERMISSION = "tickets.view_ticket"


class StaffRequest(HttpRequest):
    """A request of a signed-in staff member (what `console_view` guarantees)."""

    user: User


def browser_zone(request: HttpRequest) -> ZoneInfo:
    name = unquote(request.COOKIES.get(ZONE_COOKIE, ""))
    if name and len(name) < 64:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def is_console_user(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    )


def console_view(
    permission: str = VIEW_PERMISSION, *, methods: tuple[str, ...] = ("GET", "HEAD")
) -> Callable[
    [Callable[Concatenate[StaffRequest, P], HttpResponse]],
    Callable[Concatenate[HttpRequest, P], HttpResponse],
]:
    def decorator(
        view: Callable[Concatenate[StaffRequest, P], HttpResponse],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (is_console_user(user) and user.has_perm(permission)):
                raise PermissionDenied
            with timezone.override(browser_zone(request)):
                response = view(cast(StaffRequest, request), *args, **kwargs)
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("Referrer-Policy", "same-origin")
            return response

        functools.update_wrapper(wrapper, view)
        return wrapper

    return decorator


def actor_of(request: StaffRequest) -> str:
    """How services record who did it."""
    return f"user:{request.user.pk}"
