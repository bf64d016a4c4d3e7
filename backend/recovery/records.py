"""What the API and the sync feed show of a client, a family member and a visit: one record each, built here.

The access level (full record or the minimal view of an offered case) comes from backend/access; a family
member's phone number only where the member agreed to be contacted and the client's contact_family consent is
in force.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.access import offered_escalation_qs_for
from backend.accounts.models import User
from backend.audit.services import access_log_record, access_log_record_many
from backend.recovery.models import Client, ClientFamilyLink, FamilyMember, Screening, Visit
from backend.recovery.selectors import consent_in_force, consents_in_force


def client_family(*, client: Client, contact_allowed: bool | None = None) -> list[dict[str, Any]]:
    """Family members actively linked to the client. A phone number is shown only to those who may use it:
    the member agreed to be contacted and the client's contact_family consent is in force."""
    if contact_allowed is None:
        contact_allowed = consent_in_force(client_id=client.id, scope="contact_family")
    links = (
        ClientFamilyLink.objects.filter(client_id=client.id, unlinked_at__isnull=True)
        .select_related("member")
        .order_by("linked_at")
    )
    return [
        family_member_record(member=link.member, link=link, contact_allowed=contact_allowed) for link in links
    ]


def family_member_record(
    *, member: FamilyMember, link: ClientFamilyLink | None, contact_allowed: bool
) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "relationship": member.relationship,
        "role": member.role,
        "may_contact": member.may_contact,
        "phone": member.phone if (member.may_contact and contact_allowed) else None,
        "linked_at": link.linked_at if link else None,
        "version": member.version,
    }


def _offered_case(*, user: User, client_id: uuid.UUID) -> dict[str, Any] | None:
    """The minimal view's reason to exist: the newest case of the client offered in view of `user`."""
    return (
        offered_escalation_qs_for(user=user, client_id=client_id)
        .order_by("-created_at")
        .values("id", "need", "urgency", "status")
        .first()
    )


def client_record_after_write(*, user: User, client: Client, endpoint: str) -> dict[str, Any]:
    """The full record a write answers with (PATCH, a transition): it shows the record, so the read is logged."""
    access_log_record(user=user, client_id=client.id, endpoint=endpoint)
    return client_record(user=user, client=client, full=True)


def client_record(*, user: User, client: Client, full: bool) -> dict[str, Any]:
    """The client as the API shows it to `user`: the full record, or the minimal view of an offered case."""
    village = {"code": client.village_id, "name": client.village.name}
    if not full:
        return {
            "id": client.id,
            "code": client.code,
            "access": "minimal",
            "sex": client.sex,
            "birth_year": client.birth_year,
            "village": village,
            "escalation": _offered_case(user=user, client_id=client.id),
        }
    consents = consents_in_force(client_id=client.id)
    volunteers = list(client.assigned_volunteers.order_by("name").values("id", "name"))
    return {
        "id": client.id,
        "code": client.code,
        "access": "full",
        "name": client.name,
        "sex": client.sex,
        "birth_date": client.birth_date,
        "birth_year": client.birth_year,
        "phone": client.phone or None,
        "village": village,
        "address": client.address,
        "substances": client.substances,
        "nik_last4": client.nik_last4 or None,
        "notes": client.notes,
        "status": client.status,
        "assigned_volunteers": volunteers,
        "family_members": client_family(client=client, contact_allowed=consents["contact_family"]),
        "consents": consents,
        "version": client.version,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def client_list_items(*, user: User, clients: list[Client]) -> list[dict[str, Any]]:
    """The rows of a GET /clients page, audit-logged: a fully visible row shows the client's name and status,
    so it is a read of the record (one AccessLog row per such client, in one INSERT). Minimal rows are not."""
    full_ids = [c.id for c in clients if c.full_access]  # type: ignore[attr-defined]
    if full_ids:
        access_log_record_many(user=user, client_ids=full_ids, endpoint="client_list")
    return [client_list_item(client=c) for c in clients]


def client_list_item(*, client: Client) -> dict[str, Any]:
    """A row of GET /clients (client from `client_list_for`: village loaded, `full_access` annotated)."""
    full = bool(client.full_access)  # type: ignore[attr-defined]
    return {
        "id": client.id,
        "code": client.code,
        "access": "full" if full else "minimal",
        "name": client.name if full else None,
        "sex": client.sex,
        "birth_year": client.birth_year,
        "village": {"code": client.village_id, "name": client.village.name},
        "status": client.status if full else None,
        "version": client.version,
    }


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


def visit_record(*, visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "occurred_at": visit.occurred_at,
        "received_at": visit.received_at,
        "type": visit.type,
        "participants": visit.participants,
        "location": {"lat": visit.location.y, "lon": visit.location.x} if visit.location else None,
        "location_accuracy_m": visit.location_accuracy_m,
        "outcome": visit.outcome,
        "notes": visit.notes,
        "next_visit_on": visit.next_visit_on,
        "screening_id": visit.screening_id,
        "logged_by": {"id": visit.logged_by_id, "name": visit.logged_by.name},
        "version": visit.version,
    }
