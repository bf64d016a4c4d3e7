"""COPY in text format, and tables loaded without their secondary indexes and foreign keys.

Rows are written as tab-separated lines (`\\N` for NULL): formatting a line with an f-string is several times
cheaper than handing psycopg a tuple of Python objects, and ten million visits are built in Python. A big table
is loaded the way pg_restore does it: its foreign keys and secondary indexes (and its primary key when nothing
references it) are dropped inside the phase's transaction, the rows copied, then each one recreated, which builds
an index by one sort and validates a foreign key by one join instead of a probe per row. All of it in the
phase's transaction: an interrupted phase leaves the table as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection

NULL = "\\N"
CHUNK = 20_000  # lines written per call to copy.write


def text(value: str) -> str:
    """A value for a text COPY line: backslash, tab and newlines escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def check_columns(table: str, columns: list[str]) -> None:
    """Every NOT NULL column without a database default must be given: Django's defaults are Python-side, so a
    forgotten column would fail the COPY deep into a phase (or worse, on a rerun of a later phase)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        )
        required = {r[0] for r in cursor.fetchall()}
    missing = required - set(columns)
    if missing:
        raise RuntimeError(f"{table}: NOT NULL columns not given: {sorted(missing)}")


def copy_lines(table: str, columns: list[str], lines: Iterable[str], progress=None) -> int:  # type: ignore[no-untyped-def]
    """COPY `lines` (each a tab-separated line ending in a newline) into `table`; returns the rows copied."""
    check_columns(table, columns)
    n = 0
    buffer: list[str] = []
    with (
        rollup_triggers_off(table),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for line in lines:
            buffer.append(line)
            if len(buffer) >= CHUNK:
                copy.write("".join(buffer))
                n += len(buffer)
                if progress is not None:
                    progress.update(len(buffer))
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            n += len(buffer)
            if progress is not None:
                progress.update(len(buffer))
    return n


@contextmanager
def rollup_triggers_off(table: str) -> Iterator[None]:
    """Inside the block the report roll-up's stale-marking triggers of `table` (backend/reports/rollup_triggers.py)
    are off: a statement trigger would hold ten million copied visits in its transition table to mark months
    the build then makes from scratch (build.py builds the roll-up after the last phase)."""
    names = [
        r[0]
        for r in _fetch(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'reports\\_rollup\\_stale\\_%%'",
            [table],
        )
    ]
    for name in names:
        _execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    try:
        yield
    finally:
        for name in names:
            _execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")


def _fetch(sql: str, params: list) -> list[tuple]:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@contextmanager
def bare_table(table: str) -> Iterator[None]:
    """Inside the block `table` has no foreign keys, no secondary index (and no primary key unless another
    table references it); after it, each is recreated with its own name and definition (validated)."""
    referenced = bool(
        _fetch("SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass", [table])
    )
    constraints = _fetch(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype IN ('f', 'u', 'p') ORDER BY contype",  # recreated: p, then u, then f
        [table],
    )
    constraints = [c for c in constraints if c[2] != "p" or not referenced]
    constraint_names = {c[0] for c in constraints} | {
        r[0]
        for r in _fetch(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
            [table],
        )
    }
    indexes = [
        (name, definition)
        for name, definition in _fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
        )
        if name not in constraint_names
    ]
    for name, _definition, _kind in sorted(constraints, key=lambda c: c[2] != "f"):  # foreign keys first
        _execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        _execute(f'DROP INDEX "{name}"')
    yield
    for name, definition, _kind in sorted(constraints, key=lambda c: "puf".index(c[2])):
        _execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        _execute(definition)
