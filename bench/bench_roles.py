"""The common reads of each role on a large set: GET /clients (and ?follow_up=overdue), /escalations, /tasks,
/notifications and /me, as a counselor (the one holding the most cases), a regency and a province coordinator and
a volunteer; best of `--runs`, the number of SQL statements and the slowest one. A script, not a test.

    DATABASE_URL=postgresql://postgres@/bench_pulih_national?host=<socket dir>&port=54329 \\
        .venv/bin/python bench/bench_roles.py [--runs 3] [--province 33]

It finds plan shapes that only a national set shows (an OR of subqueries walking a million rows); the numbers of
2026-11-28 are in bench/RESULTS.md. It writes nothing (GETs only; their access-log rows are rolled back).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from backend.accounts.tokens import access_token_issue  # noqa: E402

PATHS = ["/clients", "/clients?follow_up=overdue", "/escalations", "/tasks", "/notifications", "/me"]


def first(sql: str, params: list) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row and row[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--province", default="33")
    args = parser.parse_args()
    users = {
        "counselor (most cases)": first(
            "SELECT assigned_to_id FROM escalations_escalation WHERE assigned_to_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
            [],
        ),
        "coordinator, a regency": first(
            "SELECT user_id FROM accounts_roleassignment WHERE role = 'coordinator' AND region_id LIKE %s "
            "AND length(region_id) = 5 ORDER BY region_id LIMIT 1",
            [args.province + ".%"],
        ),
        "coordinator, province": first(
            "SELECT user_id FROM accounts_roleassignment WHERE role = 'coordinator' AND region_id = %s LIMIT 1",
            [args.province],
        ),
        "volunteer": first(
            "SELECT user_id FROM accounts_roleassignment WHERE role = 'volunteer' LIMIT 1", []
        ),
    }
    http = Client()
    print(f"{'who':24s} {'GET':28s} {'status':>6s} {'best ms':>8s} {'SQL':>4s}  slowest statement")
    for who, user_id in users.items():
        if user_id is None:
            print(f"{who:24s} (none in this set)")
            continue
        auth = {"HTTP_AUTHORIZATION": f"Bearer {access_token_issue(user_id=user_id)[0]}"}
        for path in PATHS:
            best, queries, status = float("inf"), [], 0
            for _ in range(args.runs):
                with transaction.atomic(), CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    status = http.get("/api/v1" + path, **auth).status_code
                    elapsed = time.perf_counter() - started
                    transaction.set_rollback(True)
                if elapsed < best:
                    best, queries = elapsed, list(captured.captured_queries)
            slow = max(queries, key=lambda q: float(q["time"]))
            print(
                f"{who:24s} {path:28s} {status:>6d} {best * 1000:8.0f} {len(queries):>4d}  "
                f"{float(slow['time']) * 1000:.0f} ms {slow['sql'][:60]}"
            )


if __name__ == "__main__":
    main()
