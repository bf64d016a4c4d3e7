"""What the follow-up does (the rules are rules.py): the steps of an episode, lost contact, and the reactions to
what a contact found. Called by the sweep and the handlers, inside their transaction; tasks go through
tasks.rules (idempotent by rule_key: client, episode start date, tier, assignee), messages through
notify (idempotent by event_key), status changes through recovery's client_transition.

Stored texts (task notes) are written in the source language, Bahasa Indonesia, whatever the request's.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.followup.facts import People, failed_attempts_since_contact
from backend.followup.models import FollowUpState, Trigger
from backend.followup.rules import TIER_TASK_KINDS, TOP_TIER, Decision, Facts, Rules
from backend.recovery.lifecycle import ClientStatus, can_transition
from backend.recovery.models import Client, ClientStatusChange, ContactAttempt
from backend.recovery.transitions import client_transition, clients_transition_many
from backend.sync.changelog import change_record_addressed
from backend.tasks.models import Task, TaskKind, TaskStatus
from backend.tasks.priority import task_priority
from backend.tasks.rules import PENDING, TaskSpec, task_ensure
from notifications.services import Notice, notify
from villages.calendar import local_date

logger = logging.getLogger(__name__)


def _stored_text(text: object, params: dict[str, object] | None = None) -> str:
    """A text to store: in the source language whatever the request's, its params filled in that language."""
    with translation.override("id"):
        return str(text) % params if params else str(text)


def _reason(f: Facts, d: Decision, rules: Rules) -> str:
    """Why the episode runs, for the task's note (no family detail, nothing beyond what the assignee sees)."""
    if d.trigger == Trigger.FAILED_ATTEMPTS:
        return _stored_text(
            _("%(count)d upaya kontak berturut-turut tidak berhasil."), {"count": f.failed_in_row}
        )
    if d.trigger == Trigger.MISSED_VISIT and f.next_visit_on is not None:
        date_text = f"{f.next_visit_on:%d-%m-%Y}"
        return _stored_text(_("Kunjungan yang direncanakan pada %(date)s terlewat."), {"date": date_text})
    return _stored_text(_("Belum ada kontak dengan klien selama %(days)d hari."), {"days": d.days})


def _note(f: Facts, d: Decision, rules: Rules, tier: int, people: People) -> str:
    parts = [_reason(f, d, rules)]
    if tier == 1:
        parts.append(_stored_text(_("Hubungi klien dan catat hasilnya di aplikasi.")))
    else:
        parts.append(
            _stored_text(_("Agen pemulihan belum berhasil menghubungi klien: mohon bantu menghubunginya."))
        )
        if f.client_id in people.family_reachable:
            parts.append(
                _stored_text(
                    _("Klien mengizinkan keluarganya dihubungi: keluarga dapat dihubungi melalui Anda.")
                )
            )
    return " ".join(parts)


def tier_enter(
    *,
    f: Facts,
    d: Decision,
    state: FollowUpState,
    tier: int,
    today: date,
    rules: Rules,
    people: People,
    specs: list[TaskSpec],
    notices: list[Notice],
) -> None:
    """Give the client tier `tier`, passing at once any tier with no one to give it to; set the state. The tasks
    are added to `specs` and the notifications to `notices` (the caller stores a chunk's at once:
    tasks.rules.tasks_ensure_many, notifications.services.notify_many).

    Tier 1: a follow_up_contact task per volunteer; tier 2: a follow_up_village task for one village official;
    tier 3: the coordinators and the admins of facilities holding an open case are told, and if no one holds an
    open follow-up task (no field worker in the village, or theirs still queued) the first coordinator gets one.
    Tier 1 and 2 tasks count against the field worker's daily cap (they may be queued: tasks.workload); the
    coordinator's never do, so someone named always holds an open task by tier 3."""
    episode = state.episode_started_on or today
    due = today + timedelta(days=max(rules.tier_days - 1, 0))
    given = len(specs)

    def give(kind: str, users: list[User], tier: int) -> None:
        priority = task_priority(
            kind,
            tier=tier,
            post_rehab=f.status == ClientStatus.POST_REHAB,
            trigger=d.trigger,
            days_unseen=d.days,
        )
        specs.extend(
            TaskSpec(
                kind=kind,
                assignee=user,
                due_on=due,
                rule_key=f"followup:{f.client_id}:{episode:%Y%m%d}:t{tier}:{user.id}",
                client_id=f.client_id,
                client_code=f.code,
                note=_note(f, d, rules, 2 if tier == 2 else 1, people),
                priority=priority,
                capped=tier < TOP_TIER,
            )
            for user in users
        )

    while tier < TOP_TIER:
        users = people.volunteers(f.client_id, f.village_id) if tier == 1 else people.official(f.village_id)
        if users:
            give(TaskKind.FOLLOW_UP_CONTACT if tier == 1 else TaskKind.FOLLOW_UP_VILLAGE, users, tier)
            break
        tier += 1
    if tier == TOP_TIER:
        coordinators = people.coordinators(f.village_id)
        notices.extend(
            Notice(
                recipient=user,
                kind="followup_tier3",
                event_key=f"followup:{f.client_id}:{episode:%Y%m%d}:t3",
                params={"client_code": f.code, "days": d.days},
                data={"client_id": f.client_id},
            )
            for user in dict.fromkeys(coordinators + people.admins_of_open_cases(f.client_id))
        )
        if f.client_id not in people.holding and len(specs) == given:
            give(TaskKind.FOLLOW_UP_CONTACT, coordinators[:1], TOP_TIER)
    state.tier, state.tier_since, state.episode_started_on = tier, today, episode
    state.trigger = state.trigger or d.trigger


def lost_contact(*, f: Facts, d: Decision) -> None:
    """No contact for FOLLOWUP_LOST_CONTACT_DAYS with the ladder run: the client is lost_contact (the status
    change ends the episode: handlers.py)."""
    failed = failed_attempts_since_contact([f.client_id]).get(f.client_id, 0)
    reason = f"followup:no_contact_days={d.days};failed_attempts={failed}"
    client_transition(client_id=f.client_id, to_status=ClientStatus.LOST_CONTACT, actor=None, reason=reason)


def episodes_end(*, client_ids: Iterable[uuid.UUID], status: str = TaskStatus.DONE) -> int:
    """End the clients' episodes: tier 0, their open follow-up tasks done (a contact) or cancelled (no more
    follow-up: refused, moved away, consent withdrawn, left the programme). Returns the tasks closed."""
    ids = sorted(set(client_ids), key=str)
    if not ids:
        return 0
    tasks = Task.objects.select_for_update().filter(
        client_id__in=ids, kind__in=TIER_TASK_KINDS, status__in=PENDING
    )
    closed = _tasks_close(tasks, status)
    FollowUpState.objects.filter(client_id__in=ids, tier__gt=0).update(
        tier=0, tier_since=None, episode_started_on=None, trigger="", updated_at=timezone.now()
    )
    return closed


def handovers_close(*, client_ids: Iterable[uuid.UUID], status: str) -> int:
    tasks = Task.objects.select_for_update().filter(
        client_id__in=list(client_ids), kind=TaskKind.CLIENT_HANDOVER, status=TaskStatus.OPEN
    )
    return _tasks_close(tasks, status)


def _tasks_close(tasks, status: str) -> int:  # type: ignore[no-untyped-def]
    """Close the tasks: a queued one (never given to anyone) is cancelled whatever `status` is. Each is saved as
    `task_save` does (new version, change logged), in one UPDATE and one INSERT for them all."""
    closed = list(tasks.order_by("client_id", "id"))
    if not closed:
        return 0
    now = timezone.now()
    for task in closed:
        task.status = status if task.status == TaskStatus.OPEN else TaskStatus.CANCELLED
        task.completed_at = now if status == TaskStatus.DONE else None
        task.version += 1
        task.updated_at = now
    Task.objects.bulk_update(closed, ["status", "completed_at", "version", "updated_at"])
    change_record_addressed(entity="task", rows=[(t.id, t.client_id, t.assignee_id) for t in closed])
    return len(closed)


def lost_contacts_resume(*, contacts: dict[uuid.UUID, datetime], actor: User | None) -> list[uuid.UUID]:
    """A lost_contact client reached again resumes the status they had before (when the lifecycle allows it,
    else community recovery). A contact from before the loss brings no one back."""
    lost = list(
        Client.objects.filter(id__in=list(contacts), status=ClientStatus.LOST_CONTACT).values_list(
            "id", flat=True
        )
    )
    if not lost:
        return []
    last_loss = {
        cid: (before, at)
        for cid, before, at in ClientStatusChange.objects.filter(
            client_id__in=lost, to_status=ClientStatus.LOST_CONTACT
        )
        .order_by("client_id", "-at")
        .distinct("client_id")
        .values_list("client_id", "from_status", "at")
    }
    targets = {}
    for client_id in lost:
        before, at = last_loss.get(client_id, (ClientStatus.COMMUNITY_RECOVERY, None))
        if at is not None and contacts[client_id] <= at:
            continue
        targets[client_id] = (
            before if can_transition(ClientStatus.LOST_CONTACT, before) else ClientStatus.COMMUNITY_RECOVERY
        )
    # Locked under the transition: a client no longer lost_contact (moved meanwhile) is left as is.
    return clients_transition_many(
        targets=targets, from_status=ClientStatus.LOST_CONTACT, actor=actor, reason="contact_resumed"
    )


def pause_for_refusal(
    *, attempt: ContactAttempt, tz: str, code: str, village_id: str, rules: Rules, people: People
) -> None:
    """The client refused: no follow-up attempts for FOLLOWUP_REFUSED_PAUSE_DAYS, and the coordinator is told."""
    until = local_date(instant=attempt.occurred_at, tz=tz) + timedelta(days=rules.refused_pause_days)
    state, _new = FollowUpState.objects.select_for_update().get_or_create(client_id=attempt.client_id)
    if state.paused_until is None or state.paused_until < until:
        FollowUpState.objects.filter(client_id=attempt.client_id).update(
            paused_until=until, updated_at=timezone.now()
        )
    episodes_end(client_ids=[attempt.client_id], status=TaskStatus.CANCELLED)
    for user in people.coordinators(village_id):
        notify(
            recipient=user,
            kind="followup_refused",
            event_key=f"followup_refused:{attempt.id}",
            params={"client_code": code, "until": f"{until:%d-%m-%Y}"},
            data={"client_id": attempt.client_id},
        )


def handover_ask(*, attempt: ContactAttempt, tz: str, village_id: str, rules: Rules, people: People) -> None:
    """Reported moved away: the follow-up stops, and the regency's coordinator gets a task to hand the client to
    their new area (or close the record)."""
    episodes_end(client_ids=[attempt.client_id], status=TaskStatus.CANCELLED)
    if Task.objects.filter(
        client_id=attempt.client_id, kind=TaskKind.CLIENT_HANDOVER, status=TaskStatus.OPEN
    ).exists():
        return
    reported_on = f"{local_date(instant=attempt.occurred_at, tz=tz):%d-%m-%Y}"
    note = _stored_text(_("Dilaporkan pindah pada %(date)s."), {"date": reported_on})
    if attempt.note:
        note += " " + _stored_text(_("Catatan petugas: %(note)s"), {"note": attempt.note})
    for user in people.coordinators(village_id)[:1]:
        task_ensure(
            kind=TaskKind.CLIENT_HANDOVER,
            assignee=user,
            due_on=local_date(instant=timezone.now(), tz=tz) + timedelta(days=rules.handover_days),
            rule_key=f"handover:{attempt.id}:{user.id}",
            client_id=attempt.client_id,
            note=note,
        )
