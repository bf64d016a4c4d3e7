"""The heavy fault drills (bench/drills/drill_faults.py), behind PULIH_HEAVY=1: each starts the production stack
(gunicorn, a Celery worker and beat, a Redis of its own) on the bench database and takes minutes (the worker-kill
drill waits out the 2-minute claim lease). Their small always-on versions are in the suite already:
tests/sync/test_replay_over_http.py (replay), tests/notifications/test_worker.py (the broker stopped),
tests/notifications/test_outbox.py (a row abandoned by a dead worker), tests/api/test_faults.py (503 with
Retry-After). The postgres drill restarts this checkout's embedded cluster, which the suite itself is using: run
it on its own (`.venv/bin/python bench/drills/drill_faults.py postgres`), never from here.

The scale-out drill (bench/drills/drill_scaleout.py: two nodes, each with its API server, two workers and a beat,
under locust load; every sweep, offer and push once) runs here too; its small always-on version is
tests/test_two_beats.py (each beat job twice at the same instant).

    PULIH_HEAVY=1 .venv/bin/python -m pytest tests/test_drills_heavy.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(os.environ.get("PULIH_HEAVY") != "1", reason="heavy drill: PULIH_HEAVY=1")


def test_the_drills_pass() -> None:
    # One process for all: drills share the bench database and must not run two at once (pytest -n).
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "PYTEST_XDIST_WORKER")}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "drills" / "drill_faults.py"),
            "replay",
            "redis",
            "worker-kill",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    print("\n".join(verdicts))  # shown with -s
    assert result.returncode == 0 and verdicts, result.stdout[-4000:] + result.stderr[-4000:]


def test_the_scale_out_drill_passes() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "PYTEST_XDIST_WORKER")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "drills" / "drill_scaleout.py"), "--seconds", "60"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    print("\n".join(verdicts))  # shown with -s
    assert result.returncode == 0 and verdicts, result.stdout[-4000:] + result.stderr[-4000:]
