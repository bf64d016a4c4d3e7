"""bench/bench_national.py runs whole on a tiny national set, so neither the generator's command nor the bench can
rot (issue 11, "Done when"). Both run as a newcomer runs them: `manage.py build_national_dataset --into` a
database of its own on the suite's cluster, then the bench script against it, each in a process of its own.

Nothing here judges a time (the machine is shared): it checks that every measure ran and that what each measured
was the whole path (POST /escalations answered 201, the uploads created their 500 visits, the first sync ended,
the report answered 200, the routing agreed with the geodesic ranking)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
RUNS = 3


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
    }
    return psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v})


def _drop(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args: list[str]) -> str:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": "memory://"}
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def tiny_national_set(worker_id: str):  # type: ignore[no-untyped-def]
    name = f"bench_pulih_national_tiny_{worker_id}"
    _drop(name)
    _run(
        [
            "manage.py",
            "build_national_dataset",
            "--seed=1",
            "--scale=0.0005",
            "--provinces=62",
            "--demo-regions",
            f"--into={name}",
        ]
    )
    yield name
    _drop(name)


def test_the_national_bench_runs_every_measure_on_a_tiny_set(tiny_national_set: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    printed = _run(
        [
            "bench/bench_national.py",
            f"--db={tiny_national_set}",
            f"--runs={RUNS}",
            "--slow-runs=1",
            "--check=30",
            f"--json={out}",
        ]
    )
    result = json.loads(out.read_text())
    assert result["counts"]["clients"] == 500
    rows = {row["path"].split(" (")[0].split(",")[0]: row for row in result["rows"]}
    # Every path of the table, each with its samples, and a floor where the issue names one.
    for path in (
        "routing KNN",
        "route() whole decision",
        "POST /escalations",
        "POST /sync/visits",
        "resent 500",
        "first GET /sync/changes",
        "follow-up sweep",
    ):
        assert path in rows, (path, sorted(rows), printed[-2000:])
        assert rows[path]["measure"]["p50"] > 0
    for path in (
        "routing KNN",
        "route() whole decision",
        "POST /escalations",
        "POST /sync/visits",
        "resent 500",
    ):
        assert rows[path]["floor"]["p50"] > 0 and rows[path]["ratio"] > 0
    reports = [row for row in result["rows"] if row["path"].startswith("GET /reports/monthly")]
    assert len(reports) == 2 and all(set(row["statuses"]) == {"200"} for row in reports), reports
    # What was measured was the whole path, not an error answered early.
    assert set(rows["POST /escalations"]["statuses"]) == {"201"}
    assert set(rows["POST /sync/visits"]["created"]) == {"500"}
    sync = rows["first GET /sync/changes"]
    assert 1 <= sync["requests"] <= 3 and sync["items"] > 0
    assert result["geodesic_check"]["villages"] == 30
    assert result["geodesic_check"]["agree"] == 30 and result["geodesic_check"]["disagree"] == 0
