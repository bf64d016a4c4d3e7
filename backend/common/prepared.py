"""Prepared statements for the few hot statements whose planning and ORM compile cost more than their execution
(issue 11: routing's KNN and facts, the caseload re-check and the staff lock; they run on every escalation).

Django's psycopg backend binds parameters on the client (`ClientCursor`: the values are written into the SQL text,
so PostgreSQL parses and plans every query afresh) and opens connections with `prepare_threshold=None` (psycopg
prepares nothing). `fetch_prepared` PREPAREs a statement once per connection (SQL-level `PREPARE name AS ...`,
named after a hash of its text) and then runs `EXECUTE name(values)` through Django's own cursor: only the
arguments are parsed, the cached plan runs. For that plan to be the right one, the SQL text carries what shapes
the plan (the day, the certificate kind, LIMIT and OFFSET: one statement per variant) and binds only what does
not (the origin, a user id); settings.py sets `plan_cache_mode = force_generic_plan` for the connection, so the
generic plan is used from the first run (only these statements are prepared on the app's connections).

Why SQL-level and not psycopg's protocol-level `prepare=True`: psycopg forgets (DEALLOCATE ALL) its prepared
statements on every rollback, a savepoint's included, and every failed request or rolled-back test would
prepare them again; a PREPAREd statement lives as long as the session, whatever the transactions did. The
statements known to be prepared are kept per psycopg connection object: a new connection (reconnect, pool) starts
empty, and Django's connection pool (DB_POOL_MAX_SIZE) keeps each connection, and with it its statements.
Nothing on the app's connections may DEALLOCATE ALL or DISCARD ALL (psycopg does only for statements it prepared
itself, and with Django's `prepare_threshold=None` it prepares none); a transaction-mode pooler (PgBouncer) would
mix sessions: there, DB_PREPARED_STATEMENTS=false runs the same SQL unprepared (same answers, planned each time).

The EXECUTE goes through Django's cursor: execute_wrappers, the debug query log and error translation see it
like any other query; its text names the statement's first table in a comment, for the logs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import connection

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)
# psycopg connection -> names of the statements PREPAREd on it.
_prepared: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()


# SQL text -> (name, PREPARE text, EXECUTE text, parameter names in order). Bounded: the texts carry the day, so a
# long-lived process meets new ones every day.
@lru_cache(maxsize=512)
def _compile(sql: str) -> tuple[str, str, str, list[str]]:
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    body = _PLACEHOLDER.sub(number, sql)
    name = "pulih_" + hashlib.sha1(sql.encode()).hexdigest()[:16]
    table = _FROM.search(sql)
    args = f"({', '.join(['%s'] * len(names))})" if names else ""
    execute = f"EXECUTE {name}{args} /* {table[1] if table else ''} */"
    return name, f"PREPARE {name} AS {body}", execute, names


def fetch_prepared(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (named placeholders `%(name)s`, each cast to its type in the text: `%(day)s::date`),
    run as a prepared statement on the default connection, inside whatever transaction is open."""
    with connection.cursor() as cursor:
        if not settings.DB_PREPARED_STATEMENTS:
            cursor.execute(sql, params)
            return cursor.fetchall()
        name, prepare, execute, names = _compile(sql)
        done = _prepared.setdefault(connection.connection, set())
        if name not in done:
            cursor.execute(prepare)
            done.add(name)
        cursor.execute(execute, [params[n] for n in names])
        return cursor.fetchall()
