"""Erasure of a client's personal data on a valid request (UU 27/2022 art. 8 and 43-44).

Who: a coordinator of the client's area or a system admin (the read side checks: backend/reads/privacy.py);
the request's legal basis (art. 43(1), `ErasureBasis`) and its reference (a letter or request number) are
required.

Legal holds refuse it with 409 `erasure_blocked`, one detail per hold, the same answer for whoever may ask
(coordinators and system admins see why, and until when):
- `open_case`: a facility holds a case of the client (accepted, scheduled, outcome recorded, or referred and
  not closed): the facility's work is under way and its outcome is owed back (rujukan balik);
- `in_treatment`: the client's status is a treatment status (outpatient, inpatient, methadone);
- `retention_period`: fewer than settings.PRIVACY_RETENTION_DAYS since the last clinical event (a screening, a
  facility case opened or closed, a status change into or out of treatment); the basis of the default is in
  settings.py.

What erasure does, in one transaction (the client row locked):
1. withdraws data-collection consent if it is still given (consents.consent_record): the client leaves every
   phone through the feed (`leave`), untaken cases are called off, open tasks cancelled, staff holding a case
   told (pushes carry no client data), and no sweep, rule or notification touches the client again;
2. removes what identifies the person: name, phone, address, birth date and year, NIK hash, notes, the client
   code (replaced by a random one: the old code is on paper at facilities), assigned volunteers; the free text
   of visits (and their GPS point), contact attempts, status changes, consents, screenings' escalation links stay
   (no text), escalations (reason, outcome notes, cancel reason, the routing explanation and the client's
   location), offers' decline reasons, tasks' notes; the correction history's values and reasons; family
   members no other client is (or was) linked to; the old code in notification texts; uploads' stored answers
   that name the client;
3. keeps what past reports count, none of it personal once the above is gone: the client row (village, sex,
   substances, use, status and its history, dates), screenings' scores, visits' and contact attempts' coded
   fields and times, escalations' course; so a past month's report gives the same numbers;
4. records the erasure (`ErasureLog`: client id, basis, reference, who, when, counts; nothing personal).

The access log keeps the client's id (who read the record when is the record of processing, art. 31) and never
held a name. Reopening is impossible: an erased client takes no consent (409 `client_erased`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Func, Max, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import ClientErased, Conflict, ErrorDetail, FieldErrors
from backend.escalations.models import Escalation, EscalationStatus, Offer
from backend.privacy.models import ErasureBasis, ErasureLog
from backend.recovery.consents import consent_record
from backend.recovery.corrections import corrections_erase
from backend.recovery.lifecycle import IN_TREATMENT, ClientStatus
from backend.recovery.models import (
    Client,
    ClientFamilyLink,
    ClientStatusChange,
    Consent,
    ConsentScope,
    ContactAttempt,
    FamilyMember,
    Screening,
    Visit,
)
from backend.recovery.texts import text_clean
from backend.sync.changelog import change_record
from backend.sync.models import IdempotencyKey
from backend.tasks.models import Task
from notifications.models import Notification

# A facility holds the case: taken by staff and not yet closed (a referred case stays the referrer's to close).
HELD_CASE_STATUSES = (
    EscalationStatus.ACCEPTED,
    EscalationStatus.SCHEDULED,
    EscalationStatus.OUTCOME_RECORDED,
    EscalationStatus.REFERRED,
)
TREATMENT_EDGES = {*IN_TREATMENT, ClientStatus.POST_REHAB}
# A request reference: a letter or request number ("BNNK-KTG/123/XI/2026"), never a name (no spaces) nor a
# NIK or phone number (no run of 8 digits or more).
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9./_-]{1,64}$")
LONG_DIGITS = re.compile(r"\d{8,}")


@dataclass(frozen=True)
class Hold:
    code: str
    until: datetime | None = None


HOLD_MESSAGES = {
    "open_case": _("Fasilitas masih menangani kasus klien: tutup kasusnya dahulu."),
    "in_treatment": _("Klien sedang dalam perawatan (rawat jalan, rawat inap atau metadon)."),
    "retention_period": _("Masa simpan wajib setelah peristiwa klinis terakhir belum berakhir."),
}


def last_clinical_event_at(*, client: Client) -> datetime | None:
    """The latest screening, facility case opened or closed, or status change into or out of treatment."""
    times = [
        Screening.objects.filter(client_id=client.id).aggregate(t=Max("screened_at"))["t"],
        Escalation.objects.filter(client_id=client.id).aggregate(t=Max("created_at"))["t"],
        Escalation.objects.filter(client_id=client.id).aggregate(t=Max("closed_at"))["t"],
        ClientStatusChange.objects.filter(client_id=client.id)
        .filter(Q(to_status__in=TREATMENT_EDGES) | Q(from_status__in=TREATMENT_EDGES))
        .aggregate(t=Max("at"))["t"],
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def erasure_holds(*, client: Client) -> list[Hold]:
    """The legal holds that block erasing `client` now (see the module docstring); empty: none."""
    holds = []
    if Escalation.objects.filter(client_id=client.id, status__in=HELD_CASE_STATUSES).exists():
        holds.append(Hold("open_case"))
    if client.status in IN_TREATMENT:
        holds.append(Hold("in_treatment"))
    days = settings.PRIVACY_RETENTION_DAYS
    last = last_clinical_event_at(client=client)
    if days > 0 and last is not None and timezone.now() < last + timedelta(days=days):
        holds.append(Hold("retention_period", until=last + timedelta(days=days)))
    return holds


def _blocked(holds: list[Hold]) -> Conflict:
    return Conflict(
        _("Data klien belum dapat dihapus: ada kewajiban simpan yang berlaku."),
        code="erasure_blocked",
        details=[ErrorDetail("hold", h.code, HOLD_MESSAGES[h.code]) for h in holds],
        extra={"holds": [{"hold": h.code, "until": h.until.isoformat() if h.until else None} for h in holds]},
    )


def _reference(raw: str, errors: FieldErrors) -> str:
    text = text_clean(raw, field="request_reference", max_length=64, errors=errors, required=True)
    if text and (not REFERENCE_PATTERN.match(text) or LONG_DIGITS.search(text)):
        errors.add(
            "request_reference",
            "invalid_reference",
            _(
                "Isi nomor surat atau permintaan (huruf, angka, . / - _; tanpa spasi, tanpa NIK atau nomor HP)."
            ),
        )
    return text


def client_erase(*, actor: User, client: Client, basis: str, request_reference: str) -> ErasureLog:
    """Erase `client`'s personal data (the caller checked that `actor` may: a coordinator of the area or a
    system admin). 409 `erasure_blocked` under a legal hold, `client_erased` when done already; 422 for a
    basis or reference that will not do. The steps are the module docstring's."""
    errors = FieldErrors()
    if basis not in ErasureBasis.values:
        errors.add("basis", "invalid_choice", _("Dasar hukum tidak dikenal."))
    reference = _reference(request_reference, errors)
    errors.raise_if_any()
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(id=client.id)
        if locked.erased_at is not None:
            raise ClientErased()
        if holds := erasure_holds(client=locked):
            raise _blocked(holds)
        if locked.consent_withdrawn_at is None:  # 1. processing stops first, with all its reactions
            consent_record(actor=actor, client=locked, scope=ConsentScope.DATA_COLLECTION, given=False)
        counts = _erase_around(client=locked)
        _anonymise(client=locked)
        change_record(
            entity="client", entity_id=locked.id, village_code=locked.village_id, client_id=locked.id
        )
        return ErasureLog.objects.create(
            client_id=locked.id,
            basis=basis,
            request_reference=reference,
            erased_by=actor,
            erased_at=locked.erased_at,
            counts=counts,
        )


def _erase_around(*, client: Client) -> dict[str, int]:
    """2. The free text and places around the client; the family members only they had. Counts per kind."""
    by_client = {"client_id": client.id}
    escalations = Escalation.objects.filter(**by_client)
    counts = {
        "visits": Visit.objects.filter(**by_client).update(notes="", location=None, location_accuracy_m=None),
        "contact_attempts": ContactAttempt.objects.filter(**by_client).update(note=""),
        "status_changes": ClientStatusChange.objects.filter(**by_client).update(reason=""),
        "consents": Consent.objects.filter(**by_client).exclude(note="").update(note=""),
        "offers": Offer.objects.filter(escalation__client_id=client.id).update(decline_reason=""),
        "escalations": escalations.update(
            reason="", outcome_notes="", cancel_reason="", routing={}, location=None
        ),
        "tasks": Task.objects.filter(**by_client).update(note=""),
        "corrections": corrections_erase(client_id=client.id),
    }
    # An upload's stored answer (kept 48 h for its retry) may carry a visit as it was (`current`, with notes):
    # dropped; a retry is then answered afresh, and refused, the client having withdrawn.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {IdempotencyKey._meta.db_table} WHERE response::text LIKE %s",
            [f"%{client.id}%"],
        )
        counts["stored_answers"] = cursor.rowcount
    own = ClientFamilyLink.objects.filter(**by_client).values("member_id")
    shared = ClientFamilyLink.objects.filter(member_id__in=own).exclude(**by_client).values("member_id")
    counts["family_members"] = (
        FamilyMember.objects.filter(id__in=own)
        .exclude(id__in=shared)
        .update(name="", relationship="", phone="", may_contact=False, updated_at=timezone.now())
    )
    if client.code:  # inbox texts name a case by its code (data holds ids only)

        def without_code(column: str) -> Func:
            return Func(F(column), Value(client.code), Value("-"), function="replace")

        counts["notifications"] = Notification.objects.filter(
            Q(body__contains=client.code) | Q(title__contains=client.code)
        ).update(body=without_code("body"), title=without_code("title"))
    return counts


def _anonymise(*, client: Client) -> None:
    """The client row keeps only what reports count (module docstring, 3)."""
    client.assigned_volunteers.clear()
    now = timezone.now()
    client.code = f"HAPUS-{secrets.token_hex(8)}"
    client.name = client.name_normalized = client.phone = client.address = client.notes = ""
    client.birth_date = client.birth_year = client.nik_hash = None
    client.phone_flagged = False
    client.erased_at = client.updated_at = now
    client.version += 1
    client.save()
