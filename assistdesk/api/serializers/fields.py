"""Input fields with bounds the database and the calendars can always handle.

A date or instant far outside any business (year 1, year 9999) would overflow a time-zone
conversion or a calendar's year table inside a service: it is refused here, naming the
field, instead of failing as a server error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from rest_framework import serializers

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class InstantField(serializers.DateTimeField):
    """An aware instant between 1970 and 2200 (a naive one is read as UTC)."""

    default_error_messages = {"range": "between 1970-01-01 and 2200-01-01 (UTC)"}

    def to_internal_value(self, value: Any) -> datetime:
        try:
            instant = super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="ISO 8601")
        if instant.utcoffset() is None:
            instant = instant.replace(tzinfo=UTC)
        try:
            in_range = EARLIEST <= instant < LATEST
        except OverflowError:
            in_range = False
        if not in_range:
            self.fail("range")
        return instant


class DayField(serializers.DateField):
    """A calendar date between 1970 and 2199."""

    default_error_messages = {"range": "between 1970-01-01 and 2199-12-31"}

    def to_internal_value(self, value: Any) -> date:
        try:
            day = super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="YYYY-MM-DD")
        if not EARLIEST.date() <= day < LATEST.date():
            self.fail("range")
        return day
