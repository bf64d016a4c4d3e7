"""Writes of client records: registration, edits and status changes. Each is one transaction that also appends
to the change log (backend/sync), so phones learn of it.

Who may register a client: volunteers and village officials (in their own villages), coordinators (in their
area) and system admins. Counselors, assessors and facility admins work on cases routed to them; they do not
register people.

Duplicates: the same NIK (by its keyed hash), or the same normalised name + birth year + village, answer 409
`duplicate_client` with `existing: {id, code}`. When the existing client is outside the caller's scope (possible
only through the NIK: a person who moved), `existing` is null and the message sends the caller to their BNN
coordinator. The refusal itself cannot be hidden (a NIK is unique), but nothing about the person, not even the
code, leaves the record's scope: a code names the regency and year of registration, and a NIK answered with it
is proof that this person is enrolled in a drug-recovery programme. Such answers are logged (ids only, never the
NIK) for the coordinators to reconcile, and limited per user (duplicates.py) so the refusal cannot be used to
test NIKs in bulk.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Role, RoleAssignment, User
from backend.accounts.phones import normalize_phone
from backend.accounts.scope import scope_for
from backend.common.errors import (
    DuplicateClient,
    FieldErrors,
    PermissionDenied,
    StaleVersion,
)
from backend.recovery.assist import SUBSTANCES
from backend.recovery.codes import client_code_next, village_today
from backend.recovery.consents import consent_record
from backend.recovery.corrections import changed_fields, client_values, correction_reason, corrections_record
from backend.recovery.models import Client, Sex, UseRoute
from backend.recovery.nik import NikFacts, nik_validate
from backend.recovery.texts import text_clean
from backend.sync.changelog import change_record
from villages.models import Region, RegionLevel

logger = logging.getLogger(__name__)

REGISTERING_ROLES = {Role.VOLUNTEER, Role.VILLAGE_OFFICIAL, Role.COORDINATOR, Role.SYSTEM_ADMIN}


def name_normalize(name: str) -> str:
    """Lower case, no accents or punctuation, single spaces: 'Muh.  Rizky' == 'muh rizky'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text).split())[:150]


def _village_for(*, actor: User, village_code: str, errors: FieldErrors) -> Region | None:
    village = Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).first()
    if village is None:
        errors.add("village_code", "village_not_found", _("Desa/kelurahan tidak ditemukan."))
        return None
    scope = scope_for(actor)
    if not (scope.covers_region(village.code)):
        errors.add("village_code", "village_not_allowed", _("Desa/kelurahan di luar wilayah Anda."))
        return None
    return village


def _volunteers_for(
    *, actor: User, village: Region, ids: list[uuid.UUID], errors: FieldErrors
) -> list[uuid.UUID]:
    """Volunteer ids that may be assigned: active volunteers of the client's village, or (for coordinators and
    admins) of any village inside the caller's area."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    scope = scope_for(actor)
    rows = RoleAssignment.objects.filter(
        user_id__in=ids, role=Role.VOLUNTEER, active=True, user__is_active=True
    ).values_list("user_id", "region_id")
    ok: set[uuid.UUID] = set()
    for user_id, region_code in rows:
        same_village = region_code == village.code
        in_area = (scope.is_system_admin or bool(scope.area_codes)) and scope.covers_region(region_code)
        if same_village or in_area:
            ok.add(user_id)
    for i, vid in enumerate(ids):
        if vid not in ok:
            errors.add(
                f"assigned_volunteer_ids.{i}", "invalid_volunteer", _("Bukan kader dari desa/wilayah ini.")
            )
    return ids


def _birth(
    *, birth_date: date | None, birth_year: int | None, errors: FieldErrors, required: bool = True
) -> int | None:
    today = timezone.localdate()
    if birth_date is not None:
        if birth_date > today or birth_date.year < 1900:
            errors.add("birth_date", "invalid_birth_date", _("Tanggal lahir tidak masuk akal."))
        if birth_year is not None and birth_year != birth_date.year:
            errors.add("birth_year", "birth_year_mismatch", _("Tahun lahir tidak sesuai tanggal lahir."))
        return birth_date.year
    if birth_year is None:
        if required:
            errors.add("birth_year", "required", _("Isi tanggal lahir atau tahun lahir."))
        return None
    if not 1900 <= birth_year <= today.year:
        errors.add("birth_year", "invalid_birth_year", _("Tahun lahir tidak masuk akal."))
    return birth_year


def _substances(values: list[str], errors: FieldErrors) -> list[str]:
    for i, s in enumerate(values):
        if s not in SUBSTANCES:
            errors.add(f"substances.{i}", "unknown_substance", _("Golongan zat tidak dikenal."))
    return list(dict.fromkeys(values))


def phone_or_blank(raw: str | None, errors: FieldErrors, field: str = "phone") -> str:
    if not raw:
        return ""
    try:
        return normalize_phone(raw, field=field)
    except Exception as exc:  # ValidationFailed: collect with the others
        errors.details.extend(getattr(exc, "details", []))
        return ""


def _nik(raw: str | None, sex: str | None, errors: FieldErrors) -> NikFacts | None:
    if not raw:
        return None
    try:
        return nik_validate(raw, sex=sex)
    except Exception as exc:  # ValidationFailed
        errors.details.extend(getattr(exc, "details", []))
        return None


def _duplicate(*, existing: Client) -> DuplicateClient:
    """409 `duplicate_client`; whether the answer names the existing client (only to a caller who may see it)
    is the read side's to decide (backend/reads/clients.py `duplicate_answer`)."""
    return DuplicateClient(
        existing_id=existing.id, existing_code=existing.code, existing_village=existing.village_id
    )


def _dedup_lock(name_norm: str, birth_year: int | None, village_code: str) -> None:
    """Serialise registrations of the same (name, birth year, village) so two cannot both pass the check."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{name_norm}|{birth_year}|{village_code}"]
        )


def client_create(
    *,
    actor: User,
    name: str,
    sex: str,
    village_code: str,
    birth_date: date | None = None,
    birth_year: int | None = None,
    phone: str | None = None,
    address: str = "",
    substances: list[str] | None = None,
    nik: str | None = None,
    notes: str = "",
    assigned_volunteer_ids: list[uuid.UUID] | None = None,
    consents: list[dict[str, Any]] | None = None,
    use_duration_years: int | None = None,
    use_route: str = "",
) -> Client:
    """Register a client. One transaction:
    1. validate every field (all problems reported at once, the same rules as an edit);
    2. refuse duplicates, under a lock on the natural key (the NIK hash is also a unique column);
    3. save with a fresh code; 4. record the initial consent; 5. tell the phones.
    """
    scope = scope_for(actor)
    if not (scope.is_system_admin or scope.roles & REGISTERING_ROLES):
        raise PermissionDenied(code="registration_not_allowed")
    client = Client(sex=sex, registered_by=actor)
    fields = {
        "sex": sex,
        "name": name,
        "village_code": village_code,
        "birth_date": birth_date,
        "birth_year": birth_year,
        "phone": phone,
        "address": address,
        "substances": substances or [],
        "nik": nik,
        "notes": notes,
        "assigned_volunteer_ids": assigned_volunteer_ids or [],
        "use_duration_years": use_duration_years,
        "use_route": use_route,
    }
    volunteer_ids = _apply_changes(actor=actor, client=client, changes=fields)
    with transaction.atomic():
        _dedup_lock(client.name_normalized, client.birth_year, client.village_id)
        _refuse_duplicates(actor=actor, client=client)
        client.code = client_code_next(village=client.village, year=village_today(client.village).year)
        client.created_at = client.updated_at = timezone.now()
        _save_refusing_duplicates(actor=actor, client=client)
        client.assigned_volunteers.set(volunteer_ids or [])
        for item in consents or []:
            consent_record(actor=actor, client=client, **item)
        change_record(
            entity="client", entity_id=client.id, village_code=client.village_id, client_id=client.id
        )
    return client


def _save_refusing_duplicates(*, actor: User, client: Client) -> None:
    """Save; a concurrent registration or edit that committed the same NIK first makes this a duplicate."""
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        existing = Client.objects.filter(nik_hash=client.nik_hash).exclude(id=client.id).first()
        if not client.nik_hash or existing is None:
            raise
        raise _duplicate(existing=existing) from None


def client_update(
    *, actor: User, client_id: uuid.UUID, version: int, changes: dict[str, Any], reason: str | None = None
) -> Client:
    """Edit a client. The caller checked that `actor` may change its full record (backend/reads/clients.py
    `client_get_for_write`: 404 out of scope, 403 for the minimal view). `version` must be the current one, else
    409 `stale_version` (the read side answers with the current record).

    1. row lock and version check; 2. validate and apply the fields sent (`reason`: why, required for a change
    of identity, corrections.py); 3. refuse duplicates; 4. save, bump the version, keep the correction history,
    and tell the phones, including those of people who lose sight of the client (an unassigned volunteer, the
    old village's field workers after a move).
    """
    with transaction.atomic():
        client = Client.objects.select_for_update().select_related("village").get(id=client_id)
        if version != client.version:
            raise StaleVersion(
                _("Data klien sudah diubah orang lain. Muat ulang lalu coba lagi."),
                entity="client",
                entity_id=client.id,
            )
        before_volunteers = set(client.assigned_volunteers.values_list("id", flat=True))
        old_village = client.village_id
        before = client_values(client=client, volunteer_ids=list(before_volunteers))
        volunteer_ids = _apply_changes(actor=actor, client=client, changes=changes)
        after = client_values(
            client=client, volunteer_ids=list(before_volunteers) if volunteer_ids is None else volunteer_ids
        )
        _refuse_duplicates(actor=actor, client=client)
        errors = FieldErrors()
        why = correction_reason(reason=reason, changed=changed_fields(before, after), errors=errors)
        errors.raise_if_any()
        client.version += 1
        client.updated_at = timezone.now()
        _save_refusing_duplicates(actor=actor, client=client)
        corrections_record(
            actor=actor, client=client, before=before, after=after, reason=why, version=client.version
        )
        lost: set[uuid.UUID] = set()
        if volunteer_ids is not None:
            client.assigned_volunteers.set(volunteer_ids)
            lost |= before_volunteers - set(volunteer_ids)
        if client.village_id != old_village:
            lost |= _left_behind(old_village=old_village, new_village=client.village_id)
        change_record(
            entity="client", entity_id=client.id, village_code=client.village_id, client_id=client.id
        )
        for user_id in sorted(lost, key=str):  # the feed then answers `leave` to those no longer in scope
            change_record(
                entity="client",
                entity_id=client.id,
                village_code=client.village_id,
                client_id=client.id,
                user_id=user_id,
            )
    return client


def _left_behind(*, old_village: str, new_village: str) -> set[uuid.UUID]:
    """Who saw the client through the place they lived and no longer does after a move: the old village's
    volunteers and officials, and the coordinators of areas that hold the old village but not the new one."""
    parts = old_village.split(".")
    old_areas = {".".join(parts[:i]) for i in range(1, len(parts))}
    still = {a for a in old_areas if new_village.startswith(a + ".")}
    rows = RoleAssignment.objects.filter(active=True).filter(
        Q(region_id=old_village, role__in=[Role.VOLUNTEER, Role.VILLAGE_OFFICIAL])
        | Q(region_id__in=old_areas - still, role=Role.COORDINATOR)
    )
    return set(rows.values_list("user_id", flat=True))


def _apply_changes(*, actor: User, client: Client, changes: dict[str, Any]) -> list[uuid.UUID] | None:
    """Validate the fields sent and set them on `client` (not saved). The new volunteer ids, if sent."""
    errors = FieldErrors()
    if "village_code" in changes and changes["village_code"] != client.village_id:
        before = len(errors.details)
        code = text_clean(changes["village_code"], field="village_code", max_length=13, errors=errors)
        if len(errors.details) == before:
            village = _village_for(actor=actor, village_code=code, errors=errors)
            if village:
                client.village = village
    if {"birth_date", "birth_year"} & changes.keys():
        # A year sent on its own replaces a known date; a date sent on its own sets the year.
        client.birth_date = changes.get("birth_date")
        client.birth_year = _birth(
            birth_date=client.birth_date, birth_year=changes.get("birth_year"), errors=errors
        )
    if "name" in changes:
        client.name = text_clean(changes["name"], field="name", max_length=150, errors=errors)
        client.name_normalized = name_normalize(client.name)
        if not client.name_normalized and not any(d.field == "name" for d in errors.details):
            errors.add("name", "required", _("Nama atau alias wajib diisi."))
    if "phone" in changes:
        phone = phone_or_blank(changes["phone"], errors)
        # A contact attempt found the number wrong (phone_flagged): a new number clears the flag.
        client.phone_flagged = client.phone_flagged and phone == client.phone
        client.phone = phone
    if "substances" in changes:
        client.substances = _substances(changes["substances"] or [], errors)
    _apply_use(client=client, changes=changes, errors=errors)
    _apply_sex_and_nik(client=client, changes=changes, errors=errors)
    for plain, max_length in (("address", 300), ("notes", 4000)):
        if changes.get(plain) is not None:
            setattr(
                client, plain, text_clean(changes[plain], field=plain, max_length=max_length, errors=errors)
            )
    volunteer_ids = None
    if "assigned_volunteer_ids" in changes and client.village_id:
        ids = changes["assigned_volunteer_ids"] or []
        volunteer_ids = _volunteers_for(actor=actor, village=client.village, ids=ids, errors=errors)
    errors.raise_if_any()
    return volunteer_ids


def _apply_use(*, client: Client, changes: dict[str, Any], errors: FieldErrors) -> None:
    """Duration (whole years, 0-80) and main route of use: what the IPWL recap counts."""
    if "use_duration_years" in changes:
        years = changes["use_duration_years"]
        if years is not None and not (isinstance(years, int) and 0 <= years <= 80):
            errors.add("use_duration_years", "invalid_value", _("Lama penggunaan 0 sampai 80 tahun."))
        else:
            client.use_duration_years = years
    if "use_route" in changes:
        route = changes["use_route"] or ""
        if route and route not in UseRoute.values:
            errors.add("use_route", "invalid_choice", _("Pilihan tidak valid."))
        else:
            client.use_route = route


def _apply_sex_and_nik(*, client: Client, changes: dict[str, Any], errors: FieldErrors) -> None:
    """Sex and NIK agree: a NIK encodes the holder's sex (day of birth + 40 for women).

    A new NIK is checked against the sex it will stand beside. A stored NIK was checked when it was set, so a
    change of sex without a new NIK (or without removing it: `nik: null`) would leave the two disagreeing.
    """
    new_sex = changes.get("sex")
    if new_sex is not None and new_sex not in Sex.values:
        errors.add("sex", "invalid_choice", _("Pilih male atau female."))
        return
    sex_changes = new_sex is not None and new_sex != client.sex
    if "nik" in changes and changes["nik"] is None:
        client.nik_hash = None  # removed on purpose: a wrong or mistyped NIK
    elif changes.get("nik"):
        facts = _nik(changes["nik"], new_sex or client.sex, errors)
        if facts:
            client.nik_hash = facts.hash
    elif sex_changes and client.nik_hash:
        errors.add(
            "sex",
            "nik_sex_mismatch",
            _("Jenis kelamin tidak sesuai NIK yang tersimpan: kirim NIK yang benar atau hapus NIK."),
        )
    if new_sex is not None:
        client.sex = new_sex


def _refuse_duplicates(*, actor: User, client: Client) -> None:
    others = Client.objects.exclude(id=client.id)
    if client.nik_hash and (existing := others.filter(nik_hash=client.nik_hash).first()):
        raise _duplicate(existing=existing)
    existing = others.filter(
        name_normalized=client.name_normalized, birth_year=client.birth_year, village_id=client.village_id
    ).first()
    if existing:
        raise _duplicate(existing=existing)
