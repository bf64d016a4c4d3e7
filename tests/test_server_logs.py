"""The production server (gunicorn.conf.py, used by `make run` and the Docker image) keeps personal data out of
its access log: searches carry names and NIKs in the query string."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "Budi Santoso"
NIK = "6206021505900001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=30).status  # noqa: S310 - loopback only
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_access_log_names_the_path_but_never_the_query_string(tmp_path):  # type: ignore[no-untyped-def]
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/clients?q={NAME.replace(' ', '%20')}&nik={NIK}"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status = _get(url)
                break
            except (ConnectionError, TimeoutError, urllib.error.URLError):
                time.sleep(0.2)
        assert status == 401  # no token: answered before any database read
    finally:
        server.terminate()
        server.wait(20)
    text = log.read_text()
    assert '"GET /api/v1/clients HTTP/1.1" 401' in text
    for secret in (NAME, "Budi", "Santoso", NIK, "q="):
        assert secret not in text
