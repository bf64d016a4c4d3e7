"""A client's history in one list: visits, screenings, status changes, escalations and accepted offers, family
links and unlinks, consents, contact attempts.

One UNION query orders and pages the (kind, id, time) of every event; then one query per kind on the page
fetches the details. The page costs at most 2 + 14 queries (one per kind on the page) however long the history is.

Whose timeline: the caller sees the client's full record (checked by the caller). Which escalations: only those
whose course the caller may read (access.timeline_escalation_qs_for): an assessor who took a referral does not
read the first case, its reason, outcome, handler or facility, through the client's timeline.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db.models import CharField, F, QuerySet, Value

from backend.access.policy import (
    contact_attempt_qs_for,
    offer_qs_for,
    screening_qs_for,
    timeline_escalation_qs_for,
    visit_qs_for,
)
from backend.accounts.models import User
from backend.recovery.models import (
    ClientFamilyLink,
    ClientStatusChange,
    Consent,
    ContactAttempt,
    Screening,
    Visit,
)

# Later steps of an escalation, each its own event at the time the escalation service stamped on it.
ESCALATION_STEPS = {
    "escalation_to_coordinator": "to_coordinator_at",
    "escalation_scheduled": "scheduled_at",
    "escalation_outcome": "outcome_at",
    "escalation_closed": "closed_at",
    "escalation_cancelled": "cancelled_at",
}


def _events(qs: QuerySet, kind: str, at: str) -> QuerySet:
    return qs.annotate(ev_kind=Value(kind, output_field=CharField()), ev_id=F("id"), ev_at=F(at)).values_list(
        "ev_kind", "ev_id", "ev_at"
    )


def timeline_events_qs(*, user: User, client_id: uuid.UUID) -> QuerySet:
    """(kind, id, at) of every event of the client `user` may see, as one UNION ALL query (not yet ordered)."""
    escalations = timeline_escalation_qs_for(user=user, client_id=client_id)
    parts = [
        _events(visit_qs_for(user=user).filter(client_id=client_id), "visit", "occurred_at"),
        _events(screening_qs_for(user=user).filter(client_id=client_id), "screening", "screened_at"),
        _events(ClientStatusChange.objects.filter(client_id=client_id), "status_change", "at"),
        _events(escalations, "escalation", "created_at"),
        *[
            _events(escalations.filter(**{f"{at}__isnull": False}), kind, at)
            for kind, at in ESCALATION_STEPS.items()
        ],
        _events(
            offer_qs_for(user=user).filter(
                escalation_id__in=escalations.values("id"), status="accepted", answered_at__isnull=False
            ),
            "offer_accepted",
            "answered_at",
        ),
        _events(ClientFamilyLink.objects.filter(client_id=client_id), "family_link", "linked_at"),
        _events(
            ClientFamilyLink.objects.filter(client_id=client_id, unlinked_at__isnull=False),
            "family_unlink",
            "unlinked_at",
        ),
        _events(Consent.objects.filter(client_id=client_id), "consent", "recorded_at"),
        _events(
            contact_attempt_qs_for(user=user).filter(client_id=client_id), "contact_attempt", "occurred_at"
        ),
    ]
    return parts[0].union(*parts[1:], all=True)


CASE_MOVE = "escalation"  # the reason shown for a status move made by a case the caller may not read


def _hidden_cases(user: User, client_id: uuid.UUID, rows: list[ClientStatusChange]) -> set[str]:
    """The reasons `escalation:<id>` on the page that name a case whose course `user` may not read."""
    named: dict[str, str] = {}
    for change in rows:
        prefix, _sep, ident = change.reason.partition(":")
        if prefix == "escalation" and ident:
            try:
                named[change.reason] = str(uuid.UUID(ident))
            except ValueError:
                continue
    if not named:
        return set()
    visible = {
        str(i)
        for i in timeline_escalation_qs_for(user=user, client_id=client_id)
        .filter(id__in=list(named.values()))
        .values_list("id", flat=True)
    }
    return {reason for reason, ident in named.items() if ident not in visible}


def _details(
    user: User, client_id: uuid.UUID, kind: str, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The details of one kind's events on the page; escalations and offers again through the caller's scope."""
    if kind == "visit":
        rows = Visit.objects.filter(id__in=ids).select_related("logged_by")
        return {
            v.id: {
                "type": v.type,
                "outcome": v.outcome,
                "notes": v.notes,
                "by": v.logged_by.name,
                "next_visit_on": v.next_visit_on.isoformat() if v.next_visit_on else None,
            }
            for v in rows
        }
    if kind == "screening":
        rows = Screening.objects.filter(id__in=ids).select_related("screened_by")
        return {
            s.id: {
                "highest_risk": s.highest_risk,
                "action": s.action,
                "injected_recently": s.injected_recently,
                "needs_escalation": s.needs_escalation,
                "escalation_id": str(s.escalation_id) if s.escalation_id else None,
                "by": s.screened_by.name,
            }
            for s in rows
        }
    if kind == "status_change":
        rows = list(ClientStatusChange.objects.filter(id__in=ids).select_related("actor"))
        hidden = _hidden_cases(user, client_id, rows)
        return {
            c.id: {
                "from": c.from_status,
                "to": c.to_status,
                # A move made by a case the caller may not read (staff of another case): the move shows, not
                # which case made it or who handled that case.
                "reason": CASE_MOVE if c.reason in hidden else c.reason,
                "by": None if c.reason in hidden else (c.actor.name if c.actor else None),
            }
            for c in rows
        }
    if kind == "escalation" or kind in ESCALATION_STEPS:
        rows = timeline_escalation_qs_for(user=user, client_id=client_id).filter(id__in=ids)
        rows = rows.select_related("assigned_to", "facility")
        return {e.id: _escalation_data(e) for e in rows}
    if kind == "offer_accepted":
        rows = offer_qs_for(user=user).filter(id__in=ids).select_related("staff", "facility")
        return {
            o.id: {"escalation_id": str(o.escalation_id), "by": o.staff.name, "facility": o.facility.name}
            for o in rows
        }
    if kind in ("family_link", "family_unlink"):
        rows = ClientFamilyLink.objects.filter(id__in=ids).select_related(
            "member", "linked_by", "unlinked_by"
        )
        return {
            link.id: {
                "member_id": str(link.member_id),
                "name": link.member.name,
                "relationship": link.member.relationship,
                "role": link.member.role,
                "by": (link.unlinked_by if kind == "family_unlink" else link.linked_by).name
                if (link.unlinked_by if kind == "family_unlink" else link.linked_by)
                else None,
            }
            for link in rows
        }
    if kind == "contact_attempt":
        rows = ContactAttempt.objects.filter(id__in=ids).select_related("logged_by")
        return {
            a.id: {"channel": a.channel, "result": a.result, "note": a.note, "by": a.logged_by.name}
            for a in rows
        }
    if kind == "consent":
        rows = Consent.objects.filter(id__in=ids).select_related("recorded_by")
        return {
            c.id: {"scope": c.scope, "given": c.given, "given_by": c.given_by, "by": c.recorded_by.name}
            for c in rows
        }
    return {}


def _escalation_data(e: Any) -> dict[str, Any]:
    return {
        "escalation_id": str(e.id),
        "need": e.need,
        "urgency": e.urgency,
        "status": e.status,
        "source": e.source,
        "reason": e.reason,
        "assigned_to": e.assigned_to.name if e.assigned_to_id else None,
        "facility": e.facility.name if e.facility_id else None,
        "appointment_at": e.appointment_at.isoformat() if e.appointment_at else None,
        "outcome": e.outcome or None,
        # A rescheduled appointment keeps the earlier ones (set, replaced, by whom): missed ones matter here.
        "previous_appointments": e.previous_appointments or [],
        "cancel_reason": e.cancel_reason or None,
    }


def timeline_page(
    *, user: User, client_id: uuid.UUID, limit: int, offset: int, newest_first: bool = True
) -> dict[str, Any]:
    """One page of the client's timeline: {items: [{kind, id, at, data}], count, limit, offset, has_more}."""
    qs = timeline_events_qs(user=user, client_id=client_id)
    ordered = qs.order_by("-ev_at", "ev_kind") if newest_first else qs.order_by("ev_at", "ev_kind")
    rows = list(ordered[offset : offset + limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    by_kind: dict[str, list[uuid.UUID]] = defaultdict(list)
    for kind, ev_id, _at in rows:
        by_kind[kind].append(ev_id)
    details = {kind: _details(user, client_id, kind, ids) for kind, ids in by_kind.items()}
    return {
        "items": [
            {"kind": kind, "id": ev_id, "at": at, "data": details[kind].get(ev_id, {})}
            for kind, ev_id, at in rows
        ],
        "count": timeline_events_qs(user=user, client_id=client_id).count(),
        "limit": limit,
        "offset": offset,
        "has_more": has_more,
    }
