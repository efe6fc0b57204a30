"""Header values as real mail has them: any charset, folded, half-encoded, or broken.

The stdlib's strict policies raise or mangle on the mail small offices actually send
(raw UTF-8 in headers, RFC 2047 words with made-up charsets, 6 000-character
subjects), so headers are read raw (`compat32`) and decoded here, leniently. Every
function returns something usable and reports what it had to repair in `defects`.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parsedate_to_datetime
from typing import NamedTuple

# Longest Message-ID kept verbatim; the database indexes it (unique), and real ids are
# far shorter. Longer ones are replaced by a stable hash so that equal ids still match.
MAX_MESSAGE_ID_LENGTH = 250
# RFC 5322's hard line limit; a subject longer than that is a log dump, not a subject.
MAX_SUBJECT_LENGTH = 998
# A date this far after arrival is a broken clock, not a fact.
DATE_TOLERANCE = timedelta(days=1)
EARLIEST_PLAUSIBLE_DATE = datetime(1990, 1, 1, tzinfo=UTC)

# Charset names seen in the wild that Python does not know, or knows under a narrower
# meaning than the mailers that wrote them (browsers treat latin-1 as windows-1252).
CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
}

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_ENCODED_WORDS = re.compile(r"(\?=)\s+(=\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<([^<>\s]+)>")
_QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")


class Address(NamedTuple):
    name: str
    address: str


def codec_for(charset: str | None) -> codecs.CodecInfo | None:
    """The codec a declared charset really means, or None when it means nothing."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower().split("*", 1)[0]  # RFC 2231 language suffix
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name)
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None, defects: list[str], what: str) -> str:
    """Text from bytes in a declared charset, falling back to UTF-8, then windows-1252.

    A wrong declaration is common (cp1252 bytes labelled utf-8); windows-1252 decodes
    any byte, so the chain always ends with text, never an exception.
    """
    codec = codec_for(charset)
    if codec is not None:
        try:
            return codec.decode(data)[0]
        except (UnicodeDecodeError, ValueError):
            defects.append(f"{what}: not valid {charset}")
    elif charset and charset.lower() not in {"unknown-8bit", "x-unknown"}:
        defects.append(f"{what}: unknown charset {charset[:40]!r}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _recover(raw: str, defects: list[str], what: str) -> str:
    """A raw header string (8-bit bytes kept as surrogate escapes) as proper text."""
    if raw.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in raw):
        return raw
    defects.append(f"{what}: unencoded 8-bit characters")
    return decode_bytes(raw.encode("utf-8", "surrogateescape"), "utf-8", [], what)


def _decode_word(charset: str, encoding: str, payload: str, defects: list[str]) -> str:
    if encoding.upper() == "Q":
        raw = _QP_BYTE.sub(
            lambda m: bytes([int(m.group(1), 16)]),
            payload.replace("_", " ").encode("ascii", "surrogateescape"),
        )
    else:
        try:
            raw = base64.b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            defects.append("header: undecodable base64 word")
            return payload
    return decode_bytes(raw, charset, defects, "header")


def decode_header_value(raw: str | None, defects: list[str], what: str = "header") -> str:
    """Unfolded, RFC 2047-decoded text of a raw header value ('' when absent)."""
    if not raw:
        return ""
    text = _FOLD.sub("", _recover(str(raw), defects, what)).replace("\r", "").replace("\n", "")
    if "=?" not in text:
        return text.strip()
    # Whitespace between two adjacent encoded words is folding, not content (RFC 2047 §6.2).
    text = _BETWEEN_ENCODED_WORDS.sub(r"\1\2", text)
    return _ENCODED_WORD.sub(
        lambda m: _decode_word(m.group(1), m.group(2), m.group(3), defects), text
    ).strip()


def decode_subject(raw: str | None, defects: list[str]) -> str:
    subject = " ".join(decode_header_value(raw, defects, "subject").split())
    if len(subject) > MAX_SUBJECT_LENGTH:
        defects.append(f"subject: {len(subject)} characters, cut to {MAX_SUBJECT_LENGTH}")
        subject = subject[:MAX_SUBJECT_LENGTH]
    return subject


def parse_addresses(raw_values: list[str], defects: list[str], what: str) -> list[Address]:
    """Addresses of one or more header values; names decoded after splitting.

    Splitting first matters: a decoded name may hold a comma ("Rossi, Mario") that would
    split one address into two.
    """
    recovered = [_FOLD.sub("", _recover(str(v), defects, what)) for v in raw_values if v]
    result = []
    for name, address in getaddresses(recovered):
        address = address.strip().strip("<>").strip()
        if "@" not in address:
            continue
        result.append(Address(decode_header_value(name, defects, what), address.lower()))
    return result


def normalise_message_id(token: str) -> str:
    """`<id>`, with over-long ids replaced by a stable hash so equal ids still compare."""
    token = token.strip().strip("<>").strip()
    if len(token) + 2 > MAX_MESSAGE_ID_LENGTH:
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        token = f"{digest}@long-id.invalid"
    return f"<{token}>"


def parse_message_ids(raw: str | None) -> list[str]:
    """Every `<id>` in a header value (References, In-Reply-To), in order, without repeats."""
    if not raw:
        return []
    seen: dict[str, None] = {}
    for token in _MSGID.findall(_FOLD.sub("", str(raw))):
        seen.setdefault(normalise_message_id(token), None)
    return list(seen)


def parse_message_id(raw: str | None) -> str:
    """The Message-ID, tolerating missing angle brackets; '' when there is none."""
    ids = parse_message_ids(raw)
    if ids:
        return ids[0]
    token = str(raw or "").strip().split(" ")[0] if raw else ""
    return normalise_message_id(token) if "@" in token else ""


def synthesise_message_id(raw_message: bytes) -> str:
    """A Message-ID for a message without one, stable for the same bytes.

    Stability is what makes re-delivery of such a message a no-op: the same bytes get
    the same id and hit the same unique row. Line endings are normalised first, since
    IMAP hands out CRLF where a pipe or a file may have LF.
    """
    digest = hashlib.sha256(raw_message.replace(b"\r\n", b"\n")).hexdigest()[:40]
    return f"<{digest}@synthesised.assistdesk.invalid>"


def parse_date(
    raw: str | None, *, received_at: datetime, defects: list[str]
) -> tuple[datetime, bool]:
    """The Date header as aware UTC, or the arrival time when missing or implausible.

    Returns (date, is_fallback). A date with no zone or `-0000` is read as UTC.
    """
    if not raw:
        defects.append("date: missing")
        return received_at, True
    try:
        value = parsedate_to_datetime(_FOLD.sub("", str(raw)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("date: unreadable")
        return received_at, True
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        defects.append("date: out of range")
        return received_at, True
    if value < EARLIEST_PLAUSIBLE_DATE or value > received_at + DATE_TOLERANCE:
        defects.append("date: implausible")
        return received_at, True
    return value, False
