"""Who may see what in Pulih: the whole policy, and every rule in code below it.

Deny by default. A user sees only what one of their active role assignments covers (`Scope`, read once by
backend/accounts/scope.py); a user with no active assignment sees nothing. Areas are Kemendagri codes, which nest by prefix: "inside an area" is
`code == area or code startswith area + "."`. Anything outside the caller's scope answers 404, exactly like a
missing object: every read starts from one of the `*_qs_for(user=...)` querysets here, and the read side
(backend/reads: the API's reads, the timeline, the in-scope checks before a write), the sync feed, the reports and
the admin all take their scope from this module. It reads the domains' models and sits above them: no domain
imports it.

Clients (`client_qs_for`, annotated `full_access` by `client_qs_with_access_for`):
- volunteer: clients assigned to them, and clients living in their village (full record);
- village official: every client of their village (full);
- counselor / assessor: clients of an escalation they were offered (pending offer: the *minimal* view: code,
  sex, birth year, village, the need) or that they accepted or were assigned (full);
- facility admin: clients of an escalation whose facility is theirs (full), or offered to one of their
  facility's staff (minimal while only offered);
- BNN coordinator (regency/city or province): every client living in their area (full);
- system admin: everyone (full).
A declined, expired or withdrawn offer keeps nothing in view (`OFFER_IN_VIEW_STATUSES`).
A client who withdrew data-collection consent (`consent_withdrawn_at`) is kept only for what the law requires:
in view of the area's coordinators and system admins alone (their records say "consent withdrawn"), out of
everyone else's scope, phones and feeds (`client_withdrawn_qs_for`: the ones a user would see but for the
withdrawal, so that their writes answer 409 `consent_withdrawn` instead of a bare 404).

What hangs on a client follows the client's *full* record: family members actively linked to a client the caller
sees in full (`family_member_qs_for`; a member's phone only while they agreed to be contacted and the client's
contact_family consent is in force), visits, screenings and contact attempts of such clients (`visit_qs_for`,
`screening_qs_for`, `contact_attempt_qs_for`),
the client's correction history (`correction_qs_for`: old and new values are the record as it was),
and the client's timeline (`timeline` items below).

Escalations (`escalation_qs_for`):
- volunteer / village official: escalations of clients of their village or assigned to them, and the ones they
  created while the client is still theirs to see (a client who moved away, or withdrew consent, takes the
  case along);
- counselor / assessor: escalations with an offer to them in view, or assigned to them;
- facility admin: escalations of their facility, or offered in view to one of its staff;
- coordinator: escalations of clients living in their area; system admin: all.
How a case went (outcome, notes, who handled it, earlier appointments: `case_visible_q`) is read by those who
handle or follow it: the assigned staff member, their facility's admin, the staff member who referred it (a
referral's outcome goes back to whoever referred: *rujukan balik*), coordinators of the area, the village side (field workers of the client's village, the client's volunteers, the creator) and system admins; never by
someone merely offered the case or a referral of it. The routing explanation (colleagues' names, leave,
caseload: `routing_visible_to`) is for coordinators, system admins and the village side, not for staff.
Offers (`offer_qs_for`): one's own, one's facility's staff's while in view, and every offer of a case whose
course one may read.

Timeline (`timeline_escalation_qs_for`): a client's timeline shows an escalation's steps only when the caller
may read that case's course: an assessor who took a referral does not read the first case through it.

Tasks (`task_qs_for`): one's own, while the client is in one's scope (a volunteer unassigned from the client, or
a client who moved away, takes the task along); coordinators also their area's; system admin all. The sync feed
carries one's own open tasks only: a phone holds what its user acts on, and coordinators read their area's
through the API.
Notifications (`notification_qs_for`): one's own inbox only, whoever one is.

Reports (`report_access`): coordinators for areas inside theirs; facility admins for their facility's cases, at
district level at most; system admins everything. For every reader below the system admin, a report by village
hides counts of 1 to 4 (and the cells that would give them back: backend/reports/suppression.py). An area or
facility beyond one's reach answers 404; a role that reads no reports at all gets 403 (no object is hidden from
it: the endpoint is closed).

The sync feed (`change_log_scope_q`): change log rows about a client in scope or in the caller's villages/areas,
and rows addressed to the caller; a task, notification or scope-reset row goes to its addressee only.

Acting on things is narrower than seeing them, and those rules live with the action (only the offered staff
member accepts; only the assigned one records the outcome); the coordinator check is `is_coordinator_of`
(backend/accounts/scope.py, with `may_escalate`: they read roles only).

Three decisions, and why (tests/api/test_policy_decisions.py pins each both ways; the authorization matrix agrees):
(a) Whoever holds a client's *full* record through a case (the counselor who accepted it, the admin of the
    facility it went to) may correct the record and the family (PATCH the client, add/edit/unlink family
    members). They are the ones in front of the client and the family: the counselor runs the family sessions,
    the facility's registration desk hears the new address or phone first. Making them phone the volunteer to
    re-type it is how records drift. The write is versioned (409 on a stale edit) and in the change log, so the
    village side sees it on the next sync. Someone merely offered the case (the minimal view) writes nothing,
    and the assessor, who only assesses, does not edit the record.
(b) A BNN coordinator may register a client of their area (a walk-in at the BNNK office, a list from an outreach
    event) but does not start an escalation (403 `field_worker_required`). An escalation hands the client into a
    chain that needs someone in the village: the accompaniment tasks, the outcome sent back to whoever referred
    (*rujukan balik*), the follow-up ladder. A coordinator who registers a client assigns a volunteer, who
    escalates; where no one accepts a case, the coordinator steps in by hand (`POST /escalations/{id}/assign`).
(c) A facility admin asking for a regency's report gets 404, not 403: they do read reports (their facility's,
    at district level at most), so an area beyond that is out of their scope, and out of scope is 404 everywhere
    in Pulih, one rule for the app and for a fuzzer. 403 stays for a role that reads no reports at all (the
    endpoint is closed to it; no object is hidden).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from backend.access.union import ids_in_any
from backend.accounts.models import Role, User
from backend.accounts.scope import (
    Scope,
    is_coordinator_of,
    may_escalate,
    region_code_q,
    scope_fingerprint,
    scope_for,
    village_code_q,
)
from backend.escalations.models import OFFER_IN_VIEW_STATUSES, Escalation, Offer
from backend.recovery.models import (
    Client,
    ClientCorrection,
    ClientFamilyLink,
    ContactAttempt,
    FamilyMember,
    Screening,
    Visit,
)
from backend.tasks.models import Task
from notifications.models import Notification
from villages.models import Facility, Region, RegionLevel

AccessLevel = Literal["full", "minimal"]
# Change log rows addressed to one user (`user_id`) that no one else may be sent, whatever client they name.
PERSONAL_ENTITIES = ("task", "notification", "scope")

# The policy's rules, and the user's scope they read (backend/accounts/scope.py), for every caller.
__all__ = [
    "PERSONAL_ENTITIES",
    "AccessLevel",
    "ReportAccess",
    "Scope",
    "case_visible_q",
    "case_visible_to",
    "change_log_scope_q",
    "client_access_level",
    "contact_attempt_qs_for",
    "correction_qs_for",
    "client_full_qs_for",
    "client_qs_for",
    "client_qs_with_access_for",
    "client_withdrawn_qs_for",
    "client_writable_qs_for",
    "escalation_qs_for",
    "family_link_qs_for",
    "family_member_qs_for",
    "is_coordinator_of",
    "may_escalate",
    "may_read_reports",
    "notification_qs_for",
    "offer_qs_for",
    "offered_escalation_qs_for",
    "offers_in_view_q",
    "region_code_q",
    "region_inside",
    "report_access",
    "routing_visible_to",
    "scope_fingerprint",
    "scope_for",
    "screening_qs_for",
    "task_qs_for",
    "timeline_escalation_qs_for",
    "visit_qs_for",
    "with_case_view",
]


def region_inside(code: str, areas: frozenset[str] | set[str]) -> bool:
    """True if region `code` is one of `areas` or lies inside one of them."""
    return any(code == a or code.startswith(a + ".") for a in areas)


def _assigned_client_ids(user: User) -> QuerySet:
    return Client.assigned_volunteers.through.objects.filter(user_id=user.id).values("client_id")


def _clients_in(codes: frozenset[str]) -> QuerySet:
    return Client.objects.filter(village_code_q("village__code", codes)).values("id")


def _escalation_client_ids(q: Q) -> QuerySet:
    return Escalation.objects.filter(q).values("client_id")


# --- Clients -------------------------------------------------------------------------------------------------


# A client who has not withdrawn data-collection consent (see the module docstring).
CONSENTING = Q(consent_withdrawn_at__isnull=True)


def _client_full_sources(scope: Scope, user: User) -> list[QuerySet]:
    """The client ids of the paths that give the full record (the area path aside: `_client_area_q`)."""
    sources = []
    if scope.village_codes:
        sources.append(Client.objects.filter(village_id__in=scope.village_codes).values("id"))
    if Role.VOLUNTEER in scope.roles:
        sources.append(_assigned_client_ids(user))
    if scope.is_staff_member:  # two sources, not an OR across the offers join (a scan of every case)
        sources.append(_escalation_client_ids(Q(assigned_to_id=user.id)))
        sources.append(_escalation_client_ids(Q(offers__staff_id=user.id, offers__status="accepted")))
    if scope.admin_facility_ids:
        sources.append(_escalation_client_ids(Q(facility_id__in=scope.admin_facility_ids)))
    return sources


def _client_area_q(scope: Scope) -> Q:
    """Coordinators' areas: every client there, a withdrawn one too (see the module docstring)."""
    return village_code_q("village__code", scope.area_codes) if scope.area_codes else Q(pk__in=[])


def _client_q(scope: Scope, user: User, *, minimal_too: bool, withdrawn_too: bool = False) -> Q:
    """The clients `user` sees in full (`minimal_too`: or in the minimal view); a withdrawn client only through
    an area (`withdrawn_too`: every path, as if no one had withdrawn)."""
    sources = _client_full_sources(scope, user)
    if minimal_too and (scope.is_staff_member or scope.admin_facility_ids):  # an offer in view, not accepted
        sources.append(_escalation_client_ids(offers_in_view_q(scope, user, prefix="offers__")))
    q = ids_in_any(sources)
    if not withdrawn_too:
        q &= CONSENTING
    return q | _client_area_q(scope)


def offers_in_view_q(scope: Scope, user: User, prefix: str = "") -> Q:
    """Offers that keep a case in view of `user`: to them, or to their facility's staff, pending or accepted.
    One filter on the same offer row (`prefix`, e.g. "offers__", when read through an escalation)."""
    status = {f"{prefix}status__in": OFFER_IN_VIEW_STATUSES}
    q = Q(pk__in=[])
    if scope.is_staff_member:
        q |= Q(**{f"{prefix}staff_id": user.id}, **status)
    if scope.admin_facility_ids:
        q |= Q(**{f"{prefix}facility_id__in": scope.admin_facility_ids}, **status)
    return q


def client_qs_for(*, user: User) -> QuerySet[Client]:
    """Every client `user` may see (full or minimal)."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Client.objects.all()
    return Client.objects.filter(_client_q(scope, user, minimal_too=True))


def client_withdrawn_qs_for(*, user: User) -> QuerySet[Client]:
    """Clients who withdrew data-collection consent and whom `user` would see but for the withdrawal (their
    writes answer 409 `consent_withdrawn`, not 404). Coordinators of the area and system admins see them anyway."""
    scope = scope_for(user)
    withdrawn = Client.objects.filter(consent_withdrawn_at__isnull=False)
    if scope.is_system_admin:
        return withdrawn
    return withdrawn.filter(_client_q(scope, user, minimal_too=True, withdrawn_too=True))


def client_qs_with_access_for(*, user: User) -> QuerySet[Client]:
    """`client_qs_for` annotated with `full_access` (bool): False means the minimal view only."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Client.objects.annotate(full_access=Value(True, output_field=BooleanField()))
    return client_qs_for(user=user).annotate(
        full_access=Case(
            When(_client_q(scope, user, minimal_too=False), then=Value(True)), default=Value(False)
        )
    )


def client_full_qs_for(*, user: User) -> QuerySet[Client]:
    """The clients whose full record `user` may see (what hangs on a client follows this set)."""
    return client_qs_with_access_for(user=user).filter(full_access=True)


def client_writable_qs_for(*, user: User) -> QuerySet[Client]:
    """The clients `user` may change: `client_full_qs_for`'s set as one filter, without the access annotation."""
    scope = scope_for(user)
    return Client.objects.filter(
        _client_q(scope, user, minimal_too=False) if not scope.is_system_admin else Q()
    )


def client_access_level(*, user: User, client: Client) -> AccessLevel | None:
    """'full', 'minimal' (staff only offered the case) or None (out of scope)."""
    annotated = getattr(client, "full_access", None)
    if annotated is None:
        found = list(
            client_qs_with_access_for(user=user).filter(id=client.id).values_list("full_access", flat=True)
        )
        if not found:
            return None
        annotated = found[0]
    return "full" if annotated else "minimal"


# --- What hangs on a client's full record ---------------------------------------------------------------------


def family_link_qs_for(*, user: User) -> QuerySet[ClientFamilyLink]:
    """Active family links of clients whose full record `user` sees."""
    return ClientFamilyLink.objects.filter(
        client_id__in=client_full_qs_for(user=user).values("id"), unlinked_at__isnull=True
    )


def family_member_qs_for(*, user: User) -> QuerySet[FamilyMember]:
    """Family members actively linked to a client whose full record `user` sees."""
    return FamilyMember.objects.filter(id__in=family_link_qs_for(user=user).values("member_id"))


def visit_qs_for(*, user: User) -> QuerySet[Visit]:
    return Visit.objects.filter(client_id__in=client_full_qs_for(user=user).values("id"))


def contact_attempt_qs_for(*, user: User) -> QuerySet[ContactAttempt]:
    return ContactAttempt.objects.filter(client_id__in=client_full_qs_for(user=user).values("id"))


def correction_qs_for(*, user: User) -> QuerySet[ClientCorrection]:
    return ClientCorrection.objects.filter(client_id__in=client_full_qs_for(user=user).values("id"))


def screening_qs_for(*, user: User) -> QuerySet[Screening]:
    return Screening.objects.filter(client_id__in=client_full_qs_for(user=user).values("id"))


# --- Escalations and offers ------------------------------------------------------------------------------------


def escalation_qs_for(*, user: User) -> QuerySet[Escalation]:
    """Every escalation `user` may see."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Escalation.objects.all()
    if not scope.roles:
        return Escalation.objects.none()
    # The creator keeps the case only while the client is theirs to see (moved away: 404, like the client).
    consenting = Q(client__consent_withdrawn_at__isnull=True)
    paths = [Q(created_by_id=user.id, client_id__in=client_qs_for(user=user).values("id"))]
    if scope.village_codes:
        paths.append(consenting & Q(client__village_id__in=scope.village_codes))
    if Role.VOLUNTEER in scope.roles:
        paths.append(consenting & Q(client_id__in=_assigned_client_ids(user)))
    if scope.area_codes:
        paths.append(Q(client_id__in=_clients_in(scope.area_codes)))
    if scope.is_staff_member:
        paths.append(Q(assigned_to_id=user.id))
    if scope.admin_facility_ids:
        paths.append(Q(facility_id__in=scope.admin_facility_ids))
    sources = [Escalation.objects.filter(q).values("id") for q in paths]
    if scope.is_staff_member or scope.admin_facility_ids:
        sources.append(Offer.objects.filter(offers_in_view_q(scope, user)).values("escalation_id"))
    return Escalation.objects.filter(ids_in_any(sources))


def case_visible_q(*, user: User) -> Q:
    """The escalations whose course (outcome, notes, who handled it, earlier appointments) `user` may read, as
    one filter (see the module docstring). An empty Q for a system admin: everything."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Q()
    q = Q(created_by_id=user.id) | Q(assigned_to_id=user.id) | Q(client_id__in=_assigned_client_ids(user))
    if scope.village_codes or scope.area_codes:
        q |= Q(client_id__in=_clients_in(scope.village_codes | scope.area_codes))
    if scope.admin_facility_ids:
        q |= Q(facility_id__in=scope.admin_facility_ids)
    return q


def with_case_view(qs: QuerySet[Escalation], *, user: User) -> QuerySet[Escalation]:
    """`qs` annotated with `full_view`: may `user` read each case's course (`case_visible_q`)?"""
    q = case_visible_q(user=user)
    if not q:  # system admin: everything (an empty Q cannot be a When condition)
        return qs.annotate(full_view=Value(True, output_field=BooleanField()))
    return qs.annotate(full_view=Case(When(q, then=Value(True)), default=Value(False)))


def case_visible_known(*, user: User, esc: Escalation) -> bool | None:
    """`case_visible_q` when it can be told without a query: the row's `full_view` annotation, or True for the
    case's creator (the filter's first term); else None."""
    full_view = getattr(esc, "full_view", None)
    if full_view is None and esc.created_by_id == user.id:
        return True
    return full_view


def case_visible_to(*, user: User, esc: Escalation) -> bool:
    """`case_visible_q` for one escalation: the `full_view` annotation when the row has it, its creator at once
    (case_visible_known), else one query."""
    full_view = case_visible_known(user=user, esc=esc)
    if full_view is None:
        full_view = Escalation.objects.filter(case_visible_q(user=user), id=esc.id).exists()
    return bool(full_view)


def routing_visible_to(*, user: User, esc: Escalation) -> bool:
    """Coordinators of the area, system admins and the village side see the why: the creator, field workers of
    the village, and the client's volunteers wherever their own village is (while they are volunteers). The
    creator of a referral is the staff member who referred: staff, who do not read colleagues' leave and
    caseload, so they count as creator only for a case raised in the village."""
    scope = scope_for(user)
    if scope.is_system_admin or (esc.created_by_id == user.id and esc.source != "referral"):
        return True
    if region_inside(esc.client.village_id, scope.area_codes | scope.village_codes):
        return True
    return bool(scope.village_codes_volunteer) and esc.client.assigned_volunteers.filter(id=user.id).exists()


def offer_qs_for(*, user: User) -> QuerySet[Offer]:
    """Offers `user` may see: their own, their facility's staff's while in view, and every offer of a case whose
    course they may read."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Offer.objects.all()
    visible_cases = escalation_qs_for(user=user).filter(case_visible_q(user=user)).values("id")
    return Offer.objects.filter(
        Q(staff_id=user.id) | offers_in_view_q(scope, user) | Q(escalation_id__in=visible_cases)
    )


def offered_escalation_qs_for(*, user: User, client_id: uuid.UUID) -> QuerySet[Escalation]:
    """The client's escalations offered in view of `user` (to them or their facility's staff): what the minimal
    view of an offered client shows."""
    scope = scope_for(user)
    return Escalation.objects.filter(
        offers_in_view_q(scope, user, prefix="offers__"), client_id=client_id
    ).distinct()


def timeline_escalation_qs_for(*, user: User, client_id: uuid.UUID) -> QuerySet[Escalation]:
    """The client's escalations whose steps `user` may see in the client's timeline (their course is theirs
    to read). The caller checked that `user` sees the client's full record."""
    return escalation_qs_for(user=user).filter(case_visible_q(user=user), client_id=client_id)


# --- Tasks and notifications ---------------------------------------------------------------------------------------


def task_qs_for(*, user: User) -> QuerySet[Task]:
    """Their own tasks of clients still in their scope; coordinators also their area's; system admins all."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Task.objects.all()
    sources = [Task.objects.filter(assignee_id=user.id, client_id__in=client_qs_for(user=user).values("id"))]
    if scope.area_codes:
        sources.append(Task.objects.filter(client_id__in=_clients_in(scope.area_codes)))
    return Task.objects.filter(ids_in_any([source.values("id") for source in sources]))


def notification_qs_for(*, user: User) -> QuerySet[Notification]:
    """One's own inbox, whoever one is (a system admin included)."""
    return Notification.objects.filter(recipient_id=user.id)


# --- Reports ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportAccess:
    """May the user have the report of this area and/or facility; if so, is it the facility admin's view only
    (their facility's cases, small counts hidden)? `allowed=False` answers 404; `too_small` answers 422."""

    allowed: bool
    facility_admin_only: bool = False
    too_small: bool = False
    # Counts of 1-4 in rows of villages are hidden: for every reader below the system admin.
    small_cells_hidden: bool = True


def may_read_reports(*, user: User) -> bool:
    scope = scope_for(user)
    return scope.is_system_admin or bool(scope.area_codes or scope.admin_facility_ids)


def report_access(*, user: User, region: Region | None, facility: Facility | None) -> ReportAccess:
    """The report rule (see the module docstring): `region` and `facility` as the reader asked for them."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return ReportAccess(allowed=True, small_cells_hidden=False)
    if facility is not None:
        area_coordinator = region is not None and region_inside(region.code, scope.area_codes)
        if facility.id not in scope.admin_facility_ids and not area_coordinator:
            return ReportAccess(allowed=False)
        admin_only = not area_coordinator
        too_small = admin_only and region is not None and region.level == RegionLevel.VILLAGE
        return ReportAccess(allowed=True, facility_admin_only=admin_only, too_small=too_small)
    if region is None:
        return ReportAccess(allowed=True)  # the caller asks for an area
    return ReportAccess(allowed=region_inside(region.code, scope.area_codes))


# --- The sync feed ---------------------------------------------------------------------------------------------------


def change_log_scope_q(*, user: User) -> Q:
    """Change log rows `user` may learn of: about a client in scope, in their villages/areas, or addressed to
    them. A task, notification or scope row names its client too, but goes to its addressee only (matched on the
    client it once served others a `leave` naming someone else's task)."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Q(user_id=user.id) | ~Q(entity__in=PERSONAL_ENTITIES)
    shared = Q(client_id__in=client_qs_for(user=user).values("id"))
    if scope.village_codes or scope.area_codes:
        shared |= region_code_q("village_code", scope.village_codes | scope.area_codes)
    return Q(user_id=user.id) | (~Q(entity__in=PERSONAL_ENTITIES) & shared)
