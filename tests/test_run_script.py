"""`make run` (scripts/run.sh), as a newcomer meets it: it serves with the production server (gunicorn, not
runserver), says "API on ..." only once the API answers (it used to print it about 8 s before), and when the Celery
worker dies it says so and starts it again, with the API still up (it used to stop everything).

run.sh is started on the suite's test database (DATABASE_URL) and a Redis database no one else uses (REDIS_URL),
so that its ending (which stops the embedded services only when no URL is given) leaves the suite's services alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
REDIS_DB_OF_THIS_TEST = 15  # not 0 (make run), 1 (the suite) nor 2+ (xdist nodes, the benches)


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as r:  # noqa: S310
            return r.status, r.headers.get("Server", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Server", "")
    except OSError:
        return 0, ""


def _descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [d for c in children for d in (int(c), *_descendants(int(c)))]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Output:
    """run.sh's output, read line by line as it comes; `health_when_announced` is /health's answer taken the
    moment the "API on" line was read."""

    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.lines: list[str] = []
        self.health_when_announced: int | None = None
        self._proc, self._port = proc, port
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._proc.stdout:  # type: ignore[union-attr]
            if "[pulih] API on" in line and self.health_when_announced is None:
                self.health_when_announced = _health(self._port)[0]
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float, after: int = 0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines[after:]):
                return True
            time.sleep(0.2)
        return False


@pytest.fixture
def run_sh(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = _spare_port()
    redis = settings.REDIS_URL.split("?")[0] + f"?db={REDIS_DB_OF_THIS_TEST}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "PYTEST_XDIST_WORKER")}
    env.update(
        PORT=str(port),
        DATABASE_URL=f"postgis://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=redis,
        CELERY_BROKER_URL="",
        GUNICORN_WORKERS="1",
    )
    env.pop("CELERY_BROKER_URL")
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "run.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = Output(proc, port)
    try:
        yield proc, out, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def test_make_run_serves_with_gunicorn_announces_when_it_answers_and_restarts_a_dead_worker(run_sh):
    proc, out, port = run_sh
    assert out.wait_for("[pulih] API on", 120), "".join(out.lines[-40:])

    # 1. announced only once the API answers
    assert out.health_when_announced in (200, 503), "".join(out.lines[-40:])
    # 2. the production server, not runserver
    status, server = _health(port)
    assert status in (200, 503) and server.startswith("gunicorn"), server
    # 3. a worker that dies is started again, and said so; the API stays up meanwhile
    assert out.wait_for("ready.", 120), "".join(out.lines[-40:])
    workers = [p for p in _descendants(proc.pid) if "celery -A backend worker" in _cmdline(p)]
    assert workers, [_cmdline(p) for p in _descendants(proc.pid)]
    seen = len(out.lines)
    os.kill(workers[0], signal.SIGKILL)
    assert out.wait_for("the Celery worker exited", 30, after=seen), "".join(out.lines[seen:])
    assert out.wait_for("ready.", 120, after=seen), "".join(out.lines[seen:])
    assert _health(port)[0] in (200, 503)
    assert proc.poll() is None
