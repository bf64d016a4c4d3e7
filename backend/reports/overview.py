"""What the coordinators' web view shows beside the monthly report: cases waiting for acceptance, clients slipping
away (follow-up tier 2-3, lost contact) and the map's counts. Every read starts from backend.access's scoped
querysets, so the web view sees exactly what the API would; nothing here decides who sees what.

The map carries counts only (no client name, code or address), per village: active clients, overdue follow-up
tasks and open escalations; and per facility its certified staff. For every reader below the system admin a
village count is given as its band only ("<5", "5-9", "10-19", "20+"): see `_count`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from backend.access.policy import (
    client_full_qs_for,
    escalation_qs_for,
    is_coordinator_of,
    region_code_q,
    scope_for,
    task_qs_for,
)
from backend.accounts.models import RoleAssignment, User
from backend.escalations.areas import AreaSettings, area_settings
from backend.escalations.models import OPEN_STATUSES, UNTAKEN_STATUSES, Escalation, OfferStatus
from backend.escalations.routing import eligible_staff_q
from backend.escalations.sla import local_date
from backend.recovery.lifecycle import ACTIVE, ClientStatus
from backend.reports.suppression import SMALL, SMALL_CELL_MAX
from backend.tasks.models import TaskKind, TaskStatus
from villages.models import Facility, Region, RegionLevel

FOLLOW_UP_TASKS = (TaskKind.FOLLOW_UP_CONTACT, TaskKind.FOLLOW_UP_VILLAGE, TaskKind.CLIENT_HANDOVER)
LIST_LIMIT = 200


def _in_area(area: Region | None, field_name: str) -> Q:
    return Q() if area is None else region_code_q(field_name, frozenset({area.code}))


@dataclass
class WaitingCase:
    escalation: Escalation
    age_hours: float
    sla_hours: int
    over_sla: bool
    offered_to: str  # the staff member holding the pending offer, or ""
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (user id, "name - facility")


def waiting_cases(*, user: User, area: Region | None, now: datetime | None = None) -> list[WaitingCase]:
    """Escalations not yet taken by staff (offered, or with the coordinator), oldest first, with their age
    against the SLA of the client's area, and, for one who may assign, the staff certified for the need today
    at facilities of the client's regency (the same eligibility as POST /escalations/{id}/assign)."""
    now = now or timezone.now()
    qs = (
        escalation_qs_for(user=user)
        .filter(_in_area(area, "client__village__code"), status__in=UNTAKEN_STATUSES)
        .select_related("client", "client__village")
        .prefetch_related("offers__staff")
        .order_by("created_at", "id")[:LIST_LIMIT]
    )
    out = []
    # Cases share villages, and the staff who may take a case depend only on its need, regency and day: each is
    # read once per page, not once per row.
    settings_of: dict[str, AreaSettings] = {}
    candidates_of: dict[tuple[str, str | None, Any], list[tuple[str, str]]] = {}
    for esc in qs:
        village = esc.client.village_id
        settings = settings_of.get(village) or settings_of.setdefault(
            village, area_settings(village_code=village)
        )
        hours = settings.sla_hours(esc.urgency)
        age = (now - esc.created_at).total_seconds() / 3600
        pending = [o for o in esc.offers.all() if o.status == OfferStatus.PENDING]
        case = WaitingCase(
            escalation=esc,
            age_hours=round(age, 1),
            sla_hours=hours,
            over_sla=age > hours,
            offered_to=pending[0].staff.name if pending else "",
        )
        if is_coordinator_of(user=user, village_code=esc.client.village_id):
            key = (esc.need, settings.regency_code, local_date(instant=now, tz=settings.timezone))
            if key not in candidates_of:
                candidates_of[key] = _candidates(*key)
            case.candidates = candidates_of[key]
        out.append(case)
    return out


def _candidates(need: str, regency_code: str | None, day: Any) -> list[tuple[str, str]]:
    qs = RoleAssignment.objects.filter(eligible_staff_q(need=need, day=day), facility__active=True)
    if regency_code:
        qs = qs.filter(region_code_q("facility__village__code", frozenset({regency_code})))
    rows = qs.select_related("user", "facility").order_by("user__name", "facility__name")
    seen: dict[str, str] = {}
    for ra in rows:
        seen.setdefault(str(ra.user_id), f"{ra.user.name} - {ra.facility.name}")  # type: ignore[union-attr]
    return list(seen.items())


@dataclass
class SlippingClient:
    code: str
    village: str
    status: str
    tier: int
    tier_since: Any
    trigger: str
    holders: list[str]


def slipping_clients(*, user: User, area: Region | None) -> list[SlippingClient]:
    """Clients (whose full record the reader sees) at follow-up tier 2 or 3, or lost contact: code and village
    only, the tier and since when, and who holds the open follow-up tasks (the next step)."""
    clients = (
        client_full_qs_for(user=user)
        .filter(_in_area(area, "village__code"))
        .filter(Q(followup_state__tier__gte=2) | Q(status=ClientStatus.LOST_CONTACT))
        .select_related("village", "followup_state")
        .order_by("-followup_state__tier", "followup_state__tier_since", "code")[:LIST_LIMIT]
    )
    clients = list(clients)
    holders: dict[Any, list[str]] = {}
    tasks = task_qs_for(user=user).filter(
        client_id__in=[c.id for c in clients], status=TaskStatus.OPEN, kind__in=FOLLOW_UP_TASKS
    )
    for client_id, name in tasks.values_list("client_id", "assignee__name").order_by("due_on"):
        if name not in holders.setdefault(client_id, []):
            holders[client_id].append(name)
    out = []
    for c in clients:
        state = getattr(c, "followup_state", None)
        out.append(
            SlippingClient(
                code=c.code,
                village=c.village.name,
                status=c.get_status_display(),
                tier=state.tier if state else 0,
                tier_since=state.tier_since if state else None,
                trigger=state.get_trigger_display() if state and state.trigger else "",
                holders=holders.get(c.id, []),
            )
        )
    return out


BAND_TEXT = ("0", SMALL, "5-9", "10-19", "20+")


def _count(value: int, hide_small: bool) -> int | str:
    """The exact count for the system admin; for everyone else its band ("<5", "5-9", ...): the current month's
    active clients per village are nearly that month's report cells, and an exact count here would give back a
    cell the report hides as a complement ("*")."""
    if not hide_small:
        return value
    return 0 if value == 0 else BAND_TEXT[_band(value)]


def _grouped_by_village(qs: QuerySet[Any], village_field: str) -> dict[str, int]:
    return dict(qs.values_list(village_field).annotate(n=Count("id")).order_by())


def map_data(*, user: User, area: Region) -> dict[str, Any]:
    """GeoJSON-like data for the map of `area` (the caller checked the reader may have its report):
    {"area": {...}, "villages": [...], "facilities": [...]} with counts only."""
    hide = not scope_for(user).is_system_admin
    today = local_date(instant=timezone.now(), tz=area.timezone)
    clients = client_full_qs_for(user=user).filter(_in_area(area, "village__code"))
    active = _grouped_by_village(clients.filter(status__in=list(ACTIVE)), "village_id")
    overdue = _grouped_by_village(
        task_qs_for(user=user).filter(
            _in_area(area, "client__village__code"), status=TaskStatus.OPEN, due_on__lt=today
        ),
        "client__village_id",
    )
    escalations = _grouped_by_village(
        escalation_qs_for(user=user).filter(
            _in_area(area, "client__village__code"), status__in=OPEN_STATUSES
        ),
        "client__village_id",
    )
    villages = (
        Region.objects.filter(region_code_q("code", frozenset({area.code})), level=RegionLevel.VILLAGE)
        .annotate(geo_point=AsGeoJSON("point", precision=5), geo_boundary=AsGeoJSON("boundary", precision=5))
        .order_by("code")
    )
    out_villages = []
    for v in villages:
        out_villages.append(
            {
                "code": v.code,
                "name": v.name,
                "point": json.loads(v.geo_point) if v.geo_point else None,
                "boundary": json.loads(v.geo_boundary) if v.geo_boundary else None,
                "active": _count(active.get(v.code, 0), hide),
                "active_band": _band(active.get(v.code, 0)),
                "overdue": _count(overdue.get(v.code, 0), hide),
                "overdue_band": _band(overdue.get(v.code, 0)),
                "escalations": _count(escalations.get(v.code, 0), hide),
            }
        )
    facilities = (
        Facility.objects.filter(region_code_q("village__code", frozenset({area.code})), active=True)
        .annotate(
            geo=AsGeoJSON("location", precision=5),
            certified=Count(
                "role_assignments__user",
                filter=eligible_staff_q(need=None, day=today, prefix="role_assignments__")
                & Q(role_assignments__user__certifications__revoked=False)
                & Q(role_assignments__user__certifications__expires_on__gte=today),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    area_geo = Region.objects.filter(code=area.code).annotate(
        geo_point=AsGeoJSON("point", precision=5), geo_boundary=AsGeoJSON("boundary", precision=5)
    )[0]
    return {
        "area": {
            "code": area.code,
            "name": area.name,
            "point": json.loads(area_geo.geo_point) if area_geo.geo_point else None,
            "boundary": json.loads(area_geo.geo_boundary) if area_geo.geo_boundary else None,
        },
        "villages": out_villages,
        "facilities": [
            {
                "name": f.name,
                "type": f.get_type_display(),
                "point": json.loads(f.geo),
                "certified_staff": f.certified,
            }
            for f in facilities
        ],
    }


def _band(value: int) -> int:
    """Shade of a village: 0 none, 1 for 1-4, 2 for 5-9, 3 for 10-19, 4 for 20 or more."""
    return 0 if value == 0 else 1 if value <= SMALL_CELL_MAX else 2 if value < 10 else 3 if value < 20 else 4
