"""Phase 7: escalations with their offers, field tasks, and where each client stands in the follow-up ladder.

- A client in status "escalated" has an open case taken by a staff member (45% accepted, 55% scheduled with an
  appointment in the next three weeks, an accompany task for the volunteer); 30% of screened clients have a case
  not yet taken (70% offered, pending a day; 30% with the coordinator after two expired offers).
- A client in treatment has a case with its outcome recorded (still in the staff member's caseload; a follow-up
  task); one who went through treatment and on (post-rehab, recovered, dropped out) a closed case; post-rehab
  clients have their visits planned as tasks.
- A case goes to a staff member of the right kind in the client's regency (else province, else anywhere) whose
  caseload is under their cap; a quarter were declined once by someone else first.
- Follow-up: every active client was evaluated yesterday; those without contact for 14+ days are in an episode
  (tier 1, a task for the volunteer; 30+ days tier 2, a task for the village official too; 45+ days tier 3).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time

from django.db import connection

from datasets.national.copying import NULL, bare_table, copy_lines
from datasets.national.plan import Plan, day_of, epoch, ts, uid
from datasets.national.records import DAY, ENDED, field_users

ESCALATION_COLUMNS = (
    "id client_id need urgency reason status created_by_id assigned_to_id facility_id routing attempts "
    "appointment_at outcome outcome_notes diagnosis source version created_at updated_at accepted_at scheduled_at "
    "outcome_at closed_at to_coordinator_at cancelled_at cancel_reason previous_appointments"
).split()
OFFER_COLUMNS = (
    "id escalation_id staff_id facility_id distance_km tier legs leave_reason status offered_at expires_at "
    "answered_at decline_reason"
).split()
TASK_COLUMNS = (
    "id kind client_id escalation_id assignee_id due_on status priority released_on completed_at note rule_key "
    "version created_at updated_at"
).split()
FOLLOWUP_COLUMNS = "client_id tier tier_since episode_started_on trigger last_evaluated_on updated_at".split()
TREATMENT = {"outpatient": "F15.2", "inpatient": "F15.2", "methadone": "F11.2"}
NEED_ROLE = {"counseling": "counselor", "assessment": "assessor"}


class Staff:
    """Staff of each kind by regency and province, with their caseloads kept under their caps."""

    def __init__(self) -> None:
        self.by_area: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        self.cap: dict[str, int] = {}
        self.load: dict[str, int] = defaultdict(int)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ra.role, ra.user_id::text, f.id::text, f.village_id, u.caseload_cap FROM accounts_roleassignment ra "
                "JOIN villages_facility f ON f.id = ra.facility_id JOIN accounts_user u ON u.id = ra.user_id "
                "WHERE ra.role IN ('counselor', 'assessor') AND f.code LIKE 'SYN-%%' ORDER BY f.code, u.phone, ra.role"
            )
            for role, user, facility, village, cap in cursor.fetchall():
                for area in (village[:5], village[:2], ""):
                    self.by_area[(role, area)].append((user, facility))
                self.cap[user] = cap

    def pick(self, rng, need: str, village: str, *, counts: bool) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
        role = NEED_ROLE[need]
        for area in (village[:5], village[:2], ""):
            pool = self.by_area.get((role, area))
            if not pool:
                continue
            for _ in range(8):
                user, facility = rng.choice(pool)
                if not counts or self.load[user] < self.cap[user]:
                    if counts:
                        self.load[user] += 1
                    return user, facility
        return None


def _clients() -> list[tuple[str, str, str, float, float | None, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id::text, c.village_id, c.status, extract(epoch FROM c.last_contact_at)::float8, "
            "(SELECT extract(epoch FROM max(sc.at))::float8 FROM recovery_clientstatuschange sc "
            " WHERE sc.client_id = c.id AND sc.to_status = 'escalated'), "
            "CASE WHEN c.consent_withdrawn_at IS NULL THEN '' ELSE 'w' END "
            "FROM recovery_client c WHERE c.code LIKE 'SYN%%' ORDER BY c.code"
        )
        return cursor.fetchall()


def cases(plan: Plan, progress) -> int:  # type: ignore[no-untyped-def]
    rng = plan.rng("cases")
    staff = Staff()
    volunteers, officials = field_users(plan)
    now = epoch(plan.now)
    yesterday = day_of(now - DAY)
    out: dict[str, list[str]] = defaultdict(list)

    def task(kind: str, cid: str, esc: str, assignee: str, due: float, done: bool, created: float) -> None:
        status, completed = ("done", ts(min(now, due))) if done else ("open", NULL)
        out["task"].append(
            f"{uid(rng)}\t{kind}\t{cid}\t{esc}\t{assignee}\t{day_of(due)}\t{status}\t50\t{day_of(created)}\t"
            f"{completed}\t\tsyn:{kind}:{uid(rng)}\t1\t{ts(created)}\t{ts(min(now, max(created, due)))}\n"
        )

    def offer(esc: str, who: tuple[str, str], status: str, at: float, answered: float | None) -> None:
        out["offer"].append(
            # straight-line routing (no travel network in the set): tier "fallback", no legs
            f"{uid(rng)}\t{esc}\t{who[0]}\t{who[1]}\t{rng.uniform(0.5, 40):.2f}\tfallback\t[]\t\t{status}\t{ts(at)}\t"
            f"{ts(at + DAY)}\t{ts(answered) if answered else NULL}\t\n"
        )

    for cid, village, status, last, escalated_at, withdrawn in _clients():
        volunteer = (volunteers.get(village) or [None])[0]
        if withdrawn or volunteer is None:
            continue
        need = "assessment" if rng.random() < 0.6 else "counseling"
        esc = uid(rng)
        if status == "escalated" or (
            status in TREATMENT or status in ("post_rehab", "recovered", "dropped_out")
        ):
            created = escalated_at or (now - 30 * DAY)
            taken = status == "escalated" or status in TREATMENT
            who = staff.pick(rng, need, village, counts=taken)
            if who is None:
                continue
            accepted = created + rng.uniform(1, 24) * 3600
            if rng.random() < 0.25:
                other = staff.pick(rng, need, village, counts=False)
                if other and other[0] != who[0]:
                    offer(esc, other, "declined", created, created + rng.uniform(0.1, 0.9) * DAY)
            offer(esc, who, "accepted", created, accepted)
            appointment = scheduled = outcome = outcome_at = closed = diagnosis = NULL
            if status == "escalated":
                state = "accepted" if rng.random() < 0.45 else "scheduled"
                if state == "scheduled":
                    when = now + rng.uniform(1, 21) * DAY
                    appointment, scheduled = ts(when), ts(min(now, accepted + 3600))
                    task("accompany", cid, esc, volunteer, when, False, min(now, accepted + 3600))
            else:
                state = "outcome_recorded" if status in TREATMENT else "closed"
                done = accepted + rng.uniform(3, 14) * DAY
                appointment, scheduled = ts(done), ts(accepted + 3600)
                outcome, outcome_at, diagnosis = (
                    (status if status in TREATMENT else "outpatient"),
                    ts(done),
                    "F15.2",
                )
                if state == "closed":
                    closed = ts(min(now, done + rng.uniform(30, 120) * DAY))
                else:
                    task("follow_up", cid, esc, volunteer, done + 7 * DAY, rng.random() < 0.5, done)
            out["escalation"].append(
                f"{esc}\t{cid}\t{need}\troutine\t\t{state}\t{volunteer}\t{who[0]}\t{who[1]}\t{{}}\t1\t{appointment}\t"
                f"{outcome if outcome != NULL else ''}\t\t{diagnosis if diagnosis != NULL else ''}\tmanual\t1\t{ts(created)}\t"
                f"{ts(min(now, accepted))}\t{ts(accepted)}\t{scheduled}\t{outcome_at}\t{closed}\t{NULL}\t{NULL}\t\t[]\n"
            )
        elif status == "screened" and rng.random() < 0.3:
            created = now - rng.uniform(0.05, 0.8) * DAY
            if rng.random() < 0.7:
                who = staff.pick(rng, need, village, counts=True)
                if who is None:
                    continue
                offer(esc, who, "pending", created, None)
                state, to_coordinator = "offered", NULL
            else:
                for k in range(2):
                    who = staff.pick(rng, need, village, counts=False)
                    if who:
                        offer(esc, who, "expired", created - (2 - k) * DAY, created - (1 - k) * DAY)
                state, to_coordinator = "with_coordinator", ts(created)
            out["escalation"].append(
                f"{esc}\t{cid}\t{need}\troutine\t\t{state}\t{volunteer}\t{NULL}\t{NULL}\t{{}}\t1\t{NULL}\t\t\t\tmanual\t1\t"
                f"{ts(created - (2 * DAY if state == 'with_coordinator' else 0))}\t{ts(created)}\t{NULL}\t{NULL}\t{NULL}\t"
                f"{NULL}\t{to_coordinator}\t{NULL}\t\t[]\n"
            )
        if status == "post_rehab":
            for k in (7, 30, 90):
                due = (escalated_at or now - 60 * DAY) + (k + 30) * DAY
                task("post_rehab_visit", cid, NULL, volunteer, due, due < now, min(now, due - 7 * DAY))
        if status not in ENDED:
            quiet = (now - last) / DAY
            tier = 0 if quiet < 14 else 1 if quiet < 30 else 2 if quiet < 45 else 3
            since = episode = NULL
            trigger = ""
            if tier:
                episode, since, trigger = (
                    day_of(last + 14 * DAY),
                    day_of(last + (14, 30, 45)[tier - 1] * DAY),
                    "no_contact",
                )
                task(
                    "follow_up_contact",
                    cid,
                    NULL,
                    volunteer,
                    epoch_day(episode) + 3 * DAY,
                    False,
                    last + 14 * DAY,
                )
                if tier >= 2 and village in officials:
                    task(
                        "follow_up_village",
                        cid,
                        NULL,
                        officials[village],
                        last + 33 * DAY,
                        False,
                        last + 30 * DAY,
                    )
            out["followup"].append(
                f"{cid}\t{tier}\t{since}\t{episode}\t{trigger}\t{yesterday}\t{ts(now - DAY)}\n"
            )
    tables = [
        ("escalations_escalation", ESCALATION_COLUMNS, "escalation"),
        ("escalations_offer", OFFER_COLUMNS, "offer"),
        ("escalations_task", TASK_COLUMNS, "task"),
        ("followup_followupstate", FOLLOWUP_COLUMNS, "followup"),
    ]
    total = 0
    for table, columns, key in tables:
        with bare_table(table):
            total += copy_lines(table, columns, out.pop(key), progress)
    return total


def epoch_day(day: str) -> float:
    return datetime.combine(date.fromisoformat(day), time(), UTC).timestamp()
