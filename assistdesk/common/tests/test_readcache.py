"""Batch reads: made once inside a block, never outliving a change to what they read."""

from __future__ import annotations

import pytest

from assistdesk.common import readcache
from assistdesk.contracts.selectors import contracts_in_force
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory


def test_outside_a_block_every_call_reads_afresh():
    calls = []
    for _ in range(2):
        readcache.memoised("k", lambda: calls.append(1))
    readcache.remember("k", "kept nowhere")
    assert len(calls) == 2


def test_inside_a_block_a_read_runs_once_and_ends_with_the_block():
    calls = []
    with readcache.batch_reads():
        assert readcache.memoised("k", lambda: calls.append(1) or "v") == "v"
        assert readcache.memoised("k", lambda: calls.append(1) or "w") == "v"
        readcache.remember("j", 3)
        assert readcache.memoised("j", lambda: 4) == 3
    assert len(calls) == 1
    assert readcache.memoised("k", lambda: "fresh") == "fresh"


@pytest.mark.django_db
def test_saving_a_registered_model_forgets_the_blocks_reads(django_assert_num_queries):
    from django.utils import timezone

    customer = CustomerFactory()
    now = timezone.now()
    with readcache.batch_reads():
        assert contracts_in_force(customer=customer, at=now) == []
        with django_assert_num_queries(0):
            contracts_in_force(customer=customer, at=now)
        ContactFactory(customer=customer)  # any contact, customer or contract saved
        with django_assert_num_queries(1):
            contracts_in_force(customer=customer, at=now)
