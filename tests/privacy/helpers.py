"""What an outsider holds of Pulih: every row of every table as text (a database dump, read in the test's own
transaction so it sees what the test wrote), and everything an API role is shown of a client."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection


def database_text() -> str:
    """Every row of every table of the database, each as PostgreSQL's text of the row (what pg_dump writes)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table == "spatial_ref_sys":  # PostGIS's own catalogue
                continue
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")  # noqa: S608 - a name
            parts.extend(f"{table}: {row[0]}" for row in cursor.fetchall())
    return "\n".join(parts)


def feed_items(api: Any, limit: int = 500) -> list[dict[str, Any]]:
    """Every item of the caller's feed from a first sync to its end."""
    items, cursor = [], None
    for _page in range(100):
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = api.get("/sync/changes", **params).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return items
    raise AssertionError("the feed did not end")


def scalar_values(value: Any) -> list[Any]:
    """Every scalar inside a JSON value (dict values, list items), depth first."""
    if isinstance(value, dict):
        return [v for item in value.values() for v in scalar_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in scalar_values(item)]
    return [value]


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
