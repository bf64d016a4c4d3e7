"""`GET /sync/changes`: what a phone must hold, first as a snapshot, then as changes since a cursor.

A phone's set is bounded: active clients in the caller's scope (closed ones, `lifecycle.CLOSED`, are not in
it), the family members linked to them, their visits of the last `SYNC_VISIT_WINDOW_DAYS` days, the caller's
open tasks of those clients, the open escalations of those clients the caller may see (the escalations app's
scope), and the caller's notifications of that window. Staff merely offered a case (`access: minimal`) get the
client and the escalation as the API shows them: no status, no name, no outcome, no one else's assignment.

Two kinds of cursor, both opaque base64 to the phone:
- snapshot `s:<horizon>:<phase>:<last id>:<window start>:<scope>`: a first sync (no cursor) pages through the
  current set, entity by entity, keyset by id. `horizon` is `pg_snapshot_xmin(pg_current_snapshot())` taken at
  the first call: every change of a transaction below it was committed before the snapshot began, so the
  snapshot shows it; every change at or above it is replayed from the log afterwards (an upsert of the current
  state is harmless twice).
- changes `<txid>:<id>:<window start>:<last visit id>:<scope>`: log rows after (txid, id), and only below the
  current horizon, so a transaction that commits later (it has a txid at or above the horizon) is never
  skipped (see models.ChangeLog). The window start (microseconds since 1970) is where the phone's visit window
  began when it was last aligned: once the log is drained, visits that aged out since then are sent as `leave`
  (`_aged_visits`; nothing is written when a visit ages out). Cursors of the earlier formats (`<txid>:<id>`,
  `s:<horizon>:<phase>:<last id>`) are still accepted.

Several log rows for one entity in a page become one item carrying the entity's current state, read in bulk per
entity type. An entity no longer in the caller's set answers `leave` (a client that closed, a visit outside the
window, a client no longer in scope), or `delete` when its last change was a deletion. A client's `leave`
means: drop the client and everything attached to it. Task, notification and scope rows go to their addressee
(`user_id`) only. When what the user may see changed, the feed answers one item
`{"entity": "scope", "op": "reset"}`: drop everything; the next cursor is a first sync's. Two things say so:
every cursor carries a fingerprint of the user's role assignments (`_scope_fingerprint`), and a `scope` log row
(`services.sync_scope_reset`) forces it for changes the fingerprint cannot see.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.access import (
    change_log_scope_q,
    client_qs_with_access_for,
    escalation_qs_for,
    scope_fingerprint,
    scope_for,
    with_case_view,
)
from backend.accounts.models import Role, User
from backend.audit.services import access_log_record_many
from backend.errors import ValidationFailed
from backend.escalations.models import ACTIVE_STATUSES, OFFER_IN_VIEW_STATUSES, Escalation, Offer
from backend.recovery.lifecycle import CLOSED
from backend.recovery.models import Client, ClientFamilyLink, ConsentScope, FamilyMember, Visit
from backend.recovery.visits.consent import consents_in_force_many
from backend.sync.models import ChangeLog, SyncSetReport
from backend.tasks.models import Task, TaskStatus
from notifications.models import Notification
from notifications.services import notify

logger = logging.getLogger(__name__)

VISIT_WINDOW_DAYS: int = settings.SYNC_VISIT_WINDOW_DAYS
FEED_ENDPOINT = "sync_changes"
_HORIZON_SQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


# --- the cursor ---------------------------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    kind: str  # "s" (snapshot) | "c" (changes)
    txid: int  # the horizon of a snapshot, or the last served log row's txid
    phase: int = 0  # snapshot: index into ENTITIES
    last: str = ""  # snapshot: last id served in that phase; changes: last log row id
    # The visit window's start the phone's set was last aligned to (see `_aged_visits`), and the last visit
    # served a `leave` at that time (a sweep cut by the page limit goes on from there). None: "now", i.e. an
    # old cursor without it (nothing to sweep).
    window_start: datetime | None = None
    window_last: str = ""
    # The fingerprint of the caller's scope when the cursor was made (`_scope_fingerprint`); "" = unknown.
    scope: str = ""

    def encode(self) -> str:
        ws = "" if self.window_start is None else str(_us(self.window_start))
        if self.kind == "s":
            raw = f"s:{self.txid}:{self.phase}:{self.last}:{ws}:{self.scope}"
        else:
            raw = f"{self.txid}:{self.last}:{ws}:{self.window_last}:{self.scope}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uuid_text(raw: str) -> str:
    if raw and str(uuid.UUID(raw)) != raw:
        raise ValueError
    return raw


def _bigint(raw: str) -> int:
    """A txid or log id: PostgreSQL's bigint, so a forged cursor never reaches the database as a DataError."""
    value = int(raw)
    if not 0 <= value < 2**63:
        raise ValueError
    return value


def _window_decode(raw: str) -> datetime | None:
    return _EPOCH + timedelta(microseconds=int(raw)) if raw else None


def _scope_decode(raw: str) -> str:
    if raw and (len(raw) != _SCOPE_HEX or any(c not in "0123456789abcdef" for c in raw)):
        raise ValueError
    return raw


def cursor_decode(raw: str) -> Cursor:
    """Decode a cursor; cursors of the earlier formats (without the visit window or the scope) are accepted."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        parts = text.split(":")
        if parts[0] == "s" and len(parts) in (4, 5, 6):
            parts += [""] * (6 - len(parts))
            phase = int(parts[2])
            if not 0 <= phase < len(ENTITIES):
                raise ValueError
            return Cursor(
                "s",
                _bigint(parts[1]),
                phase,
                _uuid_text(parts[3]),
                _window_decode(parts[4]),
                scope=_scope_decode(parts[5]),
            )
        if len(parts) in (2, 4, 5):
            parts += [""] * (5 - len(parts))
            window, window_last = _window_decode(parts[2]), _uuid_text(parts[3])
            if window is None and window_last:
                raise ValueError
            txid, last_id = _bigint(parts[0]), _bigint(parts[1])
            return Cursor("c", txid, 0, str(last_id), window, window_last, _scope_decode(parts[4]))
        raise ValueError
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed(
            _("Cursor tidak valid: mulai sinkronisasi dari awal."), code="invalid_cursor"
        ) from None


_SCOPE_HEX = 12


def _scope_fingerprint(user: User) -> str:
    """What the caller may see, hashed (access.scope_fingerprint): a change answers a `reset`."""
    return scope_fingerprint(user, length=_SCOPE_HEX)


# --- what a phone holds, per entity type ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    name: str
    # Every row of this type in the caller's set (log phase: "is it still there?").
    visible: Callable[[User, datetime], QuerySet]
    # The narrower slice a first sync sends (e.g. only open tasks); None = the same as `visible`.
    snapshot: Callable[[User, datetime], QuerySet] | None
    # The rows of one page as dicts, in bulk (one or two queries whatever the page size).
    serialize: Callable[[User, list[Any]], dict[uuid.UUID, Any]]
    # How a page's rows are read from the queryset (model instances unless said otherwise).
    fetch: Callable[[QuerySet], list[Any]] = list


def _active_clients(user: User) -> QuerySet[Client]:
    return client_qs_with_access_for(user=user).exclude(status__in=CLOSED)


def _full_active_client_ids(user: User) -> QuerySet:
    return _active_clients(user).filter(full_access=True).values("id")


def _clients_serialize(user: User, rows: list[Client]) -> dict[uuid.UUID, dict[str, Any]]:
    full_ids = [c.id for c in rows if c.full_access]  # type: ignore[attr-defined]
    volunteers: dict[uuid.UUID, list[str]] = {}
    if full_ids:
        through = Client.assigned_volunteers.through.objects.filter(client_id__in=full_ids)
        for cid, uid in through.values_list("client_id", "user_id"):
            volunteers.setdefault(cid, []).append(str(uid))
    out = {}
    for c in rows:
        # The minimal view (staff merely offered the case) carries what the API's minimal record shows
        # (recovery.selectors.client_record): code, sex, birth year, village; the version the phone keeps it at.
        # The status (a methadone programme, a relapse) and when it last changed are the full record's.
        base = {
            "id": str(c.id),
            "code": c.code,
            "sex": c.sex,
            "birth_year": c.birth_year,
            "village_code": c.village_id,
            "version": c.version,
            "access": "full" if c.full_access else "minimal",  # type: ignore[attr-defined]
        }
        if c.full_access:  # type: ignore[attr-defined]
            base.update(
                birth_year=c.birth_year or (c.birth_date.year if c.birth_date else None),
                status=c.status,
                updated_at=c.updated_at.isoformat(),
                name=c.name,
                birth_date=c.birth_date.isoformat() if c.birth_date else None,
                phone=c.phone,
                address=c.address,
                substances=c.substances,
                assigned_volunteer_ids=sorted(volunteers.get(c.id, [])),
            )
        out[c.id] = base
    return out


def _members_visible(user: User, now: datetime) -> QuerySet[FamilyMember]:
    return FamilyMember.objects.filter(
        id__in=ClientFamilyLink.objects.filter(
            client_id__in=_full_active_client_ids(user), unlinked_at__isnull=True
        ).values("member_id")
    )


def _members_serialize(user: User, rows: list[FamilyMember]) -> dict[uuid.UUID, dict[str, Any]]:
    links: dict[uuid.UUID, list[uuid.UUID]] = {}
    for mid, cid in ClientFamilyLink.objects.filter(
        member_id__in=[m.id for m in rows],
        unlinked_at__isnull=True,
        client_id__in=_full_active_client_ids(user),
    ).values_list("member_id", "client_id"):
        links.setdefault(mid, []).append(cid)
    # The API's rule (recovery.selectors.family_member_record): the phone number only when the member agreed to
    # be contacted and the contact_family consent of a client they are linked to (and the caller sees) is in
    # force. One consent query for the page.
    contactable = {
        cid
        for cid, _scope in consents_in_force_many(
            client_ids={cid for cids in links.values() for cid in cids}, scopes=[ConsentScope.CONTACT_FAMILY]
        )
    }
    return {
        m.id: {
            "id": str(m.id),
            "name": m.name,
            "relationship": m.relationship,
            "phone": m.phone
            if m.may_contact and any(cid in contactable for cid in links.get(m.id, []))
            else None,
            "role": m.role,
            "may_contact": m.may_contact,
            "village_code": m.village_id,
            "client_ids": sorted(str(cid) for cid in links.get(m.id, [])),
            "version": m.version,
            "updated_at": m.updated_at.isoformat(),
        }
        for m in rows
    }


def _visits_visible(user: User, now: datetime) -> QuerySet[Visit]:
    return Visit.objects.filter(
        client_id__in=_full_active_client_ids(user),
        occurred_at__gte=now - timedelta(days=VISIT_WINDOW_DAYS),
    )


class RawJson(str):
    """JSON text built by the database, put into the response as it is; `client_id` is for the audit."""

    client_id: str = ""


def _raw(text: str, client_id: Any) -> RawJson:
    out = RawJson(text)
    out.client_id = str(client_id)
    return out


_V = Visit._meta.db_table
# The same shape as visits.visit_as_dict, built by PostgreSQL: a first sync carries thousands of visits, and
# building them as model instances, then dicts, then JSON cost most of its time.
_VISIT_JSON = RawSQL(
    "json_build_object("
    + ", ".join(
        f"'{name}', {expr}"
        for name, expr in [
            ("id", f'"{_V}"."id"'),
            ("client_id", f'"{_V}"."client_id"'),
            ("logged_by_id", f'"{_V}"."logged_by_id"'),
            ("occurred_at", f'"{_V}"."occurred_at"'),
            ("received_at", f'"{_V}"."received_at"'),
            ("type", f'"{_V}"."type"'),
            ("participants", f'"{_V}"."participants"'),
            ("latitude", f'ST_Y("{_V}"."location"::geometry)'),
            ("longitude", f'ST_X("{_V}"."location"::geometry)'),
            ("location_accuracy_m", f'"{_V}"."location_accuracy_m"'),
            ("outcome", f'"{_V}"."outcome"'),
            ("notes", f'"{_V}"."notes"'),
            ("next_visit_on", f'"{_V}"."next_visit_on"'),
            ("screening_id", f'"{_V}"."screening_id"'),
            ("version", f'"{_V}"."version"'),
            ("updated_at", f'"{_V}"."updated_at"'),
        ]
    )
    + ")::text",
    [],
)


@dataclass(frozen=True)
class _VisitRow:
    id: uuid.UUID
    client_id: uuid.UUID
    json: str


def _visits_fetch(qs: QuerySet) -> list[_VisitRow]:
    return [_VisitRow(*row) for row in qs.annotate(j=_VISIT_JSON).values_list("id", "client_id", "j")]


def _visits_serialize(user: User, rows: list[_VisitRow]) -> dict[uuid.UUID, Any]:
    return {r.id: _raw(r.json, r.client_id) for r in rows}


def _tasks_visible(user: User, now: datetime) -> QuerySet[Task]:
    """The caller's own tasks, of clients still in their set: a volunteer unassigned from a client (or whose
    village role ended) stops receiving that client's tasks, as the tasks API does."""
    return Task.objects.filter(assignee_id=user.id, client_id__in=_active_clients(user).values("id"))


def _task_dict(t: Task) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "kind": t.kind,
        "client_id": str(t.client_id),
        "escalation_id": str(t.escalation_id) if t.escalation_id else None,
        "due_on": t.due_on.isoformat(),
        "status": t.status,
        "completed_at": t.completed_at.isoformat() if t.completed_at else None,
        "completed_by_visit": str(t.completed_by_visit) if t.completed_by_visit else None,
        "note": t.note,
        "version": t.version,
        "updated_at": t.updated_at.isoformat(),
    }


def _escalations_visible(user: User, now: datetime) -> QuerySet[Escalation]:
    """The escalations app's own scope (escalation_qs_for), of the active clients in the caller's set: the
    client being in scope is not enough (staff offered one case of a client see none of its other cases)."""
    qs = escalation_qs_for(user=user).filter(client_id__in=_active_clients(user).values("id"))
    # Full or minimal record: the escalations app's one rule (case_visible_q), as the API applies it.
    return with_case_view(qs, user=user)


def _escalations_serialize(user: User, rows: list[Escalation]) -> dict[uuid.UUID, dict[str, Any]]:
    minimal = [e.id for e in rows if not e.full_view]  # type: ignore[attr-defined]
    offers: dict[uuid.UUID, Offer] = {}
    if minimal:
        # The offer that brought the case into view: to the caller, or to their facility's staff (latest wins).
        scope = scope_for(user)
        for offer in Offer.objects.filter(
            Q(staff_id=user.id) | Q(facility_id__in=scope.admin_facility_ids),
            escalation_id__in=minimal,
            status__in=OFFER_IN_VIEW_STATUSES,
        ).order_by("offered_at", "id"):
            offers[offer.escalation_id] = offer
    return {
        e.id: _escalation_dict(e)
        if e.full_view  # type: ignore[attr-defined]
        else _escalation_minimal(e, offers.get(e.id))
        for e in rows
    }


def _escalation_minimal(e: Escalation, offer: Offer | None) -> dict[str, Any]:
    """A case the caller was only offered: what they need to answer the offer, nothing of its course (who else
    has it, the outcome)."""
    return {
        "id": str(e.id),
        "client_id": str(e.client_id),
        "access": "minimal",
        "need": e.need,
        "urgency": e.urgency,
        "status": e.status,
        "offer": {
            "id": str(offer.id),
            "status": offer.status,
            "offered_at": offer.offered_at.isoformat(),
            "expires_at": offer.expires_at.isoformat(),
        }
        if offer
        else None,
        "version": e.version,
    }


def _escalation_dict(e: Escalation) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "client_id": str(e.client_id),
        "access": "full",
        "need": e.need,
        "urgency": e.urgency,
        "status": e.status,
        "assigned_to_id": str(e.assigned_to_id) if e.assigned_to_id else None,
        "facility_id": str(e.facility_id) if e.facility_id else None,
        "appointment_at": e.appointment_at.isoformat() if e.appointment_at else None,
        "outcome": e.outcome,
        "version": e.version,
        "updated_at": e.updated_at.isoformat(),
    }


def _notification_dict(n: Notification) -> dict[str, Any]:
    return {
        "id": str(n.id),
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "data": n.data,
        "priority": n.priority,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


def _each(
    fn: Callable[[Any], dict[str, Any]],
) -> Callable[[User, list[Any]], dict[uuid.UUID, dict[str, Any]]]:
    return lambda user, rows: {r.id: fn(r) for r in rows}


ENTITIES: list[Entity] = [
    Entity("client", lambda u, now: _active_clients(u), None, _clients_serialize),
    Entity("family_member", _members_visible, None, _members_serialize),
    Entity("visit", _visits_visible, None, _visits_serialize, _visits_fetch),
    Entity(
        "task",
        _tasks_visible,
        lambda u, now: _tasks_visible(u, now).filter(status=TaskStatus.OPEN),
        _each(_task_dict),
    ),
    Entity(
        "escalation",
        _escalations_visible,
        lambda u, now: _escalations_visible(u, now).filter(status__in=ACTIVE_STATUSES),
        _escalations_serialize,
    ),
    Entity(
        "notification",
        lambda u, now: Notification.objects.filter(recipient_id=u.id),
        lambda u, now: Notification.objects.filter(
            recipient_id=u.id, created_at__gte=now - timedelta(days=VISIT_WINDOW_DAYS)
        ),
        _each(_notification_dict),
    ),
]
BY_NAME = {e.name: e for e in ENTITIES}


# --- the page ------------------------------------------------------------------------------------------------


def _horizon() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_HORIZON_SQL}")
        return int(cursor.fetchone()[0])


def _snapshot_page(user: User, cur: Cursor, limit: int, now: datetime) -> tuple[list[dict], Cursor, bool]:
    """Up to `limit` items of the snapshot from `cur`; the next cursor; whether the snapshot is done."""
    items: list[dict] = []
    phase, last = cur.phase, cur.last
    while phase < len(ENTITIES):
        entity = ENTITIES[phase]
        qs = (entity.snapshot or entity.visible)(user, now)
        if last:
            qs = qs.filter(id__gt=last)
        rows = entity.fetch(qs.order_by("id")[: limit - len(items) + 1])
        full = len(rows) > limit - len(items)
        rows = rows[: limit - len(items)]
        data = entity.serialize(user, rows)
        items += [{"entity": entity.name, "id": str(r.id), "op": "upsert", "data": data[r.id]} for r in rows]
        if full:
            return items, replace(cur, phase=phase, last=str(rows[-1].id) if rows else last), False
        phase, last = phase + 1, ""
    # Every change below the horizon is in the snapshot; the log takes over from there. The window start is the
    # first call's: every visit a snapshot page sent is at or after it (see `_aged_visits`).
    window_start = cur.window_start or now - timedelta(days=VISIT_WINDOW_DAYS)
    return items, Cursor("c", cur.txid, 0, "0", window_start), True


SCOPE_RESET = "reset"
# Log rows addressed to one user (`user_id`) that no one else may be sent, whatever client they name.


def _changes_page(user: User, cur: Cursor, limit: int, now: datetime) -> tuple[list[dict], Cursor, bool]:
    """Log rows after `cur` and below the current horizon, deduplicated to the entities' current state; once the
    log is drained, the visits that aged out of the window since the cursor's window start (`_aged_visits`)."""
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
        return _reset(user, now)
    items: list[dict] = []
    nxt = cur
    if rows:
        items = _log_items(user, rows, now)
        nxt = replace(cur, txid=rows[-1][0], last=str(rows[-1][1]))
    if has_more:
        return items, nxt, False
    if len(items) >= limit:
        return items, nxt, True  # the sweep waits for the next call
    aged, nxt, swept = _aged_visits(user, nxt, limit - len(items), now, {i["id"] for i in items})
    return items + aged, nxt, swept


def _reset(user: User, now: datetime) -> tuple[list[dict], Cursor, bool]:
    """Drop the whole set: one `reset` item, and a first sync's cursor taken now (everything before is in it)."""
    reset = {"entity": "scope", "id": str(user.id), "op": SCOPE_RESET, "data": None}
    return [reset], Cursor("s", _horizon(), window_start=now - timedelta(days=VISIT_WINDOW_DAYS)), False


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
    current: dict[str, dict[uuid.UUID, dict[str, Any]]] = {}
    for name in {e for e, _i in latest}:
        entity = BY_NAME[name]
        ids = [i for e, i in latest if e == name]
        found = entity.fetch(entity.visible(user, now).filter(id__in=ids))
        current[name] = entity.serialize(user, found)
    items = []
    for (name, entity_id), op in latest.items():
        data = current[name].get(entity_id)
        if data is not None:
            items.append({"entity": name, "id": str(entity_id), "op": "upsert", "data": data})
        else:
            items.append(
                {
                    "entity": name,
                    "id": str(entity_id),
                    "op": "delete" if op == "delete" else "leave",
                    "data": None,
                }
            )
    return items


def _aged_visits(
    user: User, cur: Cursor, room: int, now: datetime, sent: set[str]
) -> tuple[list[dict], Cursor, bool]:
    """`leave` for the visits of the caller's set that crossed out of the visit window since `cur.window_start`.

    Nothing is written when a visit ages out, so the log cannot say it: the cursor carries the window start the
    phone was last aligned to, and each call sends `leave` for the visits with occurred_at between it and the
    current window start (keyset on (occurred_at, id), so a long absence is paged like anything else).
    """
    window_start = now - timedelta(days=VISIT_WINDOW_DAYS)
    start = cur.window_start or window_start
    if start >= window_start:
        return [], replace(cur, window_start=start, window_last=""), True
    qs = Visit.objects.filter(client_id__in=_full_active_client_ids(user), occurred_at__lt=window_start)
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
    return items, replace(cur, window_start=window_start, window_last=""), True


def _report_oversize(user: User, now: datetime) -> None:
    """A first sync whose set passes SYNC_MAX_SET_SIZE: logged and recorded (once a day per user), still served."""
    limit = settings.SYNC_MAX_SET_SIZE
    size = _active_clients(user).count() + _visits_visible(user, now).count()
    if size <= limit:
        return
    logger.warning("sync set of user %s is %d rows (limit %d)", user.id, size, limit)
    try:
        with transaction.atomic():
            SyncSetReport.objects.create(user=user, day=now.date(), set_size=size, limit=limit)
            _notify_admins(user, size, limit, now)
    except IntegrityError:
        pass  # already reported today


def _notify_admins(user: User, size: int, limit: int, now: datetime) -> None:
    """Tell the system admins (once per user and day: the event key)."""
    admins = User.objects.filter(is_active=True, roles__role=Role.SYSTEM_ADMIN, roles__active=True).distinct()
    for admin in admins:
        notify(
            recipient=admin,
            kind="sync_set_oversize",
            event_key=f"sync_set_oversize:{user.id}:{now.date().isoformat()}",
            params={"user_name": user.name, "set_size": size, "limit": limit},
            data={"user_id": str(user.id)},
        )


def changes_page(*, user: User, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the feed: {items, next_cursor, has_more, visit_window_days}. Audits the clients served."""
    now = timezone.now()
    fingerprint = _scope_fingerprint(user)
    if cursor:
        cur = cursor_decode(cursor)
    else:
        cur = Cursor("s", _horizon(), window_start=now - timedelta(days=VISIT_WINDOW_DAYS))
        _report_oversize(user, now)
    items: list[dict] = []
    done = True
    if cur.scope and cur.scope != fingerprint:
        # The caller's roles changed since this cursor was made (no log row says so): start again.
        items, cur, done = _reset(user, now)
    elif cur.kind == "s":
        items, cur, snapshot_done = _snapshot_page(user, cur, limit, now)
        done = False
        if snapshot_done and len(items) < limit:
            more, cur, done = _changes_page(user, cur, limit - len(items), now)
            items += more
    else:
        items, cur, done = _changes_page(user, cur, limit, now)
    read = [
        uuid.UUID(i["data"].client_id if i["entity"] == "visit" else i["id"])
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


def page_json(page: dict[str, Any]) -> str:
    """The page as JSON text, with the database-built items (RawJson) inserted as they are."""
    parts = []
    for item in page["items"]:
        data = item["data"]
        text = data if isinstance(data, RawJson) else json.dumps(data, ensure_ascii=False)
        head = json.dumps({"entity": item["entity"], "id": item["id"], "op": item["op"]})
        parts.append(f'{head[:-1]},"data":{text}}}')
    rest = json.dumps({k: v for k, v in page.items() if k != "items"})
    return '{"items":[' + ",".join(parts) + "]," + rest[1:]
