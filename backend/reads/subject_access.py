"""Subject access (UU 27/2022 art. 7): the complete record of one client, for the client's own request.

Produced by a coordinator of the client's area (or a system admin) only: other roles who see the client answer
403 `coordinator_required`, anyone else 404 (backend.access, as for any read). The export is itself a read of
the record, logged in the access log as `subject_access_export`, and it lists the access log too: who read the
record, when, through what. A client who withdrew consent is still exported (their coordinators see them).

The record is sections of flat rows (plain JSON values), so the JSON download and the XLSX (one sheet per
section: backend/reports/subject_access.py) hold exactly the same.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.access.policy import is_coordinator_of
from backend.accounts.models import User
from backend.audit.models import AccessLog
from backend.audit.services import access_log_record
from backend.common.errors import PermissionDenied
from backend.escalations.models import Escalation
from backend.reads.clients import client_get_full_for
from backend.recovery.models import (
    Client,
    ClientCorrection,
    ClientFamilyLink,
    ClientStatusChange,
    Consent,
    ContactAttempt,
    Screening,
    Visit,
)
from backend.tasks.models import Task

EXPORT_ENDPOINT = "subject_access_export"
SECTIONS = (
    "client",
    "family_links",
    "consents",
    "status_history",
    "screenings",
    "visits",
    "contact_attempts",
    "escalations",
    "tasks",
    "corrections",
    "access_log",
)


def _plain(value: Any) -> Any:
    """A JSON value: times and dates ISO 8601, ids text, lists and dicts as they are."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _rows(qs: Any, *fields: str) -> list[dict[str, Any]]:
    """The rows as dicts of `fields` ("name" or "label=lookup"), in the queryset's order."""
    pairs = [f.split("=", 1) if "=" in f else (f, f) for f in fields]
    return [
        {label: _plain(row[lookup]) for label, lookup in pairs}
        for row in qs.values(*[lookup for _label, lookup in pairs])
    ]


def _client_rows(client: Client) -> list[dict[str, Any]]:
    row = _rows(
        Client.objects.filter(id=client.id),
        "code",
        "name",
        "sex",
        "birth_date",
        "birth_year",
        "phone",
        "village_code=village_id",
        "village=village__name",
        "address",
        "substances",
        "notes",
        "status",
        "consent_withdrawn_at",
        "registered_by=registered_by__name",
        "created_at",
        "updated_at",
    )[0]
    row["nik_on_file"] = bool(client.nik_hash)  # the NIK itself is not kept: only its keyed hash
    row["assigned_volunteers"] = sorted(client.assigned_volunteers.values_list("name", flat=True))
    return [row]


def subject_access_record(*, user: User, client_id: uuid.UUID) -> dict[str, Any]:
    """The client's complete record, by section (see the module docstring); the export is logged."""
    client = client_get_full_for(user=user, client_id=client_id)
    if not is_coordinator_of(user=user, village_code=client.village_id):
        raise PermissionDenied(
            _("Salinan data lengkap klien hanya dibuat oleh koordinator wilayah klien."),
            code="coordinator_required",
        )
    access_log_record(user=user, client_id=client.id, endpoint=EXPORT_ENDPOINT)
    by_client = {"client_id": client.id}
    sections = {
        "client": _client_rows(client),
        "family_links": _rows(
            ClientFamilyLink.objects.filter(**by_client).order_by("linked_at", "id"),
            "name=member__name",
            "relationship=member__relationship",
            "role=member__role",
            "phone=member__phone",
            "may_contact=member__may_contact",
            "linked_at",
            "unlinked_at",
        ),
        "consents": _rows(
            Consent.objects.filter(**by_client).order_by("recorded_at"),
            "scope",
            "given",
            "given_by",
            "guardian=guardian__name",
            "recorded_by=recorded_by__name",
            "recorded_at",
            "note",
        ),
        "status_history": _rows(
            ClientStatusChange.objects.filter(**by_client).order_by("at"),
            "from_status",
            "to_status",
            "reason",
            "actor=actor__name",
            "at",
        ),
        "screenings": _rows(
            Screening.objects.filter(**by_client).order_by("screened_at"),
            "screened_at",
            "screened_by=screened_by__name",
            "highest_risk",
            "action",
            "injected_recently",
            "scores",
            "answers",
        ),
        "visits": _rows(
            Visit.objects.filter(**by_client).order_by("occurred_at"),
            "occurred_at",
            "type",
            "outcome",
            "notes",
            "next_visit_on",
            "participants",
            "logged_by=logged_by__name",
        ),
        "contact_attempts": _rows(
            ContactAttempt.objects.filter(**by_client).order_by("occurred_at"),
            "occurred_at",
            "channel",
            "result",
            "note",
            "logged_by=logged_by__name",
        ),
        "escalations": _rows(
            Escalation.objects.filter(**by_client).order_by("created_at"),
            "created_at",
            "need",
            "urgency",
            "reason",
            "status",
            "facility=facility__name",
            "assigned_to=assigned_to__name",
            "appointment_at",
            "outcome",
            "outcome_notes",
            "closed_at",
            "cancelled_at",
            "cancel_reason",
        ),
        "tasks": _rows(
            Task.objects.filter(**by_client).order_by("created_at"),
            "kind",
            "status",
            "due_on",
            "assignee=assignee__name",
            "created_at",
            "completed_at",
            "note",
        ),
        "corrections": _rows(
            ClientCorrection.objects.filter(**by_client).order_by("at", "field", "id"),
            "at",
            "entity",
            "field",
            "old_value",
            "new_value",
            "reason",
            "changed_by=actor__name",
            "version",
            "erased_at",
        ),
        "access_log": _rows(
            AccessLog.objects.filter(**by_client).order_by("at", "id"), "at", "user=user__name", "endpoint"
        ),
    }
    return {"client_id": str(client.id), "code": client.code, "sections": sections}


def subject_access_json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2)
