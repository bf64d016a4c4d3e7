"""Reads of escalations and tasks, always from the caller's scope (the access model: backend/accounts/access.py).

Escalations:
- volunteer / village official: escalations of clients of their village, of clients assigned to them, and the
  ones they created while the client is still theirs to see (a client who moved away takes the case along);
- counselor / assessor: escalations with an open (pending) or accepted offer to them, or assigned to them; a
  declined, expired or withdrawn offer no longer keeps the case in view (the client's record follows the same
  rule, backend/recovery/selectors.py `_OPEN_OR_ACCEPTED`);
- facility admin: escalations of their facility, or offered to one of its staff;
- coordinator: escalations of clients living in their area; system admin: all.
The routing explanation (who was passed over and why: names, leave, caseload) is shown to coordinators, system
admins and the village side (creator, field workers of the client's village), not to staff: colleagues' leave
and caseload are not theirs to read. How the case went (outcome, notes, who handled it) is shown to those who
handle or follow it (the assigned staff member, their facility's admin, coordinators, the village side), never to
someone merely offered the case: they decide on the volunteer's reason and the client's minimal view.

Every read that returns escalations writes the access log (one row per client): they carry the client's code
and health free text.

Tasks: one's own (the assignee) while the client is in their scope (a volunteer unassigned from the client
loses the client's tasks with the client); coordinators also their area's; system admin all. Overdue = open and due before
today in the client's time zone, computed here per zone in SQL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import region_code_q, scope_for
from backend.accounts.models import Role, User
from backend.audit.services import access_log_record, access_log_record_many
from backend.errors import NotFound
from backend.escalations.models import Escalation, Offer, Task
from backend.escalations.sla import is_overdue, local_date
from villages.models import TimeZoneName

OFFER_IN_SCOPE = ("pending", "accepted")  # offers that keep a case in the staff member's view


def _area_clients(codes: frozenset[str]) -> QuerySet[Any]:
    from backend.recovery.models import Client

    return Client.objects.filter(region_code_q("village__code", codes)).values("id")


def escalation_qs_for(*, user: User) -> QuerySet[Escalation]:
    """Every escalation `user` may see. Deny by default."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return Escalation.objects.all()
    if not scope.roles:
        return Escalation.objects.none()
    from backend.recovery.selectors import client_qs_for

    # The creator keeps the case only while the client is theirs to see (moved away: 404, like the client).
    q = Q(created_by_id=user.id, client_id__in=client_qs_for(user=user).values("id"))
    if scope.village_codes:
        q |= Q(client__village_id__in=scope.village_codes)
    if Role.VOLUNTEER in scope.roles:
        from backend.recovery.models import Client

        through = Client.assigned_volunteers.through.objects.filter(user_id=user.id).values("client_id")
        q |= Q(client_id__in=through)
    if scope.area_codes:
        q |= Q(client_id__in=_area_clients(scope.area_codes))
    if scope.is_staff_member:
        q |= Q(assigned_to_id=user.id) | Q(
            id__in=Offer.objects.filter(staff_id=user.id, status__in=OFFER_IN_SCOPE).values("escalation_id")
        )
    if scope.admin_facility_ids:
        offered = Offer.objects.filter(
            facility_id__in=scope.admin_facility_ids, status__in=OFFER_IN_SCOPE
        ).values("escalation_id")
        q |= Q(facility_id__in=scope.admin_facility_ids) | Q(id__in=offered)
    return Escalation.objects.filter(q)


def _with_relations(qs: QuerySet[Escalation]) -> QuerySet[Escalation]:
    return qs.select_related("client", "assigned_to", "facility").prefetch_related(
        Prefetch("offers", queryset=Offer.objects.select_related("facility").order_by("offered_at"))
    )


def escalation_list(*, user: User, status: str | None = None) -> QuerySet[Escalation]:
    qs = escalation_qs_for(user=user)
    if status:
        qs = qs.filter(status=status)
    return _with_viewer(_with_relations(qs), user=user).order_by("-created_at", "id")


def _with_viewer(qs: QuerySet[Escalation], *, user: User) -> QuerySet[Escalation]:
    """Annotate `full_view` (see `case_visible_q`) in the same statement: lists need it for every row."""
    return with_full_view(qs, user=user)


def with_full_view(qs: QuerySet[Escalation], *, user: User) -> QuerySet[Escalation]:
    """`qs` annotated with `full_view`: may `user` read each case's course (`case_visible_q`)?"""
    q = case_visible_q(user=user)
    if not q:  # system admin: everything (an empty Q cannot be a When condition)
        return qs.annotate(full_view=Value(True, output_field=BooleanField()))
    return qs.annotate(full_view=Case(When(q, then=Value(True)), default=Value(False)))


def escalation_get_for(*, user: User, escalation_id: uuid.UUID, endpoint: str | None = None) -> Escalation:
    """The escalation if in `user`'s scope, else 404; with `endpoint`, the read is access-logged."""
    esc = (
        _with_viewer(_with_relations(escalation_qs_for(user=user)), user=user)
        .filter(id=escalation_id)
        .first()
    )
    if esc is None:
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")
    if endpoint:
        access_log_record(user=user, client_id=esc.client_id, endpoint=endpoint)
    return esc


def escalation_get_after_answer(
    *, user: User, escalation_id: uuid.UUID, endpoint: str | None = None
) -> Escalation:
    """The case as it stands right after `user` answered their offer: a decline takes it out of their scope,
    yet the decline's own response still shows it once (their offer, now declined; no routing)."""
    qs = Escalation.objects.filter(
        Q(id__in=escalation_qs_for(user=user).values("id")) | Q(offers__staff_id=user.id)
    )
    esc = _with_viewer(_with_relations(qs.filter(id=escalation_id).distinct()), user=user).first()
    if esc is None:
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")
    if endpoint:
        access_log_record(user=user, client_id=esc.client_id, endpoint=endpoint)
    return esc


def routing_visible_to(*, user: User, esc: Escalation) -> bool:
    """Coordinators of the area, system admins, the creator and field workers of the village see the why.
    The creator of a referral is the staff member who referred: staff, who do not read colleagues' leave and
    caseload, so they count as creator only for a case raised in the village."""
    scope = scope_for(user)
    if scope.is_system_admin or (esc.created_by_id == user.id and esc.source != "referral"):
        return True
    village = esc.client.village_id
    return any(village == c or village.startswith(c + ".") for c in scope.area_codes | scope.village_codes)


def case_visible_q(*, user: User) -> Q:
    """The escalations whose course (outcome, notes, who handled it, earlier appointments) `user` may read,
    as one filter: the assigned staff member, their facility's admin, coordinators of the area, the village side
    (field workers of the client's village, the client's volunteers, the creator) and system admins. Not someone
    merely offered the case (or a referral of it): they decide on the reason and the client's minimal view, and
    the previous assessment is not theirs to read. The one definition of this rule: the API and the sync feed
    both use it."""
    from backend.recovery.models import Client

    scope = scope_for(user)
    if scope.is_system_admin:
        return Q()
    through = Client.assigned_volunteers.through.objects.filter(user_id=user.id).values("client_id")
    q = Q(created_by_id=user.id) | Q(assigned_to_id=user.id) | Q(client_id__in=through)
    if scope.village_codes or scope.area_codes:
        codes = scope.village_codes | scope.area_codes
        q |= Q(client_id__in=Client.objects.filter(region_code_q("village__code", codes)).values("id"))
    if scope.admin_facility_ids:
        q |= Q(facility_id__in=scope.admin_facility_ids)
    return q


def case_visible_to(*, user: User, esc: Escalation) -> bool:
    """`case_visible_q` for one escalation: the `full_view` annotation when the row has it, else one query."""
    full_view = getattr(esc, "full_view", None)
    if full_view is None:
        full_view = Escalation.objects.filter(case_visible_q(user=user), id=esc.id).exists()
    return bool(full_view)


# Shown only to those `case_visible_to` admits; the merely offered get them empty.
_CASE_FIELDS_EMPTY: dict[str, Any] = {
    "outcome": "",
    "outcome_notes": "",
    "outcome_at": None,
    "assigned_to_id": None,
    "assigned_to_name": None,
    "facility_id": None,
    "facility_name": None,
    "previous_appointments": [],
    "referred_from_id": None,
    "cancel_reason": "",
}


def offer_for_viewer(*, user: User, esc: Escalation) -> Offer | None:
    """The offer the viewer cares about: staff their own latest one; everyone else the open (or last) one."""
    offers = list(esc.offers.all())  # prefetched, oldest first
    mine = [o for o in offers if o.staff_id == user.id]
    if mine:
        return mine[-1]
    pending = [o for o in offers if o.status == "pending"]
    return pending[-1] if pending else (offers[-1] if offers else None)


# --- Tasks -------------------------------------------------------------------------------------------------


def task_qs_for(*, user: User) -> QuerySet[Task]:
    """Tasks the user may see: their own of clients still in their scope (unassigned from the client, or the
    client moved away: the task goes with the client), and coordinators their area's."""
    from backend.recovery.selectors import client_qs_for

    scope = scope_for(user)
    if scope.is_system_admin:
        return Task.objects.all()
    q = Q(assignee_id=user.id, client_id__in=client_qs_for(user=user).values("id"))
    if scope.area_codes:
        q |= Q(client_id__in=_area_clients(scope.area_codes))
    return Task.objects.filter(q)


def overdue_expression(*, now: datetime) -> Case:
    """True for open tasks due before today in the client's time zone (one WHEN per Indonesian zone)."""
    whens = [
        When(
            status="open",
            client__village__timezone=tz,
            due_on__lt=local_date(instant=now, tz=tz),
            then=Value(True),
        )
        for tz in TimeZoneName.values
    ]
    return Case(*whens, default=Value(False), output_field=BooleanField())


def task_list(
    *, user: User, status: str | None = None, due_before: date | None = None, mine_only: bool = False
) -> QuerySet[Task]:
    """Tasks in scope, with `overdue`, soonest due first. `due_before` is inclusive (due on or before)."""
    qs = task_qs_for(user=user)
    if mine_only:
        qs = qs.filter(assignee_id=user.id)
    if status:
        qs = qs.filter(status=status)
    if due_before:
        qs = qs.filter(due_on__lte=due_before)
    return (
        qs.select_related("client")
        .annotate(overdue=overdue_expression(now=timezone.now()))
        .order_by("due_on", "created_at", "id")
    )


def _offer_dict(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "staff_id": offer.staff_id,
        "facility_id": offer.facility_id,
        "facility_name": offer.facility.name,
        "distance_km": offer.distance_km,
        "status": offer.status,
        "offered_at": offer.offered_at,
        "expires_at": offer.expires_at,
        "answered_at": offer.answered_at,
        "decline_reason": offer.decline_reason,
    }


def escalation_record(*, user: User, esc: Escalation) -> dict[str, Any]:
    """What the API shows of an escalation to `user` (the routing explanation only to those who may see it).

    Carries the client's id and code, never their name: the app reads the client through /clients, where the
    viewer's access level applies."""
    offer = offer_for_viewer(user=user, esc=esc)
    record = {
        **{
            f: getattr(esc, f)
            for f in (
                "id client_id need urgency reason status source created_by_id assigned_to_id facility_id attempts"
                " appointment_at outcome outcome_notes referred_from_id referred_to_facility_id created_at"
                " accepted_at scheduled_at outcome_at closed_at to_coordinator_at cancelled_at cancel_reason"
                " previous_appointments version"
            ).split()
        },
        "client_code": esc.client.code,
        "village_code": esc.client.village_id,
        "assigned_to_name": esc.assigned_to.name if esc.assigned_to_id else None,  # type: ignore[union-attr]
        "facility_name": esc.facility.name if esc.facility_id else None,  # type: ignore[union-attr]
        "offer": _offer_dict(offer) if offer else None,
        "routing": esc.routing if esc.routing and routing_visible_to(user=user, esc=esc) else None,
    }
    if not case_visible_to(user=user, esc=esc):
        record.update(_CASE_FIELDS_EMPTY)
    return record


def escalation_records(*, user: User, escs: list[Escalation], endpoint: str) -> list[dict[str, Any]]:
    """Records of a page of escalations; the read is access-logged, one row per client, in one INSERT."""
    if escs:
        access_log_record_many(user=user, client_ids=[e.client_id for e in escs], endpoint=endpoint)
    return [escalation_record(user=user, esc=e) for e in escs]


def task_record(task: Task) -> dict[str, Any]:
    return {
        **{
            f: getattr(task, f)
            for f in (
                "id kind client_id escalation_id assignee_id due_on status completed_at completed_by_visit note"
                " version created_at updated_at"
            ).split()
        },
        "kind_label": str(task.get_kind_display()),  # type: ignore[attr-defined]
        "client_code": task.client.code,
        "overdue": task.overdue  # type: ignore[attr-defined]
        if hasattr(task, "overdue")
        else is_overdue(
            due=task.due_on, status=task.status, now=timezone.now(), tz=task.client.village.timezone
        ),
    }
