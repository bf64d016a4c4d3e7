"""Where clients stand in the follow-up ladder, as their record shows it: the level (tier) and since when, why
the episode started, and the day by which the next contact is due. Read for a page of clients at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from backend.followup.facts import area_codes_of, facts_load
from backend.followup.models import FollowUpState
from backend.followup.rules import next_contact_due_on, rules_for
from villages.calendar import local_date

NOT_FOLLOWED: dict[str, Any] = {"level": 0, "since": None, "reason": None, "next_contact_due_on": None}


def follow_up_summaries(*, client_ids: Iterable[uuid.UUID], now: datetime) -> dict[uuid.UUID, dict[str, Any]]:
    """client id -> {level 0-3, since (date the level began), reason (the episode's trigger), next_contact_due_on
    (a date in the client's area, or None when the ladder does not follow the client)}. Two queries."""
    ids = list(client_ids)
    if not ids:
        return {}
    out = {cid: dict(NOT_FOLLOWED) for cid in ids}
    states = FollowUpState.objects.filter(client_id__in=ids, tier__gt=0).values_list(
        "client_id", "tier", "tier_since", "trigger"
    )
    for cid, tier, since, trigger in states:
        out[cid].update(level=tier, since=since, reason=trigger or None)
    for f in facts_load(client_ids=ids):
        today = local_date(instant=now, tz=f.tz)
        rules = rules_for(area_code=area_codes_of(f.village_id)[0])
        out[f.client_id]["next_contact_due_on"] = next_contact_due_on(f, today, rules)
    return out
