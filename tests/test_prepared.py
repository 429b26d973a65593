"""leadops/prepared.py: statements prepared once per PostgreSQL connection give the same
results as the plain ones, never spoil the caller's transaction, and recover when the
session loses them. On SQLite every statement runs as it is."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from leadops import prepared

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")


def run(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def test_the_same_rows_as_the_plain_statement(lead_source):
    sql = "SELECT id, name FROM leads_leadsource WHERE id = %s AND name LIKE '%%'"
    with connection.cursor() as cursor:
        cursor.execute(sql, [lead_source.pk])
        plain = cursor.fetchall()
    with CaptureQueriesContext(connection) as queries:
        assert run(sql, [lead_source.pk]) == run(sql, [lead_source.pk]) == plain == [(lead_source.pk, lead_source.name)]
    sent = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "postgresql":  # the PREPARE goes past Django: one statement per run
        assert len(sent) == 2 and all(text.startswith(f"EXECUTE {prepared.statement_name(sql)}(") for text in sent)
    else:
        assert len(sent) == 2 and all(text.startswith("SELECT id, name") for text in sent)


@on_postgresql
def test_a_statement_postgresql_will_not_prepare_runs_as_it_is_and_the_transaction_goes_on(lead_source):
    untyped = "SELECT %s IS NULL"  # PostgreSQL cannot tell the parameter's type
    with transaction.atomic():
        assert run(untyped, [None]) == [(True,)]
        assert run("SELECT name FROM leads_leadsource WHERE id = %s", [lead_source.pk]) == [(lead_source.name,)]
    assert prepared.statement_name(untyped) in prepared._refused
    assert run(untyped, [1]) == [(False,)]


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # outside any transaction, as the worker runs some
def test_a_session_that_lost_its_statements_prepares_them_again(lead_source):
    sql = "SELECT name FROM leads_leadsource WHERE id = %s AND %s = %s"
    assert run(sql, [lead_source.pk, 1, 1]) == [(lead_source.name,)]
    connection.connection.execute("DEALLOCATE ALL")  # as a pooler's reset would
    with pytest.raises(ProgrammingError), transaction.atomic():  # inside a transaction: it is aborted
        run(sql, [lead_source.pk, 1, 1])
    assert run(sql, [lead_source.pk, 2, 2]) == [(lead_source.name,)]  # prepared anew
    connection.connection.execute("DEALLOCATE ALL")
    with connection.cursor() as cursor:  # outside one: prepared again and run at once
        prepared.execute(cursor, sql, [lead_source.pk, 3, 3])
        assert cursor.fetchall() == [(lead_source.name,)]


@on_postgresql
def test_a_compiled_querys_constants_are_literals_in_its_prepared_statement(lead_source):
    """A partial index's condition (status = 'scheduled') must be visible to the plan: the
    queryset's constants go into the PREPARE as literals, the lead ids stay parameters."""
    from leadops.compiled import CompiledQuery
    from leads.models import LeadSource

    query = CompiledQuery(lambda pk: LeadSource.objects.filter(pk=pk, name__startswith="Web").values_list("name"))
    LeadSource.objects.filter(pk=lead_source.pk).update(name="Website form")
    assert query.rows(lead_source.pk) == [("Website form",)]
    LeadSource.objects.filter(pk=lead_source.pk).update(name="Partner list")
    assert query.rows(lead_source.pk) == []
    [compiled] = query._compiled.values()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [compiled.name])
        [(statement,)] = cursor.fetchall()
    assert "'Web%'" in statement and "$1" in statement and "$2" not in statement
