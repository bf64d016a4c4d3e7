"""The app started as the Docker image starts it: gunicorn with gunicorn.conf.py, PULIH_ENV=production, DEBUG off,
static files collected and served by the app, secrets read from *_FILE. The image itself cannot be built on the
development machine (no Docker engine), so this is the proof that its command works."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import global_settings, settings
from django.db import connection

from backend.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PHONE, PASSWORD = "+6281299990001", "kata-sandi-produksi-2026"


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    return f"postgis://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    secrets = {}
    for name in ("SECRET_KEY", "NIK_HMAC_KEY", "JWT_SIGNING_KEY"):
        path = tmp_path / name.lower()
        path.write_text(f"{name.lower()}-for-the-production-smoke-test-0123456789\n")
        secrets[f"{name}_FILE"] = str(path)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "NIK_HMAC_KEY", "JWT_SIGNING_KEY")
    }
    env.update(
        secrets,
        PULIH_ENV="production",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        STATIC_ROOT=str(tmp_path / "static"),
        PYTHONPATH=str(ROOT),
    )
    return env


def test_production_refuses_to_start_with_a_default_secret(production_env):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in production_env.items() if k != "SECRET_KEY_FILE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a secret of 32+ characters in production" in result.stderr


def test_the_image_command_serves_the_api_and_its_static_files(production_env, tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = (
        global_settings.PASSWORD_HASHERS
    )  # the server checks with the production hasher
    User.objects.create_user(phone=PHONE, password=PASSWORD, name="Kader Produksi")
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr
    port = _free_port()
    env = {**production_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _headers, body = _call(f"{base}/api/v1/health")
                break
            except (ConnectionError, TimeoutError, urllib.error.URLError):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 200, body

        status, _headers, page = _call(f"{base}/api/v1/docs")
        assert status == 200
        bundle = re.search(rb'src="(/static/ninja/swagger-ui-bundle\.[0-9a-f]{12}\.js)"', page)
        assert bundle, "the docs page names the hashed, collected asset"
        status, headers, _js = _call(base + bundle.group(1).decode())
        assert status == 200
        assert "max-age" in headers.get("Cache-Control", "")

        status, _headers, body = _call(f"{base}/tidak-ada")
        assert status == 404
        assert json.loads(body)["error"]["code"] == "not_found"  # DEBUG off: the JSON error, not a page

        status, _headers, body = _call(f"{base}/api/v1/auth/login", {"phone": PHONE, "password": PASSWORD})
        assert status == 200, body
        access = json.loads(body)["access"]
        status, _headers, body = _call(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        assert status == 200, body
        assert json.loads(body)["name"] == "Kader Produksi"
    finally:
        server.terminate()
        server.wait(20)
    assert "Traceback" not in log.read_text()
