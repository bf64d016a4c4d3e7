"""The small, always-on version of the replay drill (bench/drills/drill_faults.py `replay`): the same visit batch
sent three times at once and after a connection the phone dropped before the answer, over real HTTP to gunicorn
with three worker processes (so the copies really run in parallel, each in its own process and connection)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from backend.accounts.tokens import access_token_issue
from backend.recovery.models import Visit
from tests.sync.helpers import make_client, visit_payload

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    return f"postgis://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(port: int, body: bytes, headers: dict[str, str], read: bool = True) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a fresh connection; with read=False the caller hangs up without the answer."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    raw = (
        f"POST /api/v1/sync/visits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{head}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        conn.sendall(raw)
        if not read:
            conn.shutdown(socket.SHUT_WR)
            return 0, b""
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[int]:  # type: ignore[no-untyped-def]
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": str(ROOT),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "3",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(20)
    assert "Traceback" not in log.read_text(), log.read_text()


def _auth(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {access_token_issue(user_id=user.id)[0]}"}


def _at_once(*calls):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, fn):  # type: ignore[no-untyped-def]
        barrier.wait(10)
        out[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_one_batch_three_times_at_once_under_one_key_is_stored_once(server, cast):  # type: ignore[no-untyped-def]
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    visits = [visit_payload(client) for _ in range(20)]
    body = json.dumps({"visits": visits}).encode()
    headers = {**_auth(cast.volunteer_katingan), "Idempotency-Key": str(uuid.uuid4())}
    answers = _at_once(*[lambda: _post(server, body, headers)] * 3)
    # One ran the work; the others were answered with its stored answer, or 409 (in progress) to retry.
    assert {status for status, _ in answers} <= {200, 409}, answers
    assert Visit.objects.filter(id__in=[v["id"] for v in visits]).count() == 20
    status, raw = _post(server, body, headers)  # the retry of those answered 409
    assert status == 200
    assert Counter(r["status"] for r in json.loads(raw)["results"]) == {"created": 20}  # the stored answer


def test_one_batch_three_times_at_once_under_three_keys_is_stored_once(server, cast):  # type: ignore[no-untyped-def]
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    visits = [visit_payload(client) for _ in range(20)]
    body = json.dumps({"visits": visits}).encode()
    auth = _auth(cast.volunteer_katingan)
    answers = _at_once(
        *[lambda: _post(server, body, {**auth, "Idempotency-Key": str(uuid.uuid4())}) for _ in range(3)]
    )
    assert [status for status, _ in answers] == [200, 200, 200], answers
    statuses = Counter(r["status"] for _, raw in answers for r in json.loads(raw)["results"])
    assert statuses == {"created": 20, "duplicate": 40}
    assert Visit.objects.filter(id__in=[v["id"] for v in visits]).count() == 20


def test_a_batch_whose_answer_was_lost_on_a_dropped_connection_is_stored_once(server, cast):  # type: ignore[no-untyped-def]
    client = make_client(village="62.06.02.1003", by=cast.official_katingan)
    visits = [visit_payload(client) for _ in range(50)]
    body = json.dumps({"visits": visits}).encode()
    headers = {**_auth(cast.volunteer_katingan), "Idempotency-Key": str(uuid.uuid4())}
    _post(server, body, headers, read=False)  # the phone lost its signal before the answer came
    deadline = time.monotonic() + 30
    while True:  # the phone retries with the same key: 409 while the first still runs, then the answer
        status, raw = _post(server, body, headers)
        if status != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200, raw
    assert len(json.loads(raw)["results"]) == 50
    assert Visit.objects.filter(id__in=[v["id"] for v in visits]).count() == 50
