"""Deferred rows: kept until a batch's end, never missed by a read, never outliving a
rollback, never colliding with a row inserted at once."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assistdesk.common import deferredrows
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _inserts(queries: CaptureQueriesContext, table: str) -> int:
    """Statements that insert into the table: INSERT, or COPY (PostgreSQL)."""
    starts = (f'INSERT INTO "{table}"', f'COPY "{table}"')
    return sum(q["sql"].startswith(starts) for q in queries.captured_queries)


def test_outside_a_block_rows_go_in_at_once():
    customer = deferredrows.insert([CustomerFactory.build()])[0]
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_rows_wait_for_the_end_of_the_block_and_go_in_one_statement_per_table():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with deferredrows.rows_deferred():
            contacts = [ContactFactory.build() for _ in range(3)]
            customers = deferredrows.insert([contact.customer for contact in contacts])
            deferredrows.insert(contacts)
            # Named at once, stored at the end.
            assert all(c.pk for c in customers) and all(c.pk for c in contacts)
            assert _inserts(queries, "customers_customer") == 0
        assert _inserts(queries, "customers_customer") == 1
        assert _inserts(queries, "customers_contact") == 1
    assert {c.customer_id for c in Contact.objects.filter(pk__in=[c.pk for c in contacts])} == {
        c.pk for c in customers
    }


def test_a_statement_that_names_a_kept_table_finds_its_rows():
    with transaction.atomic(), deferredrows.rows_deferred():
        customer = deferredrows.insert([CustomerFactory.build()])[0]
        assert Customer.objects.filter(pk=customer.pk).exists()
        # Rows kept after that flush wait again.
        later = deferredrows.insert([CustomerFactory.build(name="Later")])[0]
        assert Customer.objects.filter(pk=later.pk).update(name="Renamed") == 1
    assert Customer.objects.get(pk=later.pk).name == "Renamed"


def test_rows_kept_before_a_savepoint_survive_its_rollback_and_those_made_in_it_do_not():
    with transaction.atomic(), deferredrows.rows_deferred():
        kept = deferredrows.insert([CustomerFactory.build()])[0]
        with pytest.raises(RuntimeError), transaction.atomic():
            undone = deferredrows.insert([CustomerFactory.build()])[0]
            assert Customer.objects.filter(pk=undone.pk).exists()  # inserted at once
            raise RuntimeError("rolled back with its savepoint")
        after = deferredrows.insert([CustomerFactory.build()])[0]
    assert set(Customer.objects.values_list("pk", flat=True)) == {kept.pk, after.pk}


def test_a_block_that_fails_leaves_nothing():
    with pytest.raises(RuntimeError), transaction.atomic(), deferredrows.rows_deferred():
        deferredrows.insert([CustomerFactory.build()])
        raise RuntimeError("the batch failed")
    assert not Customer.objects.exists()


def test_a_row_inserted_at_once_never_takes_a_reserved_id():
    CustomerFactory()  # ids are reserved after the highest (and from an empty table)
    with transaction.atomic(), deferredrows.rows_deferred():
        kept = deferredrows.insert([CustomerFactory.build() for _ in range(2)])
        with transaction.atomic():  # a savepoint: what is made in it goes in at once
            direct = CustomerFactory()
        more = deferredrows.insert([CustomerFactory.build()])
    ids = [c.pk for c in (*kept, direct, *more)]
    assert len(set(ids)) == 4
    assert set(Customer.objects.values_list("pk", flat=True)) >= set(ids)
    # And an insert after the block numbers its row after every reserved id.
    assert CustomerFactory().pk > max(ids)


def test_reserving_ids_in_an_empty_table_starts_after_nothing():
    with transaction.atomic(), deferredrows.rows_deferred():
        first = deferredrows.insert([CustomerFactory.build()])[0]
    assert first.pk >= 1
    assert CustomerFactory().pk > first.pk


def _reservations(queries: CaptureQueriesContext) -> int:
    return sum(
        "nextval(" in q["sql"] or q["sql"].startswith("UPDATE sqlite_sequence")
        for q in queries.captured_queries
    )


def test_ids_reserved_in_one_batch_serve_the_next_on_postgresql_only():
    deferredrows._lasting_ids.clear()  # nothing left over from earlier tests
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):  # two batches, a transaction each
            with transaction.atomic(), deferredrows.rows_deferred():
                deferredrows.insert([CustomerFactory.build() for _ in range(3)])
    assert Customer.objects.count() == 6
    # PostgreSQL never gives a sequence's value twice, even after a rollback: what the
    # first batch reserved and did not use is still its connection's. SQLite's
    # reservation is part of the transaction, and ends with it.
    assert _reservations(queries) == (1 if connection.vendor == "postgresql" else 2)
