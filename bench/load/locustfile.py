"""Mixed mobile traffic against Pulih, for headless locust (driven by bench/bench_load.py).

    .venv/bin/locust -f bench/load/locustfile.py --headless -u 20 -r 20 -t 60s --host http://127.0.0.1:PORT
    (PULIH_LOAD_DATA names the JSON of bench/load/seed.py's users; bench/bench_load.py writes it)

Who, and what they do (weights in brackets, per simulated phone; `wait_time` between actions):
- volunteers (8 of 10 phones): sign in at start, a first `GET /sync/changes` (all pages), then incremental syncs
  [30], `POST /sync/visits` batches of 1-10 visits with an Idempotency-Key [12] (one in ten is a replay of the
  previous batch, key and body, as a phone does after a lost answer), `GET /tasks` [12], `POST /escalations` [3],
  and, as a phone newly set up, a new sign-in [1] and a new first sync [1];
- counselors and assessors (1 of 10): their offers `GET /escalations?status=offered` [6], the first one accepted
  [3], incremental sync [4], a new sign-in [1];
- coordinators (1 of 10): `GET /reports/monthly` of their area for this month [3], `GET /escalations` [3], a new
  sign-in [1].

Sign-ins and first syncs are far more frequent here (about 2% of requests each) than in the field, where a phone
signs in about once a month (30-day refresh tokens) and makes a first sync once per installation: they are the
dearest requests (a PBKDF2 password check; the phone's whole set), so the mix errs on the heavy side.

A sign-in answered 503 `sign_in_busy` (api/routers/auth.py: a server process checks only so many passwords at once)
is retried after its Retry-After, as the app does; it counts as a success under its own name,
"POST /auth/login (busy: retried)".
Expected refusals count as successes, each named: 409 `escalation_open` (the client has one open already), 409
`offer_not_open` / 403 `not_offered_to_you` (another staff member, or the expiry sweep, got there first). Anything
else that is not 2xx is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

DATA = json.loads(open(os.environ["PULIH_LOAD_DATA"]).read())  # noqa: SIM115, PTH123
PASSWORD = DATA["password"]
_volunteers = itertools.cycle(DATA["volunteers"])
_staff = itertools.cycle(DATA["staff"])
_coordinators = itertools.cycle(DATA["coordinators"])
# Business answers the app shows as they are, not server failures. `consent_required`: on the national set some
# clients have not given referral consent, and the volunteer is asked to record it first.
EXPECTED = {"escalation_open", "offer_not_open", "not_offered_to_you", "escalation_busy", "consent_required"}
WIB = timezone(timedelta(hours=7))


class Phone(FastHttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    phone = ""
    access = ""
    cursor: str | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}", "Accept-Language": "id"}

    def sign_in(self) -> None:
        """As the app does: 503 `sign_in_busy` (the server's password checks are all taken) is retried after its
        Retry-After, and counted under its own name ("... (busy: retried)"), not as a failure nor as a sign-in."""
        for _attempt in range(60):
            with self.client.post(
                "/api/v1/auth/login",
                json={"phone": self.phone, "password": PASSWORD},
                name="POST /auth/login",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    self.access = response.json()["access"]
                    return
                if response.status_code == 503 and "sign_in_busy" in response.text:
                    response.request_meta["name"] = "POST /auth/login (busy: retried)"  # not a sign-in
                    response.success()
                    retry_after = float(response.headers.get("Retry-After") or 1)
                else:
                    response.failure(f"login {response.status_code}: {response.text[:200]}")
                    return
            time.sleep(retry_after)

    def sync(self, first: bool) -> None:
        if first:
            self.cursor = None
        name = "GET /sync/changes (first)" if first else "GET /sync/changes (incremental)"
        for _page in range(50):
            params = f"?limit=500&cursor={self.cursor}" if self.cursor else "?limit=500"
            with self.client.get(
                "/api/v1/sync/changes" + params, headers=self.headers(), name=name, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    return
                page = response.json()
            self.cursor = page.get("next_cursor") or self.cursor
            if any(i.get("entity") == "scope" and i.get("op") == "reset" for i in page.get("items", [])):
                self.cursor = None
                continue
            if not page.get("has_more"):
                return

    def call(self, method: str, path: str, name: str, **kwargs: Any) -> Any:
        """One signed-in request, checked (`check`): the JSON answer of a 200/201, else None."""
        with self.client.request(
            method, path, headers=self.headers(), name=name, catch_response=True, **kwargs
        ) as response:
            self.check(response)
            return response.json() if response.status_code in (200, 201) else None

    def check(self, response, ok: tuple[int, ...] = (200, 201)) -> None:  # type: ignore[no-untyped-def]
        if response.status_code in ok:
            return
        try:
            code = response.json()["error"]["code"]
        except Exception:
            code = None
        if code in EXPECTED:
            response.success()
        else:
            response.failure(f"{response.status_code} {code}: {response.text[:200]}")


class Volunteer(Phone):
    weight = 8

    def on_start(self) -> None:
        me = next(_volunteers)
        self.phone, self.clients = me["phone"], me["clients"]
        self.last_batch: tuple[str, dict] | None = None
        self.sign_in()
        self.sync(first=True)

    @task(30)
    def incremental_sync(self) -> None:
        self.sync(first=False)

    @task(12)
    def upload_visits(self) -> None:
        if self.last_batch is not None and random.random() < 0.1:
            key, body = self.last_batch  # the answer was lost: the phone sends the same again
            name = "POST /sync/visits (replay)"
        else:
            now = datetime.now(WIB)
            body = {
                "visits": [
                    {
                        "id": str(uuid.uuid4()),
                        "client_id": random.choice(self.clients),
                        "occurred_at": (now - timedelta(minutes=random.randint(5, 3000))).isoformat(),
                        "type": "home_visit",
                        "participants": ["client"],
                        "latitude": -1.9 + random.uniform(-0.2, 0.2),
                        "longitude": 113.4 + random.uniform(-0.2, 0.2),
                        "location_accuracy_m": 12.0,
                        "outcome": "stabil",
                        "notes": "Klien di rumah, keluarga mendukung.",
                    }
                    for _ in range(random.randint(1, 10))
                ]
            }
            key = str(uuid.uuid4())
            self.last_batch = (key, body)
            name = "POST /sync/visits"
        with self.client.post(
            "/api/v1/sync/visits",
            json=body,
            headers={**self.headers(), "Idempotency-Key": key},
            name=name,
            catch_response=True,
        ) as response:
            self.check(response)
            if response.status_code == 200:
                results = response.json().get("results", [])
                bad = [r for r in results if r.get("status") == "rejected"]
                if bad:
                    response.failure(f"rejected visits: {bad[:2]}")

    @task(12)
    def task_list(self) -> None:
        self.call("GET", "/api/v1/tasks?status=open", "GET /tasks")

    @task(3)
    def escalate(self) -> None:
        body = {
            "client_id": random.choice(self.clients),
            "need": random.choice(["counseling", "assessment"]),
            "urgency": random.choice(["routine", "routine", "urgent"]),
            "reason": "Klien meminta bantuan konseling setelah kambuh.",
        }
        self.call("POST", "/api/v1/escalations", "POST /escalations", json=body)

    @task(1)
    def new_sign_in(self) -> None:
        self.sign_in()

    @task(1)
    def new_first_sync(self) -> None:
        self.sync(first=True)


class Staff(Phone):
    weight = 1

    def on_start(self) -> None:
        self.phone = next(_staff)
        self.offered: list[str] = []
        self.sign_in()

    @task(6)
    def offers(self) -> None:
        page = self.call(
            "GET", "/api/v1/escalations?status=offered&limit=20", "GET /escalations?status=offered"
        )
        if page is not None:
            self.offered = [e["id"] for e in page.get("items", [])]

    @task(3)
    def accept(self) -> None:
        if not self.offered:
            return
        escalation_id = self.offered.pop(0)
        self.call("POST", f"/api/v1/escalations/{escalation_id}/accept", "POST /escalations/{id}/accept")

    @task(4)
    def incremental_sync(self) -> None:
        self.sync(first=self.cursor is None)

    @task(1)
    def new_sign_in(self) -> None:
        self.sign_in()


class Coordinator(Phone):
    weight = 1

    def on_start(self) -> None:
        me = next(_coordinators)
        self.phone, self.area = me["phone"], me["area"]
        self.sign_in()

    @task(3)
    def monthly_report(self) -> None:
        month = datetime.now(WIB).strftime("%Y-%m")
        self.call("GET", f"/api/v1/reports/monthly?area={self.area}&month={month}", "GET /reports/monthly")

    @task(3)
    def escalations(self) -> None:
        self.call("GET", "/api/v1/escalations?limit=50", "GET /escalations")

    @task(1)
    def new_sign_in(self) -> None:
        self.sign_in()
