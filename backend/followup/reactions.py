"""What a contact changes for the follow-up (called by handlers.py, inside the transaction that stored it).

- reached (a `reached` attempt, or any stored visit): a lost_contact client resumes their status; an episode
  with no trigger left ends, its open follow-up tasks done;
- wrong_number: the client's phone is flagged for correction (`Client.phone_flagged`);
- refused: no follow-up for FOLLOWUP_REFUSED_PAUSE_DAYS, the coordinator is told;
- moved_away: the follow-up stops, the regency's coordinator gets a hand-over task;
- deceased: the client moves to `deceased` (reason `contact_attempt:<id>`).
A refusal or a move reported by an attempt older than the client's last contact changes nothing (they were
reached since). in_hospital and in_prison are recorded (and break a row of failed attempts), nothing more.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone

from backend.accounts.models import User
from backend.followup.actions import episodes_end, handover_ask, lost_contacts_resume, pause_for_refusal
from backend.followup.facts import area_codes_of, facts_load, people_load
from backend.followup.models import FollowUpState
from backend.followup.rules import END, Decision, Facts, evaluate, rules_for
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import Client, ContactAttempt, ContactResult
from backend.recovery.transitions import client_transition
from backend.sync.changelog import change_record_many
from villages.calendar import local_date


def contacts_reached(*, contacts: dict[uuid.UUID, datetime], actor: User | None) -> None:
    """The clients were seen at these times (their latest contact of a batch)."""
    if not contacts:
        return
    lost_contacts_resume(contacts=contacts, actor=actor)
    ids = sorted(contacts, key=str)
    in_episode = list(
        FollowUpState.objects.select_for_update()
        .filter(client_id__in=ids, tier__gt=0)
        .order_by("client_id")
        .values_list("client_id", flat=True)
    )
    if not in_episode:
        return
    now = timezone.now()
    over = [f.client_id for f in facts_load(client_ids=in_episode) if _evaluate_now(f, now).step == END]
    episodes_end(client_ids=over)


def _evaluate_now(f: Facts, now: datetime) -> Decision:
    return evaluate(f, local_date(instant=now, tz=f.tz), rules_for(area_code=area_codes_of(f.village_id)[0]))


def attempts_react(*, attempts: list[ContactAttempt], actor: User) -> None:
    """React to a batch of new attempts by one author (in client, time order)."""
    reached: dict[uuid.UUID, datetime] = {}
    latest: dict[tuple[uuid.UUID, str], ContactAttempt] = {}
    for a in attempts:
        latest[(a.client_id, a.result)] = a  # the batch comes in time order: the last one wins
        if a.result == ContactResult.REACHED:
            reached[a.client_id] = max(a.occurred_at, reached.get(a.client_id, a.occurred_at))
    contacts_reached(contacts=reached, actor=actor)
    ids = {a.client_id for a in attempts}
    clients = {
        row[0]: row
        for row in Client.objects.filter(id__in=ids).values_list(
            "id", "code", "village_id", "village__timezone", "last_contact_at", "status"
        )
    }
    flagged = sorted({cid for (cid, result) in latest if result == ContactResult.WRONG_NUMBER}, key=str)
    if flagged:
        Client.objects.filter(id__in=flagged).update(phone_flagged=True)
        change_record_many(entity="client", rows=[(c, clients[c][2], c) for c in flagged])
    stopping = [
        a
        for (cid, result), a in sorted(latest.items(), key=lambda item: str(item[0][0]))
        if result in (ContactResult.REFUSED, ContactResult.MOVED_AWAY)
        and (clients[cid][4] is None or a.occurred_at >= clients[cid][4])
    ]
    if stopping:
        people = people_load({a.client_id: clients[a.client_id][2] for a in stopping})
        for a in stopping:
            _cid, code, village_id, tz, _last, _status = clients[a.client_id]
            rules = rules_for(area_code=area_codes_of(village_id)[0])
            if a.result == ContactResult.REFUSED:
                pause_for_refusal(
                    attempt=a, tz=tz, code=code, village_id=village_id, rules=rules, people=people
                )
            else:
                handover_ask(attempt=a, tz=tz, village_id=village_id, rules=rules, people=people)
    for (cid, result), a in sorted(latest.items(), key=lambda item: str(item[0][0])):
        if result == ContactResult.DECEASED and clients[cid][5] != ClientStatus.DECEASED:
            client_transition(
                client_id=cid, to_status=ClientStatus.DECEASED, actor=actor, reason=f"contact_attempt:{a.id}"
            )
