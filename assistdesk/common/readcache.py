"""Reads that stay true for one batch of work, made once while a `batch_reads()` block runs.

The mail intake handles a batch of messages in one transaction, and most of them read the
same rows: the sender's contacts, the customer's contracts in force, the plan's SLA
targets. Inside the block each such read (`memoised(key, read)`) runs once; outside any
block every call reads afresh, so nothing else in the product sees a cached row.

A cached row must never outlive a change to it within the batch: saving or deleting a
model registered with `forget_on_change` (each app registers the models its memoised
reads depend on) forgets everything memoised. Queryset `update()`/`delete()` send no
signal: a memoised read must not depend on a model changed that way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("batch_reads", default=None)


@contextmanager
def batch_reads() -> Iterator[None]:
    """Within the block, each memoised read runs once (see the module docstring)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def active() -> bool:
    """Whether a `batch_reads()` block is open."""
    return _memo.get() is not None


def memoised(key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, once per `key` inside a `batch_reads()` block; every time outside one."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]  # type: ignore[no-any-return]


def remember(key: Hashable, value: T) -> T:
    """Store what a batch-wide read found (e.g. one query for all of a batch's senders);
    outside a block nothing is kept."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value
    return value


def take(key: Hashable) -> Any:
    """What is remembered under `key`, forgotten as it is handed out (a read good for one
    use); None when nothing is, or outside a block."""
    memo = _memo.get()
    if memo is None:
        return None
    return memo.pop(key, None)


def forget(**kwargs: Any) -> None:
    """Forget everything memoised in the current block (a signal receiver)."""
    memo = _memo.get()
    if memo:
        memo.clear()


def forget_on_change(*model_classes: type[models.Model]) -> None:
    """Forget the block's reads whenever a row of these models is saved or deleted."""
    for model in model_classes:
        uid = f"readcache-forget-{model._meta.label}"
        post_save.connect(forget, sender=model, dispatch_uid=f"{uid}-save", weak=False)
        post_delete.connect(forget, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
