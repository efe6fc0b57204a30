"""`Idempotency-Key` on POST: the first answer is kept and given again; nothing runs twice.

How (the view wraps a POST carrying the header in one transaction):
1. After authentication and the scope check, insert the `IdempotencyRecord` (token, key,
   hash of method + path + body) as the transaction's first write. The unique (token, key)
   index is the lock.
2. If the insert succeeds, the view does its work; the response (status, body, content
   type) is written into the record in the same transaction. Commit: the effect and its
   answer become visible together, or neither does. A server error (5xx) rolls both back,
   so the key can be retried.
3. If the insert hits the unique index, the key was used before: the transaction is
   rolled back (nothing was done in it), the record read: same hash, its answer is
   replayed (with `Idempotent-Replayed: true`); another hash, 422 naming the header.

Two identical requests at once: on PostgreSQL the second insert waits on the first's
uncommitted index entry, then fails when it commits, reads the committed record and
replays it (or, if the first rolled back, goes ahead itself). On SQLite every write
transaction takes the database lock at BEGIN (IMMEDIATE), so the second starts only
after the first committed. Either way the second waits and gets the first answer; it is
never a 409 and never a second effect. The 409 "still being answered" below cannot be
reached through these two databases; it is there for one that would show uncommitted
rows.

Client errors (4xx) are stored and replayed like successes: the first answer is the
answer. Records are kept until `assistdesk apitoken purge` removes old ones (24 h by
default); after that a key counts as new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.http import HttpResponse
from rest_framework.request import Request

from assistdesk.api.errors import ApiError
from assistdesk.api.models import ApiToken, IdempotencyRecord
from assistdesk.common import clock

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
KEY_MAX = 255
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass
class Pending:
    record: IdempotencyRecord


def replay(record: IdempotencyRecord) -> HttpResponse:
    """The stored answer, given again."""
    answer = HttpResponse(
        record.response_body,
        status=record.response_status,
        content_type=record.response_content_type,
    )
    answer[REPLAYED_HEADER] = "true"
    return answer


def _key(request: Request) -> str:
    key = str(request.META.get(META_KEY, ""))
    if not key or len(key) > KEY_MAX or not all(" " <= c <= "~" for c in key):
        raise ApiError(
            status_code=400,
            field=HEADER,
            message=f"1 to {KEY_MAX} printable ASCII characters",
            code="invalid",
        )
    return key


def request_hash(request: Request) -> str:
    """Method, path with query and body; a JSON body is compared by meaning (key order and
    spacing do not make two requests different)."""
    raw = request._request.body  # read now; DRF parses it later from the cached copy
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (str(request.method).encode(), request.get_full_path().encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


class KeyTaken(Exception):
    """The key's record exists: the request's transaction must be rolled back before the
    record can be read (on PostgreSQL the failed insert aborted it)."""


def begin(request: Request, token: ApiToken) -> Pending:
    """Claim the key for this request (inside the request's transaction), or raise
    `KeyTaken`. No savepoint: the insert is the transaction's first write, so when it
    fails there is nothing to keep and the caller rolls everything back."""
    key = _key(request)
    record = IdempotencyRecord(
        token=token,
        key=key,
        request_hash=request_hash(request),
        method=str(request.method),
        path=request.path[:500],
        response_status=None,
        created_at=clock.now(),
    )
    try:
        record.save(force_insert=True)
    except IntegrityError:
        raise KeyTaken(key) from None
    return Pending(record=record)


def answer_for_taken_key(request: Request, token: ApiToken) -> HttpResponse:
    """After `KeyTaken` and the rollback: the stored answer, or why there is none."""
    key = _key(request)
    record = IdempotencyRecord.objects.get(token=token, key=key)
    if record.request_hash != request_hash(request):
        return _error(
            422,
            "idempotency_key_reused",
            f"this key was used with another request ({record.method} {record.path} or "
            "another body); use a new key for a new request",
        )
    if record.response_status is None:
        return _error(409, "idempotency_key_in_use", "a request with this key is being answered")
    return replay(record)


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = {"errors": [{"field": HEADER, "message": message, "code": code}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def finish(pending: Pending, response: Any) -> None:
    """Store the answer with the record (server errors never get here: they roll back)."""
    if response.status_code >= 500:
        pending.record.delete()  # a handled server error: the key may be retried
        return
    if hasattr(response, "render"):
        response.render()
    record = pending.record
    record.response_status = response.status_code
    record.response_body = response.content.decode()
    record.response_content_type = response.get("Content-Type", "application/json")
    record.save(update_fields=["response_status", "response_body", "response_content_type"])
