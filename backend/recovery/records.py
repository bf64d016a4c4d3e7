"""What the API and the sync feed show of a client, a family member and a visit: one record each, built here.

Each entity has one bulk builder that turns rows into records for a user in a constant number of queries,
whatever the number of rows: `client_records`, `family_member_records`, `visit_records`. The API's handlers and
the sync feed's entities both call them, so the phone and the API never disagree about what a role sees; the
helpers for one row (`client_record`, `family_member_record`, `visit_as_dict`) are the same builders.

The access level (full record or the minimal view of an offered case) comes from backend/access; a family
member's phone number only where the member agreed to be contacted and the contact_family consent of the client
they are seen through is in force.
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

from backend.access import (
    client_full_qs_for,
    client_qs_with_access_for,
    escalation_qs_for,
    offers_in_view_q,
    scope_for,
)
from backend.accounts.models import User
from backend.audit.services import access_log_record, access_log_record_many
from backend.recovery.models import Client, ClientFamilyLink, ConsentScope, FamilyMember, Screening, Visit
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
            nik_last4=c.nik_last4 or None,
            notes=c.notes,
            use_duration_years=c.use_duration_years,
            use_route=c.use_route,
            status=c.status,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
    return fields


def _full_levels(*, user: User, clients: Sequence[Client]) -> dict[uuid.UUID, bool]:
    """client id -> full record? From the `full_access` annotation, else one query; out of scope: absent."""
    annotated = {c.id: getattr(c, "full_access", None) for c in clients}
    levels = {cid: bool(full) for cid, full in annotated.items() if full is not None}
    if missing := [c.id for c in clients if c.id not in levels]:
        levels.update(
            client_qs_with_access_for(user=user).filter(id__in=missing).values_list("id", "full_access")
        )
    return levels


def client_records(*, user: User, clients: Sequence[Client]) -> dict[uuid.UUID, dict[str, Any]]:
    """The clients as `user` may see them, by id: the full record, or the minimal view of an offered case
    (the row's `full_access` annotation from backend.access, read when absent; a client out of scope is left
    out). Six queries at most, whatever the number of clients."""
    levels = _full_levels(user=user, clients=clients)
    return _client_records(user=user, clients=[c for c in clients if c.id in levels], levels=levels)


def client_record(*, user: User, client: Client, full: bool) -> dict[str, Any]:
    """One client's record at the access level the caller established (`client_records` on one row)."""
    return _client_records(user=user, clients=[client], levels={client.id: full})[client.id]


def client_record_after_write(*, user: User, client: Client, endpoint: str) -> dict[str, Any]:
    """The full record a write answers with (PATCH, a transition): it shows the record, so the read is logged."""
    access_log_record(user=user, client_id=client.id, endpoint=endpoint)
    return client_record(user=user, client=client, full=True)


def _client_records(
    *, user: User, clients: Sequence[Client], levels: dict[uuid.UUID, bool]
) -> dict[uuid.UUID, dict[str, Any]]:
    clients = list(clients)
    villages = _village_names(clients)
    full_ids = [c.id for c in clients if levels[c.id]]
    minimal_ids = [c.id for c in clients if not levels[c.id]]
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
    offered = _offered_cases(user=user, client_ids=minimal_ids)
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


def _offered_cases(*, user: User, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The minimal view's reason to exist: per client, the newest case offered in view of `user` (one query;
    the rule is access.offered_escalation_qs_for's, for many clients at once)."""
    if not client_ids:
        return {}
    rows = (
        escalation_qs_for(user=user)
        .filter(offers_in_view_q(scope_for(user), user, prefix="offers__"), client_id__in=client_ids)
        .order_by("client_id", "-created_at")
        .distinct("client_id")
        .values("client_id", "id", "need", "urgency", "status")
    )
    return {row.pop("client_id"): row for row in rows}


def client_list_items(*, user: User, clients: list[Client]) -> list[dict[str, Any]]:
    """The rows of a GET /clients page, audit-logged: a fully visible row shows the client's name and status,
    so it is a read of the record (one AccessLog row per such client, in one INSERT). Minimal rows are not."""
    full_ids = [c.id for c in clients if c.full_access]  # type: ignore[attr-defined]
    if full_ids:
        access_log_record_many(user=user, client_ids=full_ids, endpoint="client_list")
    return [client_list_item(client=c) for c in clients]


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


def family_member_records(
    *,
    user: User,
    members: Sequence[FamilyMember],
    through: QuerySet | Iterable[uuid.UUID] | None = None,
) -> dict[uuid.UUID, dict[str, Any]]:
    """The family members as `user` may see them, by id, seen through the clients `through` (ids or a values
    queryset; default: every client whose full record `user` sees): `client_ids` and `linked_at` are those
    links', and the phone number shows only when the member agreed to be contacted and the contact_family
    consent of one of those clients is in force. Two queries, whatever the number of members."""
    members = list(members)
    if not members:
        return {}
    if through is None:
        through = client_full_qs_for(user=user).values("id")
    elif not isinstance(through, QuerySet):
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
