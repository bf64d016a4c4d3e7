"""Scale-out drill: two "nodes" on this machine, each with its API server, two Celery workers and a Celery beat,
against one PostgreSQL and one Redis, under the locust load of bench/load/. Prints PASS/FAIL per property and exits
non-zero when one fails. Not timings: verdicts.

    .venv/bin/python bench/drills/drill_scaleout.py [--seconds 90] [--phones 6]

A node: gunicorn with gunicorn.conf.py (PULIH_ENV=production, GUNICORN_WORKERS=2: the "two API servers" of a node
are its two worker processes, each with its threads), two Celery workers (`-P solo`, pushing to the local fake FCM)
and a beat, all from bench/drills/scaleout_node.py. Both nodes share the bench database `bench_pulih_load` (the
data of bench/load/seed.py) and a Redis of the drill's own (its broker and rate limits). So **two beats run at
once** for the whole drill, as they would during a failover or by mistake, each firing every periodic job of
backend/settings.py on a compressed clock (the hourly and daily jobs every 10 s, the outbox sweep every 2 s,
offer expiry every 5 s), with the follow-up sweep's and the digest's local hours opened to the whole day.

Load: one headless locust per node (bench/load/locustfile.py: sign-ins, syncs, visit batches, tasks, escalations,
accepts, reports), `--phones` simulated phones each. Halfway, every pending offer is made to expire (its
`expires_at` moved to the past, as if its SLA had run out), so that both beats' expiry sweeps race over them, and
every open task falls due (the follow-up sweep's tasks are not due yet), so that both beats' digests race too.

What Pulih relies on for "exactly once" with several workers and beats (none of it is a beat lock):
- a notification is unique per (recipient, event key), a task per rule key, a channel message per notification
  and channel: a second sweep, from either beat, inserts nothing (ON CONFLICT / get_or_create on the key);
- an outbox row is claimed by a conditional UPDATE (pending -> sending) before it is pushed, so two workers never
  send it both; the FCM message carries the notification id as collapse key and tag besides;
- an offer is expired and re-offered under the escalation's row lock, and at most one offer per escalation is
  pending (a partial unique index);
- the follow-up sweep marks each client evaluated for the local day, and re-checks under the client's lock.

Verdicts: both beats fired every job; no job failed in any worker; every notification made during the drill is
pushed (or skipped for want of a device) and each device got each notification exactly once at the fake FCM; no
notification, task or digest twice; no escalation with two pending offers or offered twice to one person; every
expired offer followed by at most one new offer; the load answered without a server error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import drill_faults as df  # noqa: E402  (sets up Django against the bench database and the drill's Redis)

stack = df.stack
from tests.fakes.fcm import FakeFCM  # noqa: E402

verdict = df.verdict
JOBS = [
    "sweep-notification-outbox",
    "expire-escalation-offers",
    "followup-sweep",
    "task-digest",
    "sweep-second-channel",
    "purge-idempotency-keys",
    "check-sync-set-sizes",
    "prune-refresh-tokens",
    "prune-stale-devices",
]
NODE_ENV = {
    "FOLLOWUP_SWEEP_LOCAL_HOUR": "0",  # every area is due for its daily sweep now
    "TASKS_DIGEST_LOCAL_HOUR": "0",  # everyone's morning digest is due now
    "TASKS_DIGEST_LAST_LOCAL_HOUR": "23",
    "BEAT_EVERY_SECONDS": "10",
}


class Node:
    def __init__(self, name: str, fcm: FakeFCM) -> None:
        self.name = name
        self.folder = df.FOLDER / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.stack = stack.Stack(workers=2, folder=self.folder, env_extra=NODE_ENV)
        self.fcm = fcm
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        self.stack.start_server()
        env = {
            **self.stack.env(),
            "FIREBASE_CREDENTIALS_FILE": str(df.FOLDER / "service-account.json"),
            "PUSH_ENABLED": "true",
            "FAKE_FCM_SEND_URL": self.fcm.send_url,
        }
        from django.conf import settings

        env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        node = str(stack.ROOT / "bench" / "drills" / "scaleout_node.py")
        for role, arg in (
            ("worker", f"{self.name}-w1"),
            ("worker", f"{self.name}-w2"),
            ("beat", str(self.folder / "beat-schedule")),
        ):
            log = self.folder / f"{role}-{arg.rsplit('/', 1)[-1]}.log"
            with log.open("w") as out:
                self.procs[log.name] = subprocess.Popen(
                    [sys.executable, node, role, arg], cwd=stack.ROOT, env=env, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
        deadline = time.monotonic() + 120
        for name in self.procs:
            if not name.startswith("worker"):
                continue
            while "ready." not in (self.folder / name).read_text():
                if time.monotonic() > deadline or self.procs[name].poll() is not None:
                    raise RuntimeError(
                        f"{self.name} {name} did not start:\n" + (self.folder / name).read_text()
                    )
                time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        self.stack.stop()

    def logs(self, prefix: str) -> str:
        return "".join((self.folder / n).read_text() for n in self.procs if n.startswith(prefix))


def locust(node: Node, phones: int, seconds: int, data_file: Path) -> subprocess.Popen:
    command = [
        str(stack.BIN / "locust"), "-f", str(stack.ROOT / "bench" / "load" / "locustfile.py"), "--headless",
        "--only-summary", "-u", str(phones), "-r", str(max(1, phones // 2)), "-t", f"{seconds}s",
        "--host", node.stack.base.removesuffix("/api/v1"), "--csv", str(node.folder / "locust"),
        "--loglevel", "WARNING",
    ]  # fmt: skip
    with (node.folder / "locust.log").open("w") as log:
        return subprocess.Popen(
            command, env={**os.environ, "PULIH_LOAD_DATA": str(data_file)}, stdout=log,
            stderr=subprocess.STDOUT, cwd=stack.ROOT,
        )  # fmt: skip


def devices_for_everyone(data: dict) -> dict[str, str]:
    """One device per bench user (volunteers, staff, coordinators), written directly: the drill is about the
    workers and beats, not device registration. Devices of earlier runs are removed first. token -> phone."""
    from backend.accounts.models import User
    from notifications.models import Device

    phones = (
        [v["phone"] for v in data["volunteers"]] + data["staff"] + [c["phone"] for c in data["coordinators"]]
    )
    users = list(User.objects.filter(phone__in=phones))
    Device.objects.filter(user__in=users).delete()
    tokens = {f"scaleout-{u.phone[-6:]}-{uuid.uuid4().hex[:8]}": u for u in users}
    Device.objects.bulk_create(
        Device(user=u, token=t, platform="android", app_version="1") for t, u in tokens.items()
    )
    return {t: u.phone for t, u in tokens.items()}


def expire_pending_offers() -> int:
    """Every pending offer's SLA runs out now: both beats' expiry sweeps will race to re-offer them."""
    from datetime import timedelta

    from django.utils import timezone

    from backend.escalations.models import Offer

    return Offer.objects.filter(status="pending").update(expires_at=timezone.now() - timedelta(seconds=1))


def tasks_fall_due() -> int:
    """Every open task falls due (as if the days had passed), so that both beats' digest runs have digests to make."""
    from datetime import timedelta

    from django.utils import timezone

    from backend.tasks.models import Task

    return Task.objects.filter(status="open").update(due_on=timezone.localdate() - timedelta(days=1))


def beat_sends(log: str) -> Counter[str]:
    return Counter(re.findall(r"Sending due task ([\w-]+) ", log))


def read_locust(node: Node) -> dict:
    import csv

    rows = list(csv.DictReader((node.folder / "locust_stats.csv").open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failures = []
    path = node.folder / "locust_failures.csv"
    if path.exists():
        failures = [
            f"{r['Occurrences']}x {r['Name']}: {r['Error'][:120]}" for r in csv.DictReader(path.open())
        ]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"] or 0),
        "p95": float(total["95%"] or 0),
        "failure_lines": failures,
    }


def settle(started, timeout: float) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Wait until no notification made since `started` is still pending or sending."""
    from notifications.models import Notification

    deadline = time.monotonic() + timeout
    while True:
        states = Counter(
            Notification.objects.filter(created_at__gte=started).values_list("push_state", flat=True)
        )
        if not (set(states) & {"pending", "sending"}) or time.monotonic() > deadline:
            return dict(states)
        time.sleep(1)


def check(
    nodes: list[Node], fcm: FakeFCM, tokens: dict[str, str], started, expired_at, loads: list[dict]
) -> None:  # type: ignore[no-untyped-def]
    from django.db.models import Count

    from backend.escalations.models import Offer
    from backend.tasks.models import Task
    from notifications.models import Device, Notification

    # 1. both beats fired every job
    sends = [beat_sends(n.logs("beat")) for n in nodes]
    missing = [f"{n.name}: {job}" for n, s in zip(nodes, sends, strict=True) for job in JOBS if not s[job]]
    verdict(
        "two beats at once: both fired every periodic job",
        not missing,
        "; ".join(f"{n.name} {sum(s.values())} sends ({dict(s)})" for n, s in zip(nodes, sends, strict=True))
        + (f"; never fired: {missing}" if missing else ""),
    )
    # 2. no job failed in any worker, and every worker took work
    worker_logs = {
        f"{n.name}/{name}": (n.folder / name).read_text()
        for n in nodes
        for name in n.procs
        if name.startswith("worker")
    }
    failed = {
        w: len(re.findall(r"raised unexpected|Traceback|IntegrityError", log))
        for w, log in worker_logs.items()
    }
    took = {w: len(re.findall(r"succeeded in", log)) for w, log in worker_logs.items()}
    verdict(
        "no job failed in any of the four workers, and each ran jobs",
        not any(failed.values()) and all(took.values()),
        f"jobs succeeded per worker {took}; failures {failed}",
    )
    sweeps = sum(
        len(re.findall(r"followup_sweep_daily\[[^\]]+\] succeeded", log)) for log in worker_logs.values()
    )
    digests = sum(
        len(re.findall(r"task_digest_hourly\[[^\]]+\] succeeded", log)) for log in worker_logs.values()
    )
    # 3. every notification pushed once to each device of its recipient
    states = settle(started, 120)
    notifications = list(
        Notification.objects.filter(created_at__gte=started).values_list("id", "recipient_id", "push_state")
    )
    devices_of: dict = {}
    for token, user_id in Device.objects.filter(token__in=list(tokens)).values_list("token", "user_id"):
        devices_of.setdefault(user_id, set()).add(token)
    expected = {(str(nid), t) for nid, uid, _st in notifications for t in devices_of.get(uid, ())}
    got = df.copies(fcm, {str(nid) for nid, _u, _s in notifications})
    counts = Counter(len(v) for v in got.values())
    unsent = [
        str(nid) for nid, uid, st in notifications if st != ("sent" if devices_of.get(uid) else "skipped")
    ]
    kinds = Counter(Notification.objects.filter(created_at__gte=started).values_list("kind", flat=True))
    verdict(
        "every notification pushed exactly once to each device of its recipient (counted at the fake FCM)",
        len(expected) > 0 and set(got) == expected and set(counts) == {1} and not unsent,
        f"{len(notifications)} notifications {states} by kind {dict(kinds)}; {len(expected)} deliveries expected, "
        f"{len(got)} made, copies per delivery {dict(counts)}; in a wrong state {len(unsent)}",
    )
    # 4. no notification, task or digest twice
    twice = (
        Notification.objects.filter(created_at__gte=started)
        .values("recipient_id", "event_key").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # fmt: skip
    digest_twice = (
        Notification.objects.filter(created_at__gte=started, kind="task_digest")
        .values("recipient_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # fmt: skip
    new_tasks = Task.objects.filter(created_at__gte=started)
    task_twice = (
        new_tasks.values("client_id", "kind", "assignee_id", "due_on")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    verdict(
        "the sweeps' effects exist once: no notification, digest or follow-up task twice",
        twice == 0 and digest_twice == 0 and task_twice == 0 and kinds.get("task_digest", 0) > 0,
        f"follow-up sweep ran {sweeps} times, digest {digests} times; {new_tasks.count()} tasks made, "
        f"{kinds.get('task_digest', 0)} digests; twice: notifications {twice}, digests {digest_twice}, "
        f"tasks {task_twice}",
    )
    # 5. offers
    pending_twice = (
        Offer.objects.filter(status="pending")
        .values("escalation_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    offered_twice = (
        Offer.objects.filter(offered_at__gte=started)
        .values("escalation_id", "staff_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # fmt: skip
    expired = (
        Offer.objects.filter(status="expired", answered_at__gte=expired_at)
        if expired_at
        else Offer.objects.none()
    )
    after = Counter(
        Offer.objects.filter(escalation_id__in=expired.values("escalation_id"), offered_at__gte=expired_at)
        .values_list("escalation_id", flat=True)
    )  # fmt: skip
    reoffered_twice = sum(1 for n in after.values() if n > 1)
    verdict(
        "every offer once: no escalation with two pending offers or offered twice to one person; each expired "
        "offer followed by at most one new offer",
        pending_twice == 0 and offered_twice == 0 and reoffered_twice == 0 and expired.count() > 0,
        f"{Offer.objects.filter(offered_at__gte=started).count()} offers made, {expired.count()} expired by the "
        f"race of two sweeps, {sum(after.values())} re-offers; twice: pending {pending_twice}, to one person "
        f"{offered_twice}, re-offered {reoffered_twice}",
    )
    # 6. the load
    bad = [line for load in loads for line in load["failure_lines"]]
    total = sum(load["requests"] for load in loads)
    verdict(
        "both nodes answered the load without a server error",
        total > 0 and not any(re.search(r"\b5\d\d\b", line) for line in bad),
        "; ".join(
            f"{n.name}: {x['requests']} requests, {x['rps']:.1f}/s, p50 {x['p50']:.0f} ms, p95 {x['p95']:.0f} ms, "
            f"{x['failures']} failures"
            for n, x in zip(nodes, loads, strict=True)
        )
        + (f"; failures: {bad[:4]}" if bad else ""),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=90, help="how long the load runs")
    parser.add_argument("--phones", type=int, default=6, help="simulated phones per node")
    args = parser.parse_args()
    df.redis_start()
    data = df.prepare()
    data_file = df.FOLDER / "users.json"
    data_file.write_text(json.dumps(data))
    fcm = FakeFCM().start()
    fcm.service_account(df.FOLDER / "service-account.json")
    tokens = devices_for_everyone(data)
    from django.utils import timezone

    # Today's digests and the follow-up of earlier runs would hide this run's: the drill starts the day afresh (the
    # follow-up sweep finds every drifting client again and makes their tasks and messages anew).
    from backend.followup.models import FollowUpState
    from backend.tasks.models import Task
    from notifications.models import Notification

    Notification.objects.filter(kind="task_digest").delete()
    Notification.objects.filter(event_key__startswith="followup").delete()
    Task.objects.filter(rule_key__startswith="followup:").delete()
    FollowUpState.objects.all().delete()
    nodes = [Node("node-a", fcm), Node("node-b", fcm)]
    started = timezone.now()
    expired_at = None
    loads: list[dict] = []
    try:
        for node in nodes:
            node.start()
        print(
            f"two nodes up ({', '.join(n.stack.base for n in nodes)}), drill Redis {df.REDIS_SOCK}; logs in {df.FOLDER}",
            flush=True,
        )
        print(f"load average {os.getloadavg()}; {Task.objects.count()} tasks before", flush=True)
        sampler = stack.Sampler(
            {"gunicorn": lambda: [p for n in nodes for p in n.stack.server_pids()]}
        ).start()
        runs = [locust(n, args.phones, args.seconds, data_file) for n in nodes]
        time.sleep(args.seconds / 2)
        expired_at = timezone.now()
        print(f"   {expire_pending_offers()} pending offers made to expire", flush=True)
        print(f"   {tasks_fall_due()} open tasks fall due (the digests are made from now on)", flush=True)
        for run in runs:
            run.wait(args.seconds + 180)
        loads = [read_locust(n) for n in nodes]
        time.sleep(15)  # the last sweeps of both beats
        machine = stack.summarize(sampler.stop())
        check(nodes, fcm, tokens, started, expired_at, loads)
        # Each API node holds at most workers x threads connections (its pools), each Celery worker one, and the
        # drill itself one: the budget a province sizes max_connections by (README, "On several machines").
        budget = 2 * (2 * 4) + 2 * 2 + 1
        most = machine.get("pg_connections", {}).get("max", 0)
        verdict(
            "PostgreSQL connections stayed within the budget of the pools and workers",
            0 < most <= budget,
            f"at most {most} connections to the bench database (budget {budget}: 2 nodes x 2 API workers x 4 "
            f"threads, 4 Celery workers, the drill); machine busy {machine.get('machine_busy_pct')}, "
            f"gunicorn CPU {machine.get('cpu_gunicorn_pct')} % of a core, lock waits max "
            f"{machine.get('pg_lock_waits', {}).get('max')}",
        )
    finally:
        for node in nodes:
            node.stop()
        fcm.stop()
        df.redis_stop()
    failed = [v for v in df.verdicts if not v[1]]
    print(
        f"\n{len(df.verdicts) - len(failed)} PASS, {len(failed)} FAIL  (load average after {os.getloadavg()})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
