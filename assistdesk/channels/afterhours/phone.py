"""Telephone numbers as callers present them and as contacts were typed in. Pure Python.

A caller id arrives as E.164 (`+390678070 70`), a contact's number was typed by a
person (`06 780 7070`, `0039 06...`). Two numbers are the same when their last nine
digits are (the national number without country code or trunk prefix, for the countries
we serve: IT, FR, RO), or when both are shorter and equal digit for digit. Different
countries' numbers may share nine digits; a caller matching contacts of two customers
is asked for the customer code instead of being guessed.
"""

from __future__ import annotations

SIGNIFICANT_DIGITS = 9
# Caller ids that mean "withheld" (Twilio spells them as numbers: ANONYMOUS on a keypad).
WITHHELD = frozenset(
    {"", "anonymous", "restricted", "unknown", "unavailable", "private", "blocked",
     "+266696687", "+7378742833", "+2562533", "+8656696"}
)  # fmt: skip
MAX_LENGTH = 40


def normalise(number: str) -> str:
    """`+` and digits only (`00` read as `+`); "" for a withheld or unusable caller id."""
    text = (number or "").strip()[:MAX_LENGTH]
    if text.lower() in WITHHELD:
        return ""
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if text.startswith("+"):
        result = "+" + digits
    elif digits.startswith("00"):
        result = "+" + digits[2:]
    else:
        result = digits
    return "" if result in WITHHELD or len(digits) < 3 else result


def match_key(number: str) -> str:
    """What two numbers must share to be the same number (see the module's docstring)."""
    digits = "".join(ch for ch in normalise(number) if ch.isdigit())
    return digits[-SIGNIFICANT_DIGITS:] if len(digits) >= SIGNIFICANT_DIGITS else digits


def same_number(a: str, b: str) -> bool:
    key = match_key(a)
    return bool(key) and key == match_key(b)
