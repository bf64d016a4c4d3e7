"""A page of the feed: the snapshot pages of a first sync, the change pages after it, the `leave` of visits that
aged out of the window, the scope reset, and the page as JSON. See the package's docstring for the cursors."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise

from backend.access.policy import change_log_scope_q
from backend.accounts.models import User
from backend.audit.services import access_log_record_many
from backend.mobile.feed.cursor import Cursor, cursor_decode, scope_fingerprint_of
from backend.mobile.feed.entities import BY_NAME, ENTITIES
from backend.mobile.sets import FEED_ENDPOINT, VISIT_WINDOW_DAYS, full_active_client_ids, window_start
from backend.recovery.models import ClientFamilyLink, Visit
from backend.recovery.records import JsonText
from backend.sync.models import ChangeLog

_HORIZON_SQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
SCOPE_RESET = "reset"


def _horizon() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_HORIZON_SQL}")
        return int(cursor.fetchone()[0])


def snapshot_page(user: User, cur: Cursor, limit: int, now: datetime) -> tuple[list[dict], Cursor, bool]:
    """Up to `limit` items of the snapshot from `cur`; the next cursor; whether the snapshot is done."""
    items: list[dict] = []
    phase, last = cur.phase, cur.last
    while phase < len(ENTITIES):
        entity = ENTITIES[phase]
        qs = (entity.snapshot or entity.visible)(user, now)
        if last:
            qs = qs.filter(id__gt=last)
        room = limit - len(items)
        records = entity.records(user, qs.order_by("id")[: room + 1])  # one more: is the phase done?
        ids = list(records)[:room]
        items += [{"entity": entity.name, "id": str(i), "op": "upsert", "data": records[i]} for i in ids]
        if len(records) > room:
            return items, replace(cur, phase=phase, last=str(ids[-1]) if ids else last), False
        phase, last = phase + 1, ""
    # Every change below the horizon is in the snapshot; the log takes over from there. The window start is the
    # first call's: every visit a snapshot page sent is at or after it (see `aged_visits`).
    return items, Cursor("c", cur.txid, 0, "0", cur.window_start or window_start(now)), True


def changes_page_of(user: User, cur: Cursor, limit: int, now: datetime) -> tuple[list[dict], Cursor, bool]:
    """Log rows after `cur` and below the current horizon, deduplicated to the entities' current state; once the
    log is drained, the visits that aged out of the window since the cursor's window start (`aged_visits`)."""
    qs = ChangeLog.objects.extra(  # noqa: S610 - fixed SQL, values are parameters
        where=["(txid, id) > (%s, %s)", f"txid < {_HORIZON_SQL}"], params=[cur.txid, int(cur.last)]
    )
    qs = qs.filter(change_log_scope_q(user=user))
    rows = list(
        qs.order_by("txid", "id").values_list("txid", "id", "entity", "entity_id", "op", "client_id")[
            : limit + 1
        ]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if any(entity == "scope" and op == SCOPE_RESET for _t, _i, entity, _e, op, _c in rows):
        # What the user may see changed (a role ended or moved): the phone drops its whole set, and the next
        # cursor is a first sync's, taken now (everything logged before it is in that snapshot).
        return reset(user, now)
    items: list[dict] = []
    nxt = cur
    if rows:
        items = _log_items(user, rows, now)
        nxt = replace(cur, txid=rows[-1][0], last=str(rows[-1][1]))
    if has_more:
        return items, nxt, False
    if len(items) >= limit:
        return items, nxt, True  # the sweep waits for the next call
    aged, nxt, swept = aged_visits(user, nxt, limit - len(items), now, {i["id"] for i in items})
    return items + aged, nxt, swept


def reset(user: User, now: datetime) -> tuple[list[dict], Cursor, bool]:
    """Drop the whole set: one `reset` item, and a first sync's cursor taken now (everything before is in it)."""
    item = {"entity": "scope", "id": str(user.id), "op": SCOPE_RESET, "data": None}
    return [item], Cursor("s", _horizon(), window_start=window_start(now)), False


def _log_items(user: User, rows: list[tuple], now: datetime) -> list[dict]:
    latest: dict[tuple[str, uuid.UUID], str] = {}
    for _txid, _id, entity, entity_id, op, client_id in rows:
        if entity == "escalation" and client_id is not None:
            # An offer made, accepted, declined or expired changes what staff may see of the client (minimal,
            # full, nothing): the client is re-read with the escalation.
            latest.setdefault(("client", client_id), "upsert")
        if entity in BY_NAME:
            latest.pop((entity, entity_id), None)  # re-insert: the item sits where its last change was
            latest[(entity, entity_id)] = op
    if client_ids := [i for e, i in latest if e == "client"]:
        # A client's change may be a consent (contact_family) given or withdrawn: its family members are re-sent,
        # so the phone number the phone holds follows the consent.
        for mid in ClientFamilyLink.objects.filter(
            client_id__in=client_ids, unlinked_at__isnull=True
        ).values_list("member_id", flat=True):
            latest.setdefault(("family_member", mid), "upsert")
    current: dict[str, dict[uuid.UUID, Any]] = {}
    for name in {e for e, _i in latest}:
        entity = BY_NAME[name]
        ids = [i for e, i in latest if e == name]
        current[name] = entity.records(user, entity.visible(user, now).filter(id__in=ids))
    items = []
    left: list[uuid.UUID] = []
    for (name, entity_id), op in latest.items():
        data = current[name].get(entity_id)
        if data is not None:
            items.append({"entity": name, "id": str(entity_id), "op": "upsert", "data": data})
        else:
            gone = "delete" if op == "delete" else "leave"
            items.append({"entity": name, "id": str(entity_id), "op": gone, "data": None})
            if name == "client":
                left.append(entity_id)
    return items + _visits_left(left, {(e, i) for e, i in latest}, now)


def _visits_left(client_ids: list[uuid.UUID], sent: set[tuple[str, uuid.UUID]], now: datetime) -> list[dict]:
    """A client who left the phone (closed, out of scope, consent withdrawn) takes the visits of the window
    along: `leave` for each one the phone may hold."""
    if not client_ids:
        return []
    visits = Visit.objects.filter(client_id__in=client_ids, occurred_at__gte=window_start(now))
    return [
        {"entity": "visit", "id": str(vid), "op": "leave", "data": None}
        for vid in visits.order_by("occurred_at", "id").values_list("id", flat=True)
        if ("visit", vid) not in sent
    ]


def aged_visits(
    user: User, cur: Cursor, room: int, now: datetime, sent: set[str]
) -> tuple[list[dict], Cursor, bool]:
    """`leave` for the visits of the caller's set that crossed out of the visit window since `cur.window_start`.

    Nothing is written when a visit ages out, so the log cannot say it: the cursor carries the window start the
    phone was last aligned to, and each call sends `leave` for the visits with occurred_at between it and the
    current window start (keyset on (occurred_at, id), so a long absence is paged like anything else).
    """
    current_start = window_start(now)
    start = cur.window_start or current_start
    if start >= current_start:
        return [], replace(cur, window_start=start, window_last=""), True
    qs = Visit.objects.filter(client_id__in=full_active_client_ids(user), occurred_at__lt=current_start)
    if cur.window_last:
        qs = qs.filter(Q(occurred_at__gt=start) | Q(occurred_at=start, id__gt=cur.window_last))
    else:
        qs = qs.filter(occurred_at__gte=start)
    rows = list(qs.order_by("occurred_at", "id").values_list("id", "occurred_at")[: room + 1])
    full = len(rows) > room
    rows = rows[:room]
    items = [
        {"entity": "visit", "id": str(vid), "op": "leave", "data": None}
        for vid, _at in rows
        if str(vid) not in sent
    ]
    if full:
        return items, replace(cur, window_start=rows[-1][1], window_last=str(rows[-1][0])), False
    return items, replace(cur, window_start=current_start, window_last=""), True


def changes_page(*, user: User, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the feed: {items, next_cursor, has_more, visit_window_days}. Writes nothing but the access
    log of the clients and visits it serves (the oversize report is a beat job: sets.sync_sets_report_oversize)."""
    now = timezone.now()
    fingerprint = scope_fingerprint_of(user)
    cur = cursor_decode(cursor) if cursor else Cursor("s", _horizon(), window_start=window_start(now))
    items: list[dict] = []
    done = True
    if cur.scope and cur.scope != fingerprint:
        # The caller's roles changed since this cursor was made (no log row says so): start again.
        items, cur, done = reset(user, now)
    elif cur.kind == "s":
        items, cur, snapshot_done = snapshot_page(user, cur, limit, now)
        done = False
        if snapshot_done and len(items) < limit:
            more, cur, done = changes_page_of(user, cur, limit - len(items), now)
            items += more
    else:
        items, cur, done = changes_page_of(user, cur, limit, now)
    read = [
        i["data"].client_id if i["entity"] == "visit" else uuid.UUID(i["id"])
        for i in items
        if i["op"] == "upsert" and i["entity"] in ("client", "visit")
    ]
    if read:
        access_log_record_many(user=user, client_ids=read, endpoint=FEED_ENDPOINT)
    return {
        "items": items,
        "next_cursor": replace(cur, scope=fingerprint).encode(),
        "has_more": not done,
        "visit_window_days": VISIT_WINDOW_DAYS,
    }


class _RecordEncoder(json.JSONEncoder):
    """A record's Python values as JSON: ids as text, times and dates in ISO 8601 (full precision)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date | time):
            return o.isoformat()
        if isinstance(o, uuid.UUID | Promise):
            return str(o)
        return super().default(o)


def record_json(record: Any) -> str:
    """A record as the feed writes it: JSON built by the database as it is, anything else encoded."""
    if isinstance(record, JsonText):
        return record
    return json.dumps(record, ensure_ascii=False, cls=_RecordEncoder)


def page_json(page: dict[str, Any]) -> str:
    """The page as JSON text, with the database-built records (JsonText) inserted as they are."""
    # The head of an item is written as text: entity and op are the feed's own words and the id a UUID, nothing
    # to escape (json.dumps per item cost a tenth of a 5,000-item page).
    parts = [
        f'{{"entity":"{item["entity"]}","id":"{item["id"]}","op":"{item["op"]}","data":{record_json(item["data"])}}}'
        for item in page["items"]
    ]
    rest = json.dumps({k: v for k, v in page.items() if k != "items"})
    return '{"items":[' + ",".join(parts) + "]," + rest[1:]
