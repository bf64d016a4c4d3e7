"""The records of a client, a family member, a visit and a screening: one shape each, built here.

Each entity has one bulk builder that turns rows into records in a constant number of queries, whatever the
number of rows: `client_records_at`, `family_member_records_through`, `visit_records`,
`contact_attempt_records`. They take the access
level as given: which level a reader has (the full record or the minimal view of an offered case, which clients
a family member is seen through) is backend.access's rule, asked by backend/reads/clients.py, whose
`client_records` and `family_member_records` the API's handlers and the sync feed both call, so the phone and
the API never disagree about what a role sees. A family member's phone number shows only where the member
agreed to be contacted and the contact_family consent of the client they are seen through is in force.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast

from backend.accounts.models import User
from backend.recovery.models import (
    Client,
    ClientCorrection,
    ClientFamilyLink,
    ConsentScope,
    ContactAttempt,
    FamilyMember,
    Screening,
    Visit,
)
from backend.recovery.visits.consent import consents_in_force_many
from villages.models import Region

# --- clients ----------------------------------------------------------------------------------------------------


def _client_fields(c: Client, full: bool, village_name: str) -> dict[str, Any]:
    """What a client row shows without anything hanging on it (GET /clients rows are these fields). The minimal
    view (staff merely offered the case): code, sex, birth year, village, the version the phone keeps it at; no
    name, phone, address, status (a methadone programme, a relapse) or notes."""
    fields: dict[str, Any] = {
        "id": c.id,
        "code": c.code,
        "access": "full" if full else "minimal",
        "sex": c.sex,
        "birth_year": c.birth_year,
        "village": {"code": c.village_id, "name": village_name},
        "village_code": c.village_id,
        "version": c.version,
    }
    if full:
        fields.update(
            name=c.name,
            birth_date=c.birth_date,
            phone=c.phone or None,
            address=c.address,
            substances=c.substances,
            nik_on_file=bool(c.nik_hash),
            notes=c.notes,
            use_duration_years=c.use_duration_years,
            use_route=c.use_route,
            status=c.status,
            last_contact_at=c.last_contact_at,
            phone_flagged=c.phone_flagged,
            consent_withdrawn_at=c.consent_withdrawn_at,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
    return fields


def client_records_at(
    *,
    clients: Sequence[Client],
    levels: dict[uuid.UUID, bool],
    offered: dict[uuid.UUID, dict[str, Any]] | None = None,
) -> dict[uuid.UUID, dict[str, Any]]:
    """The clients' records at the access level of each (`levels`: id -> full record?, which backend.access
    decides; backend/reads/clients.py `client_records` is the entry point that asks it). A minimal-view record
    carries the case offered to the reader (`offered`: client id -> that case). Five queries at most."""
    clients = list(clients)
    offered = offered or {}
    villages = _village_names(clients)
    full_ids = [c.id for c in clients if levels[c.id]]
    volunteers: dict[uuid.UUID, list[dict[str, Any]]] = {}
    consents: set[tuple[uuid.UUID, str]] = set()
    family: dict[uuid.UUID, list[ClientFamilyLink]] = {}
    if full_ids:
        through = Client.assigned_volunteers.through.objects.filter(client_id__in=full_ids)
        for cid, uid, name in through.order_by("user__name", "user_id").values_list(
            "client_id", "user_id", "user__name"
        ):
            volunteers.setdefault(cid, []).append({"id": uid, "name": name})
        consents = consents_in_force_many(client_ids=full_ids, scopes=ConsentScope.values)
        links = ClientFamilyLink.objects.filter(client_id__in=full_ids, unlinked_at__isnull=True)
        for link in links.select_related("member").order_by("linked_at", "id"):
            family.setdefault(link.client_id, []).append(link)
    out = {}
    for c in clients:
        record = _client_fields(c, levels[c.id], villages[c.village_id])
        if not levels[c.id]:
            record["escalation"] = offered.get(c.id)
        else:
            in_force = {s: (c.id, s) in consents for s in ConsentScope.values}
            people = volunteers.get(c.id, [])
            record.update(
                assigned_volunteers=people,
                assigned_volunteer_ids=sorted(p["id"] for p in people),
                family_members=[
                    _member_record(link.member, [link], contactable=in_force[ConsentScope.CONTACT_FAMILY])
                    for link in family.get(c.id, [])
                ],
                consents=in_force,
            )
        out[c.id] = record
    return out


def _village_names(clients: list[Client]) -> dict[str, str]:
    """Village code -> name: from the rows that came with their village, else one query (names only: a region
    row also carries its boundary)."""
    names = {c.village_id: c.village.name for c in clients if Client.village.is_cached(c)}
    if missing := {c.village_id for c in clients} - names.keys():
        names.update(Region.objects.filter(code__in=missing).values_list("code", "name"))
    return names


def client_list_item(*, client: Client) -> dict[str, Any]:
    """A row of GET /clients (client from `client_list_for`: village loaded, `full_access` annotated): the
    record's own fields, without what hangs on it (name and status null in the minimal view)."""
    fields = _client_fields(client, bool(client.full_access), client.village.name)  # type: ignore[attr-defined]
    return {"name": None, "status": None, **fields}


# --- family members ----------------------------------------------------------------------------------------------


def _member_record(
    member: FamilyMember, links: list[ClientFamilyLink], *, contactable: bool
) -> dict[str, Any]:
    """`links`: the member's active links to the clients it is seen through (oldest first); `contactable`: the
    contact_family consent of one of those clients is in force."""
    return {
        "id": member.id,
        "name": member.name,
        "relationship": member.relationship,
        "role": member.role,
        "may_contact": member.may_contact,
        "phone": member.phone if (member.may_contact and contactable) else None,
        "village_code": member.village_id,
        "client_ids": sorted(link.client_id for link in links),
        "linked_at": links[0].linked_at if links else None,
        "version": member.version,
        "updated_at": member.updated_at,
    }


def family_member_records_through(
    *, members: Sequence[FamilyMember], through: QuerySet | Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The family members, by id, seen through the clients `through` (ids or a values queryset: the clients
    whose full record the reader sees, backend/reads/clients.py `family_member_records`): `client_ids` and
    `linked_at` are those links', and the phone number shows only when the member agreed to be contacted and
    the contact_family consent of one of those clients is in force. Two queries, whatever the number of members."""
    members = list(members)
    if not members:
        return {}
    if not isinstance(through, QuerySet):
        through = list(through)
    links: dict[uuid.UUID, list[ClientFamilyLink]] = {}
    for link in ClientFamilyLink.objects.filter(
        member_id__in=[m.id for m in members], unlinked_at__isnull=True, client_id__in=through
    ).order_by("linked_at", "id"):
        links.setdefault(link.member_id, []).append(link)
    contactable = {
        cid
        for cid, _scope in consents_in_force_many(
            client_ids={link.client_id for seen in links.values() for link in seen},
            scopes=[ConsentScope.CONTACT_FAMILY],
        )
    }
    return {
        m.id: _member_record(
            m,
            links.get(m.id, []),
            contactable=any(link.client_id in contactable for link in links.get(m.id, [])),
        )
        for m in members
    }


def family_member_record(
    *, member: FamilyMember, link: ClientFamilyLink | None, contact_allowed: bool
) -> dict[str, Any]:
    """One member seen through one client's `link`, whose contact_family consent the caller read."""
    return _member_record(member, [link] if link else [], contactable=contact_allowed)


# --- visits ------------------------------------------------------------------------------------------------------


class JsonText(str):
    """A record as JSON text built by the database, written into a response as it is; `client_id` is for the
    audit of the reads."""

    client_id: uuid.UUID

    def value(self) -> dict[str, Any]:
        """The record as a dict of JSON values (times as ISO 8601 text)."""
        return json.loads(self)


class _JsonObject(Func):
    """json_build_object('key', expression, ...): the keys are fixed names written into the SQL, never input."""

    output_field = TextField()

    def __init__(self, **fields: Any) -> None:
        self.keys = list(fields)
        super().__init__(*fields.values())

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        parts, params = [], []
        for key, expression in zip(self.keys, self.get_source_expressions(), strict=True):
            sql, p = compiler.compile(expression)
            parts.append(f"'{key}', {sql}")
            params += p
        return f"json_build_object({', '.join(parts)})", params


def _coordinate(axis: str) -> Func:
    return Func(
        F("location"),
        function=axis,
        template="%(function)s(%(expressions)s::geometry)",
        output_field=FloatField(),
    )


def _point() -> Case:
    """{lat, lon}, or null without a location."""
    return Case(
        When(location__isnull=True, then=Value(None)),
        default=_JsonObject(lat=_coordinate("ST_Y"), lon=_coordinate("ST_X")),
        output_field=TextField(),
    )


# The visit record, built by PostgreSQL: a first sync carries thousands of visits, and building them as model
# instances, then dicts, then JSON cost most of its time. The feed, GET /clients/{id}/visits and the stored visit a
# stale upload is answered with all read it here. `location` is the API's {lat, lon}; `latitude`/`longitude` the
# flat pair the phone uploads.
VISIT_RECORD = Cast(
    _JsonObject(
        id=F("id"),
        client_id=F("client_id"),
        occurred_at=F("occurred_at"),
        received_at=F("received_at"),
        type=F("type"),
        participants=F("participants"),
        location=_point(),
        latitude=_coordinate("ST_Y"),
        longitude=_coordinate("ST_X"),
        location_accuracy_m=F("location_accuracy_m"),
        outcome=F("outcome"),
        notes=F("notes"),
        next_visit_on=F("next_visit_on"),
        screening_id=F("screening_id"),
        logged_by_id=F("logged_by_id"),
        logged_by=_JsonObject(id=F("logged_by_id"), name=F("logged_by__name")),
        version=F("version"),
        updated_at=F("updated_at"),
    ),
    TextField(),
)


def visit_records(
    *, user: User | None, visits: QuerySet[Visit] | Iterable[Visit | uuid.UUID]
) -> dict[uuid.UUID, JsonText]:
    """The visits' records as JSON text (`JsonText.value()` for a dict), by id, in one query: in the
    queryset's order, or in the order the rows or ids were given. A visit looks the same to everyone who may see
    it (the caller's scope chose the rows), so `user` changes nothing."""
    if isinstance(visits, QuerySet):
        rows = visits.annotate(_record=VISIT_RECORD).values_list("id", "client_id", "_record")
        order = None
    else:
        order = [v if isinstance(v, uuid.UUID) else v.id for v in visits]
        rows = (
            Visit.objects.filter(id__in=order)
            .annotate(_record=VISIT_RECORD)
            .values_list("id", "client_id", "_record")
        )
    out: dict[uuid.UUID, JsonText] = {}
    for vid, client_id, text in rows:
        out[vid] = JsonText(text)
        out[vid].client_id = client_id
    if order is not None:
        out = {vid: out[vid] for vid in order if vid in out}
    return out


# --- contact attempts ----------------------------------------------------------------------------------------


def contact_attempt_records(
    *, attempts: QuerySet[ContactAttempt] | Iterable[ContactAttempt]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The attempts' records, by id, in the queryset's order or the order the rows were given, in one query. An
    attempt looks the same to everyone who may see it (the caller's scope chose the rows)."""
    if isinstance(attempts, QuerySet):
        rows = list(attempts.select_related("logged_by"))
    else:
        order = [a.id for a in attempts]
        found = ContactAttempt.objects.filter(id__in=order).select_related("logged_by").in_bulk()
        rows = [found[i] for i in order if i in found]
    return {
        a.id: {
            "id": a.id,
            "client_id": a.client_id,
            "occurred_at": a.occurred_at,
            "received_at": a.received_at,
            "channel": a.channel,
            "result": a.result,
            "note": a.note,
            "logged_by": {"id": a.logged_by_id, "name": a.logged_by.name},
        }
        for a in rows
    }


# --- screenings --------------------------------------------------------------------------------------------------


def screening_result(*, screening: Screening) -> dict[str, Any]:
    """A stored screening as POST /clients/{id}/screenings answers it (first time and on every resend)."""
    status = Client.objects.filter(id=screening.client_id).values_list("status", flat=True).first()
    return {
        "id": screening.id,
        "client_id": screening.client_id,
        "screened_at": screening.screened_at,
        "substances": screening.scores,
        "highest_risk": screening.highest_risk,
        "action": screening.action,
        "injected_recently": screening.injected_recently,
        "needs_escalation": screening.needs_escalation,
        "escalation": {"id": screening.escalation_id} if screening.escalation_id else None,
        "escalation_blocked_reason": screening.escalation_blocked_reason or None,
        "client_status": status,
    }


def correction_records(*, corrections: Iterable[ClientCorrection]) -> list[dict[str, Any]]:
    """The correction history rows as the API shows them (actor selected by the caller's queryset)."""
    return [
        {
            "id": c.id,
            "entity": c.entity,
            "member_id": c.member_id,
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
            "reason": c.reason,
            "changed_by": {"id": c.actor_id, "name": c.actor.name},
            "at": c.at,
            "version": c.version,
            "erased": c.erased_at is not None,
        }
        for c in corrections
    ]
