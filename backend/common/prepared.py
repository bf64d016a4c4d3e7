"""Server-side prepared statements for the few hot statements whose planning and ORM compile cost more than their
execution (issue 11: routing's KNN and facts; they run on every escalation).

Django's psycopg backend binds parameters on the client (`ClientCursor`: the values are written into the SQL text,
so PostgreSQL parses and plans every query afresh) and opens connections with `prepare_threshold=None` (psycopg
then prepares nothing), to keep transaction-mode poolers working. `fetch_prepared` runs one statement through
psycopg's server-binding cursor with `prepare=True`: the first run on a connection PREPAREs it (psycopg names it,
keyed by the SQL text and the parameter types, and keeps at most `prepared_max` = 100 per connection, least
recently used dropped), later runs only bind and execute the cached plan. For the plan to be the *generic* one
PostgreSQL settles on after five runs, the SQL text carries what changes the plan's shape (the day, the
certificate kind, LIMIT and OFFSET) and binds only what does not (the origin): one statement per variant.

Settings: settings.py sets `OPTIONS["prepare_threshold"]` (DB_PREPARED_STATEMENTS, on by default) so that psycopg
may prepare when asked; Django's own queries still bind on the client and are never prepared, whatever the
threshold. Off, `fetch_prepared` runs the same SQL unprepared (same answers, planned each time): for a
transaction-mode PgBouncer older than 1.21 (newer ones keep protocol-level prepared statements with
`max_prepared_statements`). Django's connection pool (DB_POOL_MAX_SIZE) keeps each psycopg connection, and with it
its prepared statements; psycopg forgets them (DEALLOCATE ALL) on a rollback and prepares again on the next run.

The statement still goes through Django's cursor wrapper: execute_wrappers, the debug query log and error
translation see it like any other query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import psycopg
from django.db import connection


class _PreparingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """psycopg's server-binding cursor, asking for every statement to be prepared. Where Django logs queries
    (DEBUG, CaptureQueriesContext), it reads the text it logs from `_query`, which psycopg leaves empty after a
    prepared run: the statement with its values written in is put there."""

    logged = False

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ):  # type: ignore[no-untyped-def,override]
        out = super().execute(query, params, prepare=True, binary=binary)
        if self.logged:
            self._query = SimpleNamespace(query=connection.ops.compose_sql(query, params).encode())  # type: ignore[assignment]
        return out


def fetch_prepared(sql: str, params: Mapping[str, Any] | Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (psycopg placeholders: `%s` or `%(name)s`), run as a prepared statement on the default
    connection, inside whatever transaction is open."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = _PreparingCursor(connection.connection)
    raw.logged = connection.queries_logged
    with connection._prepare_cursor(raw) as cursor:  # type: ignore[attr-defined]
        cursor.execute(sql, params)
        return cursor.fetchall()
