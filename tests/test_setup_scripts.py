"""The set-up scripts: scripts/services.sh starts the embedded PostgreSQL wherever the clone lives (also in a
folder of mode 700, where the postgres user running the cluster cannot go), and the suite's Celery broker is
not the one `make run` uses."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql") / os.environ.get("PG_MAJOR", "15") / "bin"


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _services(project: Path, command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(project / "scripts" / "services.sh"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("runuser") is None,
    reason="runs the cluster as the postgres user, which only root (with runuser) does",
)
@pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason=f"no PostgreSQL in {PG_BIN}")
@pytest.mark.parametrize("mode", [0o700, 0o755], ids=["private-folder", "ordinary-folder"])
def test_services_start_the_embedded_postgres_wherever_the_clone_lives(mode: int) -> None:
    top = Path(tempfile.mkdtemp(prefix="pulih-setup-"))
    top.chmod(mode)
    project = top / "pulih"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "services.sh", project / "scripts" / "services.sh")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PULIH_LOCAL_DIR"}}
    port = _spare_port()
    env["PULIH_EMBEDDED_PG_PORT"] = str(port)
    link = project / ".local" / "pg"
    outside: Path | None = None
    try:
        started = _services(project, "start", env)
        assert started.returncode == 0, started.stdout + started.stderr
        if link.is_symlink():
            outside = Path(os.readlink(link))
        found = re.search(r"starting embedded PostgreSQL \(socket (\S+), port (\d+)\)", started.stdout)
        assert found, started.stdout
        socket_dir, reported_port = Path(found[1]), int(found[2])
        assert reported_port == port

        # Out of the postgres user's reach the cluster lives outside, .local/pg links to it; else in .local.
        if mode == 0o700:
            assert outside is not None and outside.parent == Path("/var/tmp"), started.stdout
            assert socket_dir == outside / "run"
            assert outside.stat().st_mode & 0o777 == 0o700
            assert outside.owner() == "postgres"
        else:
            assert outside is None and link.is_dir()
            assert socket_dir == (link / "run").resolve()

        answer = subprocess.run(
            [str(PG_BIN / "psql"), "-h", str(socket_dir), "-p", str(port), "-U", "postgres", "-d", "pulih"]
            + ["-Atc", "SELECT 1"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert (answer.returncode, answer.stdout.strip()) == (0, "1"), answer.stderr
        # backend/settings.py connects through .local/pg/run, resolved: the very folder of the socket.
        assert (link / "run").resolve() == socket_dir.resolve()
        assert (project / ".local" / "redis" / "redis.sock").is_socket()

        stopped = _services(project, "stop", env)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "embedded PostgreSQL stopped" in stopped.stdout
        assert not (socket_dir / f".s.PGSQL.{port}").exists()
    finally:
        _services(project, "stop", env)
        shutil.rmtree(top, ignore_errors=True)
        if outside is not None and outside.name.startswith("pulih-pg-"):
            shutil.rmtree(outside, ignore_errors=True)


@pytest.mark.skipif(
    bool(os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")),
    reason="the broker is given by the environment, for the suite and `make run` alike",
)
def test_the_suite_has_a_broker_database_of_its_own() -> None:
    """A `make run` in the same checkout (its worker on Redis db 0) must not take the suite's tasks, nor the
    suite's worker (`--purge`) drop its queue: settings give the suite another database on the same Redis (one
    per node when pytest-xdist runs it in parallel)."""
    from backend.celery import app

    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    code = "from django.conf import settings as s; print(s.CELERY_BROKER_URL, s.REDIS_URL)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    run_broker, run_redis = run.stdout.split()

    def db(url: str) -> str:
        query = parse_qs(urlparse(url).query)
        return (query.get("virtual_host") or query.get("db"))[0]

    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert urlparse(settings.CELERY_BROKER_URL).path == urlparse(run_broker).path  # the same embedded Redis
    assert (db(run_broker), db(run_redis)) == ("0", "0")
    node = os.environ.get("PYTEST_XDIST_WORKER", "")  # run in parallel, each node has one of its own (gw0: 2)
    own = str(2 + int(node[2:])) if node[2:].isdigit() else "1"
    assert (db(settings.CELERY_BROKER_URL), db(settings.REDIS_URL)) == (own, own)
