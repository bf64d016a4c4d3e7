"""The production stack on loopback, for the load scenario and the fault drills.

- a database of its own on the embedded cluster (`bench_pulih_load`: created and migrated on first use), and a
  Redis database of its own on the embedded Redis (db 2: `make run` has 0, the suite 1);
- the API as the Docker image and `make run` serve it: gunicorn with gunicorn.conf.py, PULIH_ENV=production,
  DEBUG off, secrets from *_FILE (the way tests/test_production_mode.py starts it);
- optionally a real Celery worker (tests/notifications/fcm_worker.py: firebase-admin pointed at the local fake
  FCM of tests/fakes/fcm.py, which the driver runs in its own process);
- a sampler of CPU (the machine's and per process group) and of pg_stat_activity, once a second.

Import this module first: it sets up Django against the bench database (`django_setup()`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DB_NAME = os.environ.get("PULIH_LOAD_DB", "bench_pulih_load")  # or the national set (bench_load --national)
REDIS_DB = 2
sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    """Django against the embedded services, the bench database and the bench Redis database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ["TEST_DATABASE_NAME"] = DB_NAME
    sock = ROOT / ".local" / "redis" / "redis.sock"
    os.environ.setdefault("REDIS_URL", f"unix://{sock}?db={REDIS_DB}")
    import django

    django.setup()


def database_prepare() -> None:
    """Create and migrate the bench database on first use (about a minute), then point Django at it."""
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(keepdb=True, verbosity=0, serialize=False)  # no test rollbacks here


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    return f"postgis://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@dataclass
class Stack:
    workers: int = 3
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pulih-load-")))
    env_extra: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def env(self) -> dict[str, str]:
        from django.conf import settings

        secrets = {}
        for name in ("SECRET_KEY", "NIK_HMAC_KEY", "JWT_SIGNING_KEY"):
            path = self.folder / name.lower()
            path.write_text(f"{name.lower()}-of-the-load-bench-0123456789abcdef\n")
            secrets[f"{name}_FILE"] = str(path)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DEBUG", "SECRET_KEY", "NIK_HMAC_KEY", "JWT_SIGNING_KEY", "TEST_DATABASE_NAME")
        }
        env.update(
            secrets,
            PULIH_ENV="production",
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url(),
            REDIS_URL=settings.REDIS_URL,
            STATIC_ROOT=str(self.folder / "static"),
            PYTHONPATH=str(ROOT),
            # Every simulated phone signs in from 127.0.0.1, and each signs in again now and then: the
            # brute-force brakes (per address, per phone) would answer 429 to the bench itself.
            LOGIN_RATE_LIMIT_PER_IP="1000000",
            LOGIN_RATE_LIMIT_PER_PHONE="1000000",
        )
        env.update(self.env_extra)
        return env

    def start_server(self) -> None:
        self.port = self.port or free_port()
        env = {**self.env(), "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(self.workers)}
        with (self.folder / "gunicorn.log").open("a") as out:
            self.server = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _h, _b = http("GET", f"{self.base}/health", timeout=5)
                if status in (200, 503):
                    return
            except OSError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer:\n" + (self.folder / "gunicorn.log").read_text())
            time.sleep(0.2)

    def start_worker(self, fcm_send_url: str, service_account: Path) -> None:
        env = {
            **self.env(),
            "FIREBASE_CREDENTIALS_FILE": str(service_account),
            "PUSH_ENABLED": "true",
            "FAKE_FCM_SEND_URL": fcm_send_url,
        }
        from django.conf import settings

        env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        log = self.folder / "worker.log"
        start = log.stat().st_size if log.exists() else 0
        with log.open("a") as out:
            self.worker = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "notifications" / "fcm_worker.py")],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text()[start:]:
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + log.read_text()[start:])
            time.sleep(0.1)

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(10)
        self.worker = None

    def stop(self) -> None:
        for proc in (self.server, self.worker):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
        self.server = self.worker = None

    def server_pids(self) -> list[int]:
        if self.server is None:
            return []
        return [self.server.pid, *_children(self.server.pid)]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    out = []
    for child in text.split():
        out += [int(child), *_children(int(child))]
    return out


def _proc_ticks(pid: int) -> int:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(parts[11]) + int(parts[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def _machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values), idle


class Sampler:
    """Once a second: the machine's CPU busy share, the CPU of named process groups (gunicorn, postgres of
    the bench database, locust), and pg_stat_activity of the bench database by state and wait event."""

    def __init__(self, groups: dict[str, Any]) -> None:
        self.groups = groups  # name -> callable returning pids
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.hz = os.sysconf("SC_CLK_TCK")

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(5)
        return self.samples

    def _run(self) -> None:
        import psycopg
        from django.db import connection

        db = connection.settings_dict
        conn = psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
        )
        last_total, last_idle = _machine_ticks()
        last = {name: {pid: _proc_ticks(pid) for pid in pids()} for name, pids in self.groups.items()}
        last_t = time.monotonic()
        while not self._stop.wait(1.0):
            total, idle = _machine_ticks()
            now = time.monotonic()
            sample: dict[str, Any] = {
                "machine_busy_pct": round(100 * (1 - (idle - last_idle) / max(1, total - last_total)), 1)
            }
            for name, pids in self.groups.items():
                current = {pid: _proc_ticks(pid) for pid in pids()}
                used = sum(t - last[name].get(pid, t) for pid, t in current.items())
                sample[f"cpu_{name}_pct"] = round(100 * used / self.hz / (now - last_t), 1)
                last[name] = current
            rows = conn.execute(
                "SELECT state, coalesce(wait_event_type, '-'), count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1, 2",
                [db["NAME"]],
            ).fetchall()
            sample["pg_connections"] = sum(r[2] for r in rows)
            sample["pg_active"] = sum(r[2] for r in rows if r[0] == "active")
            sample["pg_waits"] = dict(Counter({f"{r[0]}/{r[1]}": r[2] for r in rows if r[1] != "-"}))
            sample["pg_lock_waits"] = sum(r[2] for r in rows if r[1] == "Lock")
            self.samples.append(sample)
            last_total, last_idle, last_t = total, idle, now
        conn.close()


def postgres_pids(dbname: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("postgres: ") and f" {dbname} " in cmd:
            pids.append(int(proc.name))
    return pids


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and max of each numeric figure over the samples; lock waits and the commonest wait events."""
    if not samples:
        return {}
    out: dict[str, Any] = {}
    for key in samples[0]:
        if key == "pg_waits":
            continue
        values = [s[key] for s in samples]
        out[key] = {"mean": round(sum(values) / len(values), 1), "max": max(values)}
    waits: Counter[str] = Counter()
    for s in samples:
        waits.update(s["pg_waits"])
    out["pg_waits_top"] = waits.most_common(4)
    return out
