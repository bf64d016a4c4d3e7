"""The database a benchmark loads its data into: its own, on the same cluster as the project's, made when missing
(or dropped and made again with `rebuild`). Call before Django opens a connection."""

from __future__ import annotations

import psycopg
from django.conf import settings


def use_bench_database(name: str, *, rebuild: bool) -> None:
    """Point Django at the database `name`, creating it next to the project's (dropped first with `rebuild`)."""
    db = settings.DATABASES["default"]
    conninfo = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
    }
    if db.get("PASSWORD"):
        conninfo["password"] = db["PASSWORD"]
    with psycopg.connect(
        dbname="postgres", autocommit=True, **{k: v for k, v in conninfo.items() if v}
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            exists = None
        if not exists:
            conn.execute(f"CREATE DATABASE {name}")
    db["NAME"] = name
    settings.DEBUG = False  # no query log growing through thousands of queries
