"""Writes and reads of API tokens: create, revoke, authenticate, purge old idempotency keys.

Errors are `ValidationError`s keyed by the field (or command option) they concern.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from assistdesk.api import secrets
from assistdesk.api.models import CUSTOMER_SCOPES, ApiToken, IdempotencyRecord, Scope
from assistdesk.customers.models import Customer

# `last_used_at` is informative; writing it on every request would make every read a
# write. Once a minute is precise enough to tell a live integration from a dead one.
TOUCH_EVERY = timedelta(minutes=1)
ALL = "all"


def scopes_parse(text: str | Iterable[str], *, customer: Customer | None) -> list[str]:
    """Scopes from `tickets:read,tickets:write` (or `all`), checked and in a stable order."""
    items = [s.strip() for s in (text.split(",") if isinstance(text, str) else text)]
    items = [s for s in items if s]
    allowed = CUSTOMER_SCOPES if customer is not None else frozenset(Scope.values)
    if items == [ALL]:
        return sorted(allowed)
    unknown = [s for s in items if s not in Scope.values]
    if unknown or not items:
        known = ", ".join(Scope.values)
        raise ValidationError(
            {"scopes": f"scopes: one or more of {known} (or {ALL}), not {', '.join(unknown)}"}
        )
    refused = [s for s in items if s not in allowed]
    if refused:
        raise ValidationError(
            {"scopes": f"scopes: a customer-scoped token cannot have {', '.join(refused)}"}
        )
    return sorted(set(items))


def api_token_create(
    *,
    name: str,
    scopes: str | Iterable[str],
    user: User | None = None,
    customer: Customer | None = None,
    actor: str,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "name: say what the token is for"})
    if user is not None and not (user.is_active and user.is_staff):
        raise ValidationError({"user": f"user: {user} is not an active staff member"})
    parsed = scopes_parse(scopes, customer=customer)
    plaintext, prefix, secret_hash = secrets.new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name[:100],
            prefix=prefix,
            secret_hash=secret_hash,
            user=user,
            customer=customer,
            scopes=parsed,
            created_at=now,
            created_by=actor,
        )
    return token, plaintext


def api_token_revoke(*, token: ApiToken, actor: str, now: datetime) -> ApiToken:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = now
            locked.save(update_fields=["revoked_at"])
    return locked


def api_token_authenticate(*, presented: str, now: datetime) -> ApiToken | None:
    """The live token whose secret this is, or None (unknown, wrong, revoked, owner gone)."""
    parsed = secrets.parse(presented)
    if parsed is None:
        return None
    token = ApiToken.objects.select_related("user", "customer").filter(prefix=parsed.prefix).first()
    if token is None or not secrets.matches(parsed.secret, token.secret_hash):
        return None
    if token.revoked_at is not None:
        return None
    if token.user is not None and not (token.user.is_active and token.user.is_staff):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def idempotency_records_purge(*, older_than: timedelta, now: datetime) -> int:
    """Forget the answers to keys used longer ago than `older_than`; a key may then be
    used again as new."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - older_than).delete()
    return deleted
