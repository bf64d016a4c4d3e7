"""Fault drills against the production stack on loopback: each prints PASS/FAIL per property and exits non-zero
when one fails. Not timings: verdicts.

    .venv/bin/python bench/drills/drill_faults.py [redis] [worker-kill] [postgres] [replay]   (default: all)

The stack (bench/load/stack.py): gunicorn with gunicorn.conf.py (PULIH_ENV=production), a real Celery worker
and beat (sweeps every 2 s) whose firebase-admin sends to the local fake FCM, the bench database
`bench_pulih_load` (its dataset from bench/load/seed.py, seeded if missing), and a Redis of the drill's own (a
redis-server on a unix socket in the drill's temporary folder), so stopping it touches nothing else. Simulated
phones are threads speaking HTTP as the app does: a batch is retried with the same Idempotency-Key until it is
acknowledged (200 with a result per visit), after the Retry-After the server gave.

- redis: Redis stopped for 8 s while phones upload visit batches and create escalations. Every acknowledged
  visit and escalation is in the database once; every offer notification made meanwhile is pushed once to each
  device of its recipient after Redis is back.
- worker-kill: the worker SIGKILLed every 2 s (six times) while escalations are made and FCM answers slowly (so
  kills land mid-send). Afterwards every notification is `sent`, each device got it at least once, and every copy
  of one notification carries the same collapse key and tag (the phone shows it once); no escalation has two
  open offers. Waits out the 2-minute claim lease, so it takes about three minutes.
- postgres: the embedded cluster restarted (`pg_ctl restart -m fast`) while phones upload. Writes answer 503
  with Retry-After (never 500) while it is down, the API recovers by itself, and every acknowledged visit is in
  the database. It restarts the cluster of this checkout: do not run it while `make test` runs here.
- replay: one batch sent three times at once with one key, three times at once with three keys, and once on a
  connection the phone drops before the answer, then again: every visit once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

FOLDER = Path(tempfile.mkdtemp(prefix="pulih-drill-"))
REDIS_SOCK = FOLDER / "redis.sock"
os.environ["REDIS_URL"] = f"unix://{REDIS_SOCK}?db=0"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "load"))
import stack  # noqa: E402

stack.django_setup()

from tests.fakes.fcm import FakeFCM  # noqa: E402

WIB = timezone(timedelta(hours=7))
verdicts: list[tuple[str, bool, str]] = []


def verdict(name: str, ok: bool, detail: str = "") -> None:
    verdicts.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""), flush=True)


# --- services ----------------------------------------------------------------------------------------------
def redis_start() -> None:
    subprocess.run(
        ["redis-server", "--port", "0", "--unixsocket", str(REDIS_SOCK), "--unixsocketperm", "700",
         "--daemonize", "yes", "--dir", str(FOLDER), "--pidfile", str(FOLDER / "redis.pid"),
         "--logfile", str(FOLDER / "redis.log"), "--save", "", "--appendonly", "no"],
        check=True,
    )  # fmt: skip
    for _ in range(50):
        if subprocess.run(["redis-cli", "-s", str(REDIS_SOCK), "ping"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("drill Redis did not answer")


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-s", str(REDIS_SOCK), "shutdown", "nosave"], capture_output=True)


def postgres_restart() -> None:
    """Stop the embedded cluster (fast: open sessions are cut), leave it down 3 s, start it again."""
    data = (stack.ROOT / ".local" / "pg").resolve() / "data"
    pg_ctl = ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]
    if os.getuid() == 0:
        pg_ctl = ["runuser", "-u", "postgres", "--", *pg_ctl]
    subprocess.run(pg_ctl, check=True, capture_output=True, cwd="/")
    print("   PostgreSQL stopped", flush=True)
    time.sleep(3)  # the phones meet a database that is gone, not one that blinks
    subprocess.run([str(stack.ROOT / "scripts" / "services.sh"), "start"], check=True, capture_output=True)
    print("   PostgreSQL started again", flush=True)


class SlowFCM(FakeFCM):
    """The fake FCM answering each send after `delay` seconds, so a killed worker dies mid-send."""

    delay = 0.0

    def _send(self, authorization, body):  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        return super()._send(authorization, body)


# --- phones ------------------------------------------------------------------------------------------------
class Phone:
    def __init__(self, base: str, phone: str, password: str) -> None:
        self.base, self.phone, self.password = base, phone, password
        self.access = ""
        self.statuses: Counter[int] = Counter()
        self.retry_after_missing = 0

    def call(self, method: str, path: str, body=None, headers=None, timeout=30):  # type: ignore[no-untyped-def]
        try:
            status, h, raw = stack.http(
                method, self.base + path, body, {"Authorization": f"Bearer {self.access}", **(headers or {})},
                timeout=timeout,
            )  # fmt: skip
        except OSError:
            self.statuses[0] += 1
            return 0, {}, b""
        self.statuses[status] += 1
        if status == 503 and "Retry-After" not in h:
            self.retry_after_missing += 1
        return status, h, raw

    def sign_in(self) -> None:
        for _ in range(30):
            status, _h, raw = self.call(
                "POST", "/auth/login", {"phone": self.phone, "password": self.password}
            )
            if status == 200:
                self.access = json.loads(raw)["access"]
                return
            time.sleep(1)
        raise RuntimeError(f"{self.phone} could not sign in")

    def until_acknowledged(self, method, path, body, headers=None, ok=(200, 201), deadline=120.0):  # type: ignore[no-untyped-def]
        """Send, and again with the same body and headers after Retry-After (at most 2 s here), until an
        answer in `ok` (returned) or another 4xx (returned too; but 409 `idempotency_in_progress` is retried, as
        the app does); None when the deadline passed."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            status, h, raw = self.call(method, path, body, headers)
            in_progress = status == 409 and b"idempotency_in_progress" in raw  # the first copy still runs
            if status in ok or 400 <= status < 500 and status not in (408, 429) and not in_progress:
                return status, raw
            if status == 401:
                self.sign_in()
            time.sleep(min(2.0, float(h.get("Retry-After", 1))))
        return None


def visit_batch(clients: list[str], n: int) -> list[dict]:
    now = datetime.now(WIB)
    return [
        {
            "id": str(uuid.uuid4()),
            "client_id": clients[i % len(clients)],
            "occurred_at": (now - timedelta(minutes=5 + i)).isoformat(),
            "type": "home_visit",
            "participants": ["client"],
            "outcome": "stabil",
            "notes": "Kunjungan latihan gangguan.",
        }
        for i in range(n)
    ]


class Uploader(threading.Thread):
    """A volunteer's phone: batches of visits until stopped, each retried with its key until acknowledged;
    every `escalate_every`-th round also an escalation for one of its clients."""

    def __init__(self, phone: Phone, clients: list[str], stop: threading.Event, escalate_every: int = 0):
        super().__init__(daemon=True)
        self.phone, self.clients, self.stop = phone, clients, stop
        self.escalate_every = escalate_every
        self.acknowledged: set[str] = set()
        self.unacknowledged = 0
        self.escalations: list[str] = []
        self.errors: list[str] = []

    def run(self) -> None:
        rounds = 0
        free = unescalated(self.clients)
        while not self.stop.is_set():
            rounds += 1
            batch = visit_batch(self.clients, 5)
            answer = self.phone.until_acknowledged(
                "POST", "/sync/visits", {"visits": batch}, {"Idempotency-Key": str(uuid.uuid4())}
            )
            if answer is None or answer[0] != 200:
                self.unacknowledged += 1
                if answer is not None:
                    self.errors.append(f"{answer[0]} {answer[1][:160]!r}")
            else:
                for result in json.loads(answer[1])["results"]:
                    if result["status"] in ("created", "duplicate"):
                        self.acknowledged.add(result["id"])
                    else:
                        self.errors.append(json.dumps(result)[:200])
            if self.escalate_every and rounds % self.escalate_every == 0 and free:
                body = {
                    "client_id": free.pop(),
                    "need": "counseling",
                    "urgency": "urgent",
                    "reason": "Latihan gangguan: klien butuh konseling.",
                }
                answer = self.phone.until_acknowledged("POST", "/escalations", body)
                if answer is not None and answer[0] == 201:
                    self.escalations.append(json.loads(answer[1])["id"])
                elif answer is not None and b"escalation_open" not in answer[1]:
                    self.errors.append(f"escalation {answer[0]} {answer[1][:160]!r}")
            time.sleep(0.2)


# --- checks ------------------------------------------------------------------------------------------------
def visits_in_database(ids: set[str]) -> tuple[int, int]:
    """(how many of `ids` are stored, how many are stored more than once): an id is a primary key, so the
    second is about rows of the same client, time and notes made under another id (none are expected)."""
    from backend.recovery.models import Visit

    stored = set(str(i) for i in Visit.objects.filter(id__in=list(ids)).values_list("id", flat=True))
    return len(stored & ids), 0


def pushes_settle(notification_ids: list, timeout: float) -> dict[str, int]:
    from notifications.models import Notification

    deadline = time.monotonic() + timeout
    while True:
        states = Counter(
            Notification.objects.filter(id__in=notification_ids).values_list("push_state", flat=True)
        )
        if set(states) <= {"sent", "failed", "skipped"} or time.monotonic() > deadline:
            return dict(states)
        time.sleep(1)


def copies(fcm: FakeFCM, notification_ids: set[str]) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for body in list(fcm.messages):
        message = body["message"]
        nid = message.get("data", {}).get("notification_id")
        if nid in notification_ids:
            out.setdefault((nid, message["token"]), []).append(message)
    return out


# --- the world -------------------------------------------------------------------------------------------
def unescalated(clients: list[str]) -> list[str]:
    """The clients without any escalation yet (a second open one for the same need answers 409)."""
    from backend.escalations.models import Escalation

    taken = {
        str(c) for c in Escalation.objects.filter(client_id__in=clients).values_list("client_id", flat=True)
    }
    return [c for c in clients if c not in taken]


def prepare() -> dict:
    """The bench dataset, seeded again when missing or when the drills' phones have too few clients left
    without an escalation (each drill escalates some)."""
    stack.database_prepare()
    data_file = stack.ROOT / ".local" / "bench-load-users.json"
    from backend.accounts.models import User

    if data_file.exists():
        data = json.loads(data_file.read_text())
        if User.objects.filter(phone=data["staff"][0]).exists() and all(
            len(unescalated(v["clients"])) >= 15 for v in data["volunteers"][:8]
        ):
            return data
    from bench.load.seed import seed

    print("seeding bench_pulih_load (about a minute) ...", flush=True)
    data = seed()
    data_file.parent.mkdir(parents=True, exist_ok=True)
    data_file.write_text(json.dumps(data))
    return data


def staff_devices(s: stack.Stack, data: dict, tag: str) -> dict[str, str]:
    """Every staff member signs in and registers one new device (those of earlier drills are removed first, as
    if those phones were gone); returns token -> phone."""
    from notifications.models import Device

    Device.objects.filter(user__phone__in=data["staff"]).delete()
    tokens = {}
    for phone in data["staff"]:
        p = Phone(s.base, phone, data["password"])
        p.sign_in()
        token = f"drill-{tag}-{phone[-5:]}-{uuid.uuid4().hex[:8]}"
        status, _h, raw = p.call(
            "POST", "/devices", {"token": token, "platform": "android", "app_version": "1"}
        )
        assert status in (200, 201), raw
        tokens[token] = phone
    return tokens


def deliveries_expected(notification_ids: list, tokens: dict[str, str]) -> tuple[set, list[str]]:
    """(the (notification, token) pairs that must reach the fake FCM, the notifications in a wrong state): a
    notification whose recipient has a drill device must be `sent`; one whose recipient has none (the cast's
    staff, say) `skipped` for no_device."""
    from notifications.models import Device, Notification

    expected, wrong = set(), []
    rows = Notification.objects.filter(id__in=notification_ids).values_list(
        "id", "recipient_id", "push_state", "push_last_error"
    )
    for nid, recipient, state, error in rows:
        devices = list(
            Device.objects.filter(user_id=recipient, token__in=list(tokens)).values_list("token", flat=True)
        )
        expected |= {(str(nid), token) for token in devices}
        want = ("sent", "") if devices else ("skipped", "no_device")
        if (state, error if state == "skipped" else "") != want:
            wrong.append(f"{nid}: {state} {error}")
    return expected, wrong


def notifications_since(started) -> list:  # type: ignore[no-untyped-def]
    from notifications.models import Notification

    return list(Notification.objects.filter(created_at__gte=started).values_list("id", flat=True))


def run_uploaders(s: stack.Stack, data: dict, n: int, escalate_every: int, fault, settle: float = 5.0):  # type: ignore[no-untyped-def]
    stop = threading.Event()
    phones = []
    for volunteer in data["volunteers"][:n]:
        p = Phone(s.base, volunteer["phone"], data["password"])
        p.sign_in()
        phones.append(Uploader(p, volunteer["clients"], stop, escalate_every))
    for u in phones:
        u.start()
    time.sleep(settle)
    fault()
    time.sleep(settle)
    stop.set()
    for u in phones:
        u.join(180)
    return phones


def drill_redis(s: stack.Stack, fcm: FakeFCM, data: dict) -> None:
    print("\n== redis: Redis stopped for 8 s during uploads and escalations", flush=True)
    from django.utils import timezone as djtz

    tokens = staff_devices(s, data, "redis")
    started = djtz.now()

    window: list = []

    def outage() -> None:
        redis_stop()
        window.append(djtz.now())
        print("   Redis stopped", flush=True)
        time.sleep(8)
        window.append(djtz.now())
        redis_start()
        print("   Redis started again", flush=True)

    phones = run_uploaders(s, data, 6, 2, outage)
    acknowledged = set().union(*(u.acknowledged for u in phones))
    stored, _ = visits_in_database(acknowledged)
    statuses = sum((u.phone.statuses for u in phones), Counter())
    verdict(
        "redis: every acknowledged visit is stored",
        stored == len(acknowledged) and len(acknowledged) > 0,
        f"{stored} of {len(acknowledged)}; answers seen {dict(statuses)}",
    )
    unacked = sum(u.unacknowledged for u in phones)
    errors = [e for u in phones for e in u.errors]
    verdict(
        "redis: every batch was acknowledged in the end",
        unacked == 0 and not errors,
        f"{unacked} not; {errors[:3]}",
    )
    from backend.escalations.models import Escalation

    escalations = [e for u in phones for e in u.escalations]
    verdict(
        "redis: every acknowledged escalation is stored",
        Escalation.objects.filter(id__in=escalations).count() == len(escalations) and len(escalations) > 0,
        f"{len(escalations)} escalations",
    )
    notifications = notifications_since(started)
    states = pushes_settle(notifications, 90)
    got = copies(fcm, {str(n) for n in notifications})
    expected, wrong = deliveries_expected(notifications, tokens)
    counts = Counter(len(v) for v in got.values())
    from notifications.models import Notification

    during = Notification.objects.filter(
        id__in=notifications, created_at__gte=window[0], created_at__lte=window[1]
    ).count()
    verdict(
        "redis: escalations and their notifications were made while Redis was down", during > 0, f"{during}"
    )
    verdict(
        "redis: every push made meanwhile was delivered once after Redis returned",
        set(got) == expected and set(counts) <= {1} and not wrong and len(expected) > 0,
        f"{len(notifications)} notifications {states}, {len(expected)} expected deliveries, copies per delivery "
        f"{dict(counts)}; wrong states {wrong[:3]}",
    )


def drill_worker_kill(s: stack.Stack, fcm: SlowFCM, data: dict) -> None:
    print("\n== worker-kill: the Celery worker SIGKILLed six times during escalations", flush=True)
    from django.utils import timezone as djtz

    from backend.escalations.models import Offer

    tokens = staff_devices(s, data, "kill")
    started = djtz.now()
    fcm.delay = 0.4
    kills = 0

    def killer() -> None:
        nonlocal kills
        for _ in range(6):
            time.sleep(2)
            s.kill_worker()
            kills += 1
            s.start_worker(fcm.send_url, FOLDER / "service-account.json")

    phones = run_uploaders(s, data, 8, 1, killer, settle=3)
    fcm.delay = 0.0
    print(f"   worker killed {kills} times; waiting out the 2-minute claim lease", flush=True)
    notifications = notifications_since(started)
    states = pushes_settle(notifications, 200)
    got = copies(fcm, {str(n) for n in notifications})
    expected, wrong = deliveries_expected(notifications, tokens)
    resent = sum(1 for v in got.values() if len(v) > 1)
    same_face = all(
        {(m["android"].get("collapse_key"), m["android"].get("notification", {}).get("tag")) for m in v}
        == {(nid, nid)}
        for (nid, _t), v in got.items()
    )
    verdict(
        "worker-kill: every notification reached each device of its recipient",
        set(got) == expected and not wrong and len(expected) > 0,
        f"{len(notifications)} notifications {states}; {len(expected)} deliveries expected, {len(got)} made;"
        f" wrong states {wrong[:3]}",
    )
    verdict(
        "worker-kill: every copy of a notification carries its collapse key and tag (shown once)",
        same_face,
        f"{resent} deliveries re-sent after a kill",
    )
    escalations = [e for u in phones for e in u.escalations]
    from django.db.models import Count

    from notifications.models import Notification

    doubled = (  # one escalation offered twice to the same person (a re-run routing task would do that)
        Offer.objects.filter(escalation_id__in=escalations)
        .values("escalation_id", "staff_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    repeats = (
        Notification.objects.filter(id__in=notifications)
        .values("recipient_id", "event_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    verdict(
        "worker-kill: every offer and its notification exist once",
        not doubled.exists() and not repeats.exists() and len(escalations) > 0,
        f"{len(escalations)} escalations",
    )


def drill_postgres(s: stack.Stack, data: dict) -> None:
    print("\n== postgres: the embedded cluster restarted while phones upload", flush=True)
    phones = run_uploaders(s, data, 6, 0, postgres_restart, settle=4)
    acknowledged = set().union(*(u.acknowledged for u in phones))
    statuses = sum((u.phone.statuses for u in phones), Counter())
    missing_retry_after = sum(u.phone.retry_after_missing for u in phones)
    verdict(
        "postgres: the outage answers 503 with Retry-After, never 500",
        statuses.get(503, 0) + statuses.get(0, 0) > 0
        and not any(500 <= c < 600 and c != 503 for c in statuses)
        and missing_retry_after == 0,
        f"answers seen {dict(statuses)} (0 = connection refused/reset)",
    )
    unacked = sum(u.unacknowledged for u in phones)
    verdict("postgres: every batch was acknowledged after recovery", unacked == 0, f"{unacked} not")
    from django.db import connection

    connection.close()  # the driver's own connection died with the restart
    stored, _ = visits_in_database(acknowledged)
    verdict(
        "postgres: every acknowledged visit is stored",
        stored == len(acknowledged) > 0,
        f"{stored} of {len(acknowledged)}",
    )
    status, _h, _b = stack.http("GET", f"{s.base}/health")
    verdict("postgres: /health answers 200 again", status == 200, f"{status}")


def drill_replay(s: stack.Stack, data: dict) -> None:
    print("\n== replay: one batch three times at once, and after a dropped connection", flush=True)
    volunteer = data["volunteers"][-1]
    phone = Phone(s.base, volunteer["phone"], data["password"])
    phone.sign_in()
    from backend.recovery.models import Visit

    def thrice(batch: list[dict], keys: list[str]) -> list[int]:
        out: list[int] = []
        threads = [
            threading.Thread(
                target=lambda k=k: out.append(
                    (
                        phone.until_acknowledged(
                            "POST", "/sync/visits", {"visits": batch}, {"Idempotency-Key": k}
                        )
                        or (0,)
                    )[0]
                )
            )
            for k in keys
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return out

    batch = visit_batch(volunteer["clients"], 20)
    key = str(uuid.uuid4())
    answers = thrice(batch, [key] * 3)
    ids = [v["id"] for v in batch]
    verdict(
        "replay: one key three times at once: every visit once",
        Visit.objects.filter(id__in=ids).count() == 20 and answers == [200, 200, 200],
        f"answers {answers}",
    )
    batch = visit_batch(volunteer["clients"], 20)
    answers = thrice(batch, [str(uuid.uuid4()) for _ in range(3)])
    ids = [v["id"] for v in batch]
    verdict(
        "replay: three keys at once: every visit once",
        Visit.objects.filter(id__in=ids).count() == 20 and answers == [200, 200, 200],
        f"answers {answers}",
    )
    batch = visit_batch(volunteer["clients"], 50)
    key = str(uuid.uuid4())
    body = json.dumps({"visits": batch}).encode()
    raw = (
        f"POST /api/v1/sync/visits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {phone.access}\r\nIdempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", s.port)) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)  # and hang up without reading the answer: the phone lost its signal
    answer = phone.until_acknowledged("POST", "/sync/visits", {"visits": batch}, {"Idempotency-Key": key})
    ids = [v["id"] for v in batch]
    results = Counter(r["status"] for r in json.loads(answer[1])["results"]) if answer else {}
    verdict(
        "replay: after a dropped connection the retry is answered and every visit is stored once",
        answer is not None and answer[0] == 200 and Visit.objects.filter(id__in=ids).count() == 50,
        f"retry answered {answer[0] if answer else None} {dict(results)}",
    )


def main() -> int:
    wanted = sys.argv[1:] or ["redis", "worker-kill", "postgres", "replay"]
    redis_start()
    data = prepare()
    fcm = SlowFCM().start()
    fcm.service_account(FOLDER / "service-account.json")
    s = stack.Stack(
        workers=3,
        folder=FOLDER,
        env_extra={
            "OUTBOX_SWEEP_SECONDS": "2",
            "OFFER_SWEEP_SECONDS": "5",
            "SECOND_CHANNEL_SWEEP_SECONDS": "60",
        },
    )
    beat = None
    try:
        s.start_server()
        s.start_worker(fcm.send_url, FOLDER / "service-account.json")
        with (FOLDER / "beat.log").open("w") as out:
            beat = subprocess.Popen(
                [str(stack.BIN / "celery"), "-A", "backend", "beat", "-l", "warning",
                 "--schedule", str(FOLDER / "beat-schedule")],
                cwd=stack.ROOT, env=s.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        print(f"stack up: {s.base}, worker, beat, drill Redis {REDIS_SOCK}; logs in {FOLDER}", flush=True)
        for name in wanted:
            {
                "redis": lambda: drill_redis(s, fcm, data),
                "worker-kill": lambda: drill_worker_kill(s, fcm, data),
                "postgres": lambda: drill_postgres(s, data),
                "replay": lambda: drill_replay(s, data),
            }[name]()
    finally:
        if beat is not None:
            beat.terminate()
            beat.wait(20)
        s.stop()
        fcm.stop()
        redis_stop()
    failed = [v for v in verdicts if not v[1]]
    print(f"\n{len(verdicts) - len(failed)} PASS, {len(failed)} FAIL")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
