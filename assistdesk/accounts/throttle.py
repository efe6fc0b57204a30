"""Login throttling: after too many failures, a username (from one address) is locked.

Rules (constants here: they are security knobs of the product, not contract terms):
- `MAX_FAILURES` failed logins for one username from one IP address within
  `LOCK_MINUTES` lock that pair until `LOCK_MINUTES` after the last of them;
- `MAX_FAILURES_PER_IP` failures from one address, whatever the usernames, lock the
  address the same way (password spraying across accounts);
- a locked login is refused before the password is checked, even a right one, and the
  refusal is not counted (so waiting is enough to get in again);
- a successful login clears the pair's failures.
Keying on the pair means an attacker elsewhere cannot lock a real user out of their
own office; keying on the address alone as well caps what one address may try.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from assistdesk.accounts.models import LoginFailure

MAX_FAILURES = 5
MAX_FAILURES_PER_IP = 30
LOCK_MINUTES = 15
# Rows older than this are of no use to any count: dropped as new failures come in.
KEEP = timedelta(days=1)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:150]


def login_locked_until(*, username: str, ip: str | None, now: datetime) -> datetime | None:
    """When the lock on this login ends, or None when it may be tried now."""
    since = now - timedelta(minutes=LOCK_MINUTES)
    pair = LoginFailure.objects.filter(username=normalise_username(username), ip=ip, at__gt=since)
    ends = _lock_end(pair, MAX_FAILURES)
    if ip is not None:
        per_ip = _lock_end(LoginFailure.objects.filter(ip=ip, at__gt=since), MAX_FAILURES_PER_IP)
        ends = max(filter(None, (ends, per_ip)), default=None)
    return ends if ends is not None and ends > now else None


def _lock_end(failures: QuerySet[LoginFailure], limit: int) -> datetime | None:
    # The limit-th most recent failure inside the window decides: with fewer, no lock.
    recent = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(recent) < limit:
        return None
    last: datetime = recent[0]
    return last + timedelta(minutes=LOCK_MINUTES)


def login_failure_record(*, username: str, ip: str | None, now: datetime) -> LoginFailure:
    with transaction.atomic():
        LoginFailure.objects.filter(at__lt=now - KEEP).delete()
        return LoginFailure.objects.create(username=normalise_username(username), ip=ip, at=now)


def login_failures_clear(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.filter(username=normalise_username(username), ip=ip).delete()
