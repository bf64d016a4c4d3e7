"""The facts the follow-up rules read, loaded for a whole area (or a set of clients) in one query, and the
people a tier is given to, loaded for a set of clients in a few: nothing here runs a query per client.

Each per-client fact is a correlated subquery on an index (visits and attempts by (client, time), consent by
(client, scope, time), tasks by (client, status), status history by (client, time)), so one statement serves
50,000 clients without sorting the area's visits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest

from backend.accounts.models import Role, RoleAssignment, User
from backend.escalations.models import OPEN_STATUSES, Escalation
from backend.followup.rules import FAILED_RESULTS, FOLLOWED, TIER_TASK_KINDS, Facts
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import (
    Client,
    ClientFamilyLink,
    ClientStatusChange,
    Consent,
    ConsentScope,
    ContactAttempt,
    ContactResult,
    Visit,
)
from backend.tasks.models import Task, TaskKind, TaskStatus


def _latest_consent(scope: str) -> Subquery:
    latest = Consent.objects.filter(client_id=OuterRef("pk"), scope=scope).order_by("-recorded_at")
    return Subquery(latest.values("given")[:1])


def _failed_in_row() -> Coalesce:
    """Failed attempts since the last contact with no other result after them (any other result breaks the
    row; a `reached` one is a contact)."""
    broken = ContactAttempt.objects.filter(
        client_id=OuterRef("client_id"), occurred_at__gt=OuterRef("occurred_at")
    ).exclude(result__in=FAILED_RESULTS)
    failed = (
        ContactAttempt.objects.filter(
            client_id=OuterRef("pk"),
            result__in=FAILED_RESULTS,
            occurred_at__gt=Coalesce(OuterRef("last_contact_at"), OuterRef("created_at")),
        )
        .filter(~Exists(broken))
        .order_by()
        .values("client_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(failed, output_field=IntegerField()), Value(0))


def facts_queryset(
    *, area_code: str | None = None, client_ids: Iterable[uuid.UUID] | None = None
) -> QuerySet:
    """Followed-status clients of an area (village code prefix) or of `client_ids`, with every fact annotated."""
    qs = Client.objects.filter(status__in=FOLLOWED)
    if area_code is not None:
        qs = qs.filter(village__code__startswith=area_code + ".")  # the join is trimmed: code is the key
    if client_ids is not None:
        qs = qs.filter(id__in=list(client_ids))
    latest_visit = Visit.objects.filter(client_id=OuterRef("pk")).order_by("-occurred_at")
    outpatient = ClientStatusChange.objects.filter(
        client_id=OuterRef("pk"), to_status=ClientStatus.OUTPATIENT
    )
    handover = Task.objects.filter(
        client_id=OuterRef("pk"), kind=TaskKind.CLIENT_HANDOVER, status=TaskStatus.OPEN
    )
    reached = ContactAttempt.objects.filter(client_id=OuterRef("pk"), result=ContactResult.REACHED)
    return qs.annotate(
        # The contacts themselves, should `last_contact_at` lag (recovery.models.clients_seen skips busy rows).
        seen_at=Greatest(
            "last_contact_at",
            Subquery(latest_visit.values("occurred_at")[:1]),
            Subquery(reached.order_by("-occurred_at").values("occurred_at")[:1]),
        ),
        consent=Coalesce(_latest_consent(ConsentScope.DATA_COLLECTION), Value(False)),
        next_visit_on=Subquery(latest_visit.values("next_visit_on")[:1]),
        failed_in_row=_failed_in_row(),
        # Evaluated for outpatients only (a CASE runs its subquery only when its condition holds).
        outpatient_since=Case(
            When(
                status=ClientStatus.OUTPATIENT,
                then=Subquery(outpatient.order_by("-at").values("at")[:1]),
            )
        ),
        handover_open=Exists(handover),
    )


FACTS_FIELDS = (
    "id code village_id village__timezone status created_at seen_at consent next_visit_on failed_in_row"
    " outpatient_since handover_open followup_state__tier followup_state__tier_since"
    " followup_state__episode_started_on followup_state__paused_until last_contact_at"
).split()


def facts_load(
    *,
    area_code: str | None = None,
    client_ids: Iterable[uuid.UUID] | None = None,
    not_evaluated_on: date | None = None,
) -> list[Facts]:
    """The facts of the followed clients of an area or of `client_ids`, in client id order; with
    `not_evaluated_on`, only the clients not yet evaluated that day."""
    qs = facts_queryset(area_code=area_code, client_ids=client_ids)
    if not_evaluated_on is not None:
        qs = qs.filter(
            Q(followup_state__last_evaluated_on__isnull=True)  # no state row yet, or never evaluated
            | Q(followup_state__last_evaluated_on__lt=not_evaluated_on)
        )
    return [facts_of_row(row) for row in qs.order_by("id").values_list(*FACTS_FIELDS)]


def facts_of_row(row: tuple) -> Facts:  # type: ignore[type-arg]
    """One row of `facts_queryset(...).values_list(*FACTS_FIELDS)` as Facts."""
    return Facts(
        client_id=row[0],
        code=row[1],
        village_id=row[2],
        tz=row[3],
        status=row[4],
        created_at=row[5],
        last_contact_at=row[6],
        consent=bool(row[7]),
        next_visit_on=row[8],
        failed_in_row=row[9],
        outpatient_since=row[10],
        handover_open=row[11],
        tier=row[12] or 0,
        tier_since=row[13],
        episode_started_on=row[14],
        paused_until=row[15],
        column_contact_at=row[16],
    )


def failed_attempts_since_contact(client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Attempts that did not reach the client since their last contact, per client (one query)."""
    rows = (
        ContactAttempt.objects.filter(client_id__in=list(client_ids))
        .exclude(result="reached")
        .filter(occurred_at__gt=Coalesce("client__last_contact_at", "client__created_at"))
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    )
    return dict(rows)


def area_codes_of(village_code: str) -> tuple[str, str]:
    """(regency, province) of a village code: '62.06.02.1003' -> ('62.06', '62')."""
    parts = village_code.split(".")
    return ".".join(parts[:2]), parts[0]


@dataclass
class People:
    """Who each tier goes to, for a set of clients: loaded in a few queries, then read per client."""

    users: dict[uuid.UUID, User] = field(default_factory=dict)
    assigned: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    by_place: dict[tuple[str, str], list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    case_facilities: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    facility_admins: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    family_reachable: set[uuid.UUID] = field(default_factory=set)
    holding: set[uuid.UUID] = field(default_factory=set)  # clients someone holds an open follow-up task of

    def _users(self, ids: Iterable[uuid.UUID]) -> list[User]:
        return [self.users[i] for i in dict.fromkeys(ids) if i in self.users]

    def volunteers(self, client_id: uuid.UUID, village_id: str) -> list[User]:
        """Tier 1: the client's assigned volunteers, else every volunteer of the village."""
        mine = self._users(self.assigned.get(client_id, ()))
        return mine or self._users(self.by_place.get((Role.VOLUNTEER, village_id), ()))

    def official(self, village_id: str) -> list[User]:
        """Tier 2: one village official of the client's village (the longest-serving), or no one."""
        return self._users(self.by_place.get((Role.VILLAGE_OFFICIAL, village_id), ()))[:1]

    def coordinators(self, village_id: str) -> list[User]:
        """The regency's coordinators, else the province's."""
        regency, province = area_codes_of(village_id)
        return self._users(self.by_place.get((Role.COORDINATOR, regency), ())) or self._users(
            self.by_place.get((Role.COORDINATOR, province), ())
        )

    def admins_of_open_cases(self, client_id: uuid.UUID) -> list[User]:
        """Admins of the facilities holding an open case of the client."""
        facilities = sorted(self.case_facilities.get(client_id, ()), key=str)
        return self._users(u for f in facilities for u in self.facility_admins.get(f, ()))


def people_load(
    clients: dict[uuid.UUID, str], *, with_cases: bool = False, with_family: bool = False
) -> People:
    """The people the tiers of these clients (id -> village code) may go to: active users with an active role
    assignment. `with_cases`: also facility admins of open cases and who already holds an open follow-up task
    (tier 3); `with_family`: which clients may be reached through their family (tier 2)."""
    people = People()
    client_ids = list(clients)
    villages = set(clients.values())
    areas = {code for v in villages for code in area_codes_of(v)}
    # An assigned volunteer sees the client only while they hold an active volunteer role (backend.access).
    volunteering = RoleAssignment.objects.filter(role=Role.VOLUNTEER, active=True).values("user_id")
    links = Client.assigned_volunteers.through.objects.filter(
        client_id__in=client_ids, user__is_active=True, user_id__in=volunteering
    )
    for client_id, user_id in links.order_by("user_id").values_list("client_id", "user_id"):
        people.assigned[client_id].append(user_id)
    roles = RoleAssignment.objects.filter(active=True, user__is_active=True).filter(
        Q(role__in=[Role.VOLUNTEER, Role.VILLAGE_OFFICIAL], region_id__in=villages)
        | Q(role=Role.COORDINATOR, region_id__in=areas)
    )
    for role, region, user_id in roles.order_by("created_at", "user_id").values_list(
        "role", "region_id", "user_id"
    ):
        people.by_place[(role, region)].append(user_id)
    wanted = {u for ids in people.assigned.values() for u in ids} | {
        u for ids in people.by_place.values() for u in ids
    }
    if with_cases:
        cases = Escalation.objects.filter(
            client_id__in=client_ids, status__in=OPEN_STATUSES, facility__isnull=False
        )
        for client_id, facility_id in cases.values_list("client_id", "facility_id"):
            people.case_facilities[client_id].add(facility_id)
        facilities = {f for fs in people.case_facilities.values() for f in fs}
        admins = RoleAssignment.objects.filter(
            active=True, user__is_active=True, role=Role.FACILITY_ADMIN, facility_id__in=facilities
        )
        for facility_id, user_id in admins.order_by("created_at").values_list("facility_id", "user_id"):
            people.facility_admins[facility_id].append(user_id)
            wanted.add(user_id)
    if with_family:
        people.family_reachable = family_reachable(client_ids)
    if with_cases:
        held = Task.objects.filter(client_id__in=client_ids, kind__in=TIER_TASK_KINDS, status=TaskStatus.OPEN)
        people.holding = set(held.values_list("client_id", flat=True))
    people.users = User.objects.in_bulk(list(wanted))
    return people


def family_reachable(client_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Clients whose contact_family consent is in force and who have a linked family member who agreed to be
    contacted (one query)."""
    ids = list(client_ids)
    linked = ClientFamilyLink.objects.filter(
        client_id=OuterRef("pk"), unlinked_at__isnull=True, member__may_contact=True
    )
    qs = Client.objects.filter(id__in=ids).annotate(
        family=Coalesce(_latest_consent(ConsentScope.CONTACT_FAMILY), Value(False))
    )
    return set(qs.filter(Exists(linked), family=True).values_list("id", flat=True)) if ids else set()
