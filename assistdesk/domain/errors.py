"""Errors raised by the pure domain.

`DomainError` is a `ValueError`: every domain error is about a value the caller passed
(a plan, a calendar, a ticket's facts), never about the environment. `SpecError` names the
offending key of plain input data with a dotted path (`week.mon[0]`, `holidays.country`), so
that `assistdesk simulate` can print "one line on standard error naming the offending key".
"""

from __future__ import annotations


class DomainError(ValueError):
    """A value breaks a domain rule."""


class SpecError(DomainError):
    """Plain input data (a scenario's or an admin form's) is invalid at `key`."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message

    def under(self, prefix: str) -> SpecError:
        """The same error, its key placed under `prefix` (e.g. `calendars.office`)."""
        if not self.key:
            key = prefix
        elif self.key.startswith("["):
            key = f"{prefix}{self.key}"
        else:
            key = f"{prefix}.{self.key}"
        return SpecError(key, self.message)
