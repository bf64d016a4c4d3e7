"""The correction history of a client's record (UU 27/2022 art. 6: the right to have one's data corrected).

Every edit of a client (`client_update`) or of a family member linked to them (`family_member_update`) keeps,
per field that really changed: the old and the new value, who, when, the record's new version, and why (the
`reason` the edit carried). Unchanged fields sent again leave nothing.

A reason is required (422 `reason_required`) when the edit changes who the person is: name, sex, birth date or
year, NIK (`REASON_REQUIRED`). Those corrections are the ones a client disputes and an auditor asks about; the
others (phone, address, notes, assigned volunteers, the programme fields) change routinely in the field and
take a reason when one is given.

Values not kept: the NIK (only whether one was on file: the history must not rebuild what the record no longer
holds) and a family member's phone (a third party's number, shown only while they agree to be contacted: the
history says it changed, not what it was). Everything else is kept as it was, because the history is for the
client (subject access) and for those who already see the full record. An erasure blanks the values and the
reasons (`corrections_erase`), the only UPDATE the table's trigger allows.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import FieldErrors
from backend.recovery.models import Client, ClientCorrection, CorrectionEntity, FamilyMember
from backend.recovery.texts import text_clean

REASON_REQUIRED = frozenset({"name", "sex", "birth_date", "birth_year", "nik"})
REASON_MAX_LENGTH = 500
CLIENT_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "birth_year",
    "phone",
    "village_code",
    "address",
    "substances",
    "notes",
    "use_duration_years",
    "use_route",
    "nik",
    "assigned_volunteer_ids",
)
MEMBER_FIELDS = ("name", "relationship", "phone", "role", "may_contact")
# Fields whose values the history does not keep, per entity: only the fact of the change. (The NIK is kept as
# whether one is on file, `client_values`.)
VALUES_NOT_KEPT = {CorrectionEntity.CLIENT: frozenset(), CorrectionEntity.FAMILY_MEMBER: frozenset({"phone"})}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def client_values(*, client: Client, volunteer_ids: list[uuid.UUID] | None = None) -> dict[str, Any]:
    """The client's correctable fields as the history keeps them (JSON values). `volunteer_ids`: the assigned
    volunteers, when known (else read from the database: a saved client only)."""
    derived = {"village_code", "nik", "assigned_volunteer_ids"}
    values = {name: _plain(getattr(client, name)) for name in CLIENT_FIELDS if name not in derived}
    values["village_code"] = client.village_id
    values["nik"] = {"on_file": bool(client.nik_hash)}
    if volunteer_ids is None:
        volunteer_ids = list(client.assigned_volunteers.values_list("id", flat=True)) if client.pk else []
    values["assigned_volunteer_ids"] = sorted(str(v) for v in volunteer_ids)
    return values


def member_values(*, member: FamilyMember) -> dict[str, Any]:
    return {name: getattr(member, name) for name in MEMBER_FIELDS}


def correction_reason(*, reason: str | None, changed: set[str], errors: FieldErrors) -> str:
    """The edit's reason, cleaned; a change of an identity field without one is `reason_required`."""
    text = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH, errors=errors)
    if not text and changed & REASON_REQUIRED:
        errors.add(
            "reason",
            "reason_required",
            _("Sebutkan alasan perbaikan nama, jenis kelamin, tanggal lahir atau NIK."),
        )
    return text


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {name for name in after if before.get(name) != after[name]}


def corrections_record(
    *,
    actor: User,
    client: Client,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
    version: int,
    entity: str = CorrectionEntity.CLIENT,
    member_id: uuid.UUID | None = None,
) -> list[ClientCorrection]:
    """One history row per field that changed between `before` and `after`, in the edit's transaction."""
    hidden = VALUES_NOT_KEPT[CorrectionEntity(entity)]
    now = timezone.now()
    rows = [
        ClientCorrection(
            client=client,
            entity=entity,
            member_id=member_id,
            field=name,
            old_value=None if name in hidden else before.get(name),
            new_value=None if name in hidden else after[name],
            reason=reason,
            actor=actor,
            at=now,
            version=version,
        )
        for name in sorted(changed_fields(before, after))
    ]
    return ClientCorrection.objects.bulk_create(rows)


def corrections_erase(*, client_id: uuid.UUID) -> int:
    """Blank the values and reasons of a client's history (the erasure): who changed which field, and when,
    stays as the record of processing. The only UPDATE the table's trigger allows."""
    qs: QuerySet[ClientCorrection] = ClientCorrection.objects.filter(
        client_id=client_id, erased_at__isnull=True
    )
    return qs.update(old_value=None, new_value=None, reason="", erased_at=timezone.now())
