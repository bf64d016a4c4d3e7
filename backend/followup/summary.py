"""Where clients stand in the follow-up ladder, as their record shows it: the level (tier) and since when, why
the episode started, and the day by which the next contact is due. Read for a page of clients at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from backend.followup.facts import FACTS_FIELDS, area_codes_of, facts_of_row, facts_queryset
from backend.followup.models import FollowUpState
from backend.followup.rules import next_contact_due_on, rules_for
from villages.calendar import local_date

NOT_FOLLOWED: dict[str, Any] = {"level": 0, "since": None, "reason": None, "next_contact_due_on": None}


@cache
def _facts_sql() -> tuple[str, tuple[Any, ...], int]:
    """The facts query of a set of clients, compiled once: (SQL, parameters, where the client ids go).

    Building and compiling the ORM expression (a dozen correlated subqueries) took three times as long as
    PostgreSQL took to run it for 200 clients, on every client record read. The ids are one array parameter, so
    the SQL text is the same whatever the set."""
    ids: list[uuid.UUID] = []
    qs = facts_queryset().filter(id__in=RawSQL("SELECT unnest(%s::uuid[])", [ids]))
    sql, params = qs.order_by("id").values_list(*FACTS_FIELDS).query.sql_with_params()
    (at,) = [i for i, p in enumerate(params) if p is ids]
    return sql, tuple(params), at


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
    sql, params, at = _facts_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params[:at], ids, *params[at + 1 :]])
        rows = cursor.fetchall()
    for f in map(facts_of_row, rows):
        today = local_date(instant=now, tz=f.tz)
        rules = rules_for(area_code=area_codes_of(f.village_id)[0])
        out[f.client_id]["next_contact_due_on"] = next_contact_due_on(f, today, rules)
    return out
