"""The support PIN's lock: how wrong attempts turn into a lock. Pure Python.

Counted per customer, across calls and caller ids, since the last right PIN or the last
unlock by staff:
- the 5th wrong PIN locks the PIN for 15 minutes;
- the 10th locks it until staff unlock it (`support_pin_unlock`).
While locked, an attempt is refused without looking at the PIN, and does not count.
So a guesser gets at most 10 tries per customer between two unlocks: 1 in 100 000 of the
million six-digit PINs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SHORT_LOCK_AFTER = 5
SHORT_LOCK = timedelta(minutes=15)
LOCK_UNTIL_RESET_AFTER = 10
PIN_LENGTH = 6


@dataclass(frozen=True)
class LockState:
    failed_count: int
    locked_until: datetime | None
    is_locked_until_reset: bool

    def is_locked(self, now: datetime) -> bool:
        return self.is_locked_until_reset or (
            self.locked_until is not None and now < self.locked_until
        )


def after_wrong_pin(state: LockState, now: datetime) -> LockState:
    count = state.failed_count + 1
    if count >= LOCK_UNTIL_RESET_AFTER:
        return LockState(count, None, True)
    if count == SHORT_LOCK_AFTER:
        return LockState(count, now + SHORT_LOCK, False)
    return LockState(count, state.locked_until, False)


def is_well_formed(pin: str) -> bool:
    return len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()
