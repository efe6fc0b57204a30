"""Shared secrets of webhook senders and IVR lines: make one, keep its digest, check one.

Standard library only. The secret is 256 random bits, so a fast hash is right: there is no
dictionary to guess from, and a slow password hasher would cost every delivery
milliseconds. Comparison is constant-time on the digests.

A sender presents its secret as `Authorization: Bearer <secret>`, as the password of HTTP
Basic auth (Twilio puts credentials in the webhook URL), or as `?token=<secret>` for
senders that cannot set a header. The query form ends up in access logs: prefer a header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_BYTES = 32
MAX_PRESENTED = 200
# Compared against when no row was found, so a miss costs what a wrong secret costs.
DUMMY_DIGEST = hashlib.sha256(b"no such sender").hexdigest()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(presented: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(presented), stored_digest or DUMMY_DIGEST)


def new_secret() -> tuple[str, str]:
    """A fresh secret: (plaintext to show once, digest to store)."""
    plaintext = secrets.token_urlsafe(SECRET_BYTES)
    return plaintext, digest(plaintext)


def presented_secret(authorization: str, query_token: str | None) -> str | None:
    """The secret a request presents, or None when it presents none we can read."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    candidate: str | None = None
    if scheme.lower() == "bearer" and value:
        candidate = value
    elif scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        candidate = decoded.partition(":")[2] or None
    elif query_token:
        candidate = query_token.strip()
    if not candidate or len(candidate) > MAX_PRESENTED or not candidate.isascii():
        return None
    return candidate
