"""Bearer secrets: make one, keep only its digest, check a presented one.

Pure standard library and free of the API's models, so any endpoint that authenticates
a caller by a shared secret (a monitoring webhook's per-source secret, say) can use the
same three functions.

A token reads `ad_<prefix>_<secret>`: the prefix is public and finds the stored row in
one indexed lookup; only the secret's SHA-256 is stored. A fast hash is right here (and a
slow one like a password hasher would cost every request milliseconds): the secret is
256 random bits, so there is no dictionary to guess from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_LABEL = "ad"  # noqa: S105 - a public label, not a secret
PREFIX_BYTES = 6  # 8 characters in URL-safe base64
SECRET_BYTES = 32


@dataclass(frozen=True)
class Presented:
    prefix: str
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """Whether `secret` is the one whose digest was stored (constant-time compare)."""
    return hmac.compare_digest(digest(secret), stored_digest)


def new_token() -> tuple[str, str, str]:
    """A fresh token: (plaintext to show once, prefix, digest to store)."""
    # The prefix may not contain "_", the separator.
    prefix = secrets.token_urlsafe(PREFIX_BYTES).replace("_", "x").replace("-", "y")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return f"{TOKEN_LABEL}_{prefix}_{secret}", prefix, digest(secret)


def parse(token: str) -> Presented | None:
    """The prefix and secret of a presented token; None when it is not of our shape."""
    label, sep, rest = token.partition("_")
    prefix, sep2, secret = rest.partition("_")
    if label != TOKEN_LABEL or not sep or not sep2 or not prefix or not secret:
        return None
    if len(prefix) > 16 or len(secret) > 100 or not token.isascii():
        return None
    return Presented(prefix=prefix, secret=secret)
