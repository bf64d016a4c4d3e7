"""Bulk import of users from CSV, in the form regencies keep their volunteer lists.

Columns: `nama,no_hp,peran,kode_wilayah,kode_fasilitas` and optionally `password`. `peran` is one of
aparatur_desa | kader | konselor | asesor | admin_fasilitas | koordinator. Village roles need a village code,
a coordinator a regency or province code, facility roles a facility code; the column a role does not use is
ignored. Spreadsheets save CSV with a BOM and often with `;`: both are accepted.

1. Every row is validated on its own (lengths against the model fields, no NUL characters); refused rows are
   reported with their line number and reason.
2. Valid rows are applied in one transaction. The import is idempotent: an existing phone keeps its user (and
   name) and gets only the roles it lacks; a repeated file changes nothing.
3. New users get an unusable password (they sign in with Firebase phone auth) unless a password is given;
   an existing user's password is never touched.
4. A coordinator imports through the admin (backend/accounts/admin/users.py) and only into their own area: a row
   whose region, or whose facility's village, lies outside it is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import AREA_ROLES, FACILITY_ROLES, VILLAGE_ROLES, Role, RoleAssignment, User
from backend.accounts.phones import normalize_phone
from backend.common.errors import ValidationFailed
from villages.models import Facility, Region, RegionLevel

ROLE_NAMES: dict[str, str] = {
    "aparatur_desa": Role.VILLAGE_OFFICIAL,
    "kader": Role.VOLUNTEER,
    "agen_pemulihan": Role.VOLUNTEER,
    "konselor": Role.COUNSELOR,
    "asesor": Role.ASSESSOR,
    "admin_fasilitas": Role.FACILITY_ADMIN,
    "koordinator": Role.COORDINATOR,
}
REQUIRED_COLUMNS = ("nama", "no_hp", "peran", "kode_wilayah", "kode_fasilitas")
# Checked per row: one over-long name must not abort the whole file with a database error.
NAME_MAX = User._meta.get_field("name").max_length
PHONE_MAX = User._meta.get_field("phone").max_length
PHONE_ECHO = 40  # how much of a rejected number the report repeats


@dataclass(frozen=True)
class RefusedRow:
    line: int
    phone: str
    name: str
    reason: str


@dataclass(frozen=True)
class _ValidRow:
    line: int
    phone: str
    name: str
    role: str
    region_code: str | None
    facility_id: Any
    password: str


@dataclass
class ImportResult:
    rows: int = 0
    users_created: int = 0
    roles_added: int = 0
    unchanged: int = 0
    refused: list[RefusedRow] = field(default_factory=list)
    dry_run: bool = False


def _in_areas(code: str, areas: frozenset[str]) -> bool:
    return any(code == a or code.startswith(a + ".") for a in areas)


def _reader(stream: TextIO) -> csv.DictReader:
    text = stream.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in reader.fieldnames]
    if missing:
        raise ValidationFailed(
            _("Kolom wajib tidak ada: %(columns)s.") % {"columns": ", ".join(missing)}, code="missing_columns"
        )
    return reader


def _validate(
    line: int,
    row: dict[str, str],
    regions: dict[str, str],
    facilities: dict[str, tuple[Any, str]],
    areas: frozenset[str] | None,
) -> _ValidRow | str:
    """A valid row, or the reason it is refused (in Bahasa Indonesia)."""
    name, peran = row["nama"], row["peran"].lower()
    region_code, facility_code = row["kode_wilayah"], row["kode_fasilitas"]
    if not name:
        return str(_("nama kosong"))
    if len(name) > NAME_MAX:
        return str(_("nama terlalu panjang (paling banyak %(max)s karakter)") % {"max": NAME_MAX})
    try:
        phone = normalize_phone(row["no_hp"])
    except ValidationFailed:
        return str(_("no_hp tidak valid: %(value)s") % {"value": row["no_hp"][:PHONE_ECHO]})
    if len(phone) > PHONE_MAX:
        return str(_("no_hp tidak valid: %(value)s") % {"value": row["no_hp"][:PHONE_ECHO]})
    role = ROLE_NAMES.get(peran)
    if role is None:
        return str(_("peran tidak dikenal: %(value)s") % {"value": row["peran"]})
    facility_id = None
    if role in VILLAGE_ROLES | AREA_ROLES:
        facility_code = ""
        if not region_code:
            return str(_("kode_wilayah wajib diisi untuk peran %(role)s") % {"role": peran})
        level = regions.get(region_code)
        if level is None:
            return str(_("kode_wilayah tidak ditemukan: %(value)s") % {"value": region_code})
        if role in VILLAGE_ROLES and level != RegionLevel.VILLAGE:
            return str(
                _("peran %(role)s harus di desa/kelurahan, bukan %(value)s")
                % {"role": peran, "value": region_code}
            )
        if role in AREA_ROLES and level not in (RegionLevel.REGENCY, RegionLevel.PROVINCE):
            return str(
                _("koordinator harus di kabupaten/kota atau provinsi, bukan %(value)s")
                % {"value": region_code}
            )
        if areas is not None and not _in_areas(region_code, areas):
            return str(_("kode_wilayah di luar wilayah Anda: %(value)s") % {"value": region_code})
    elif role in FACILITY_ROLES:
        region_code = ""
        if not facility_code:
            return str(_("kode_fasilitas wajib diisi untuk peran %(role)s") % {"role": peran})
        facility = facilities.get(facility_code)
        if facility is None:
            return str(_("kode_fasilitas tidak ditemukan: %(value)s") % {"value": facility_code})
        facility_id, village_code = facility
        if areas is not None and not _in_areas(village_code, areas):
            return str(_("kode_fasilitas di luar wilayah Anda: %(value)s") % {"value": facility_code})
    password = row.get("password") or ""
    if password:
        try:
            validate_password(password)
        except ValidationError as exc:
            return str(_("password ditolak: %(reason)s") % {"reason": " ".join(exc.messages)})
    return _ValidRow(line, phone, name, role, region_code or None, facility_id, password)


def users_import_csv(
    *, stream: TextIO, dry_run: bool = False, areas: frozenset[str] | None = None
) -> ImportResult:
    """Validate every row, apply the valid ones in one transaction (rolled back on a dry run).

    `areas`: a coordinator's area codes; a row placing a role outside them is refused. None: anywhere (the
    command line, a system admin).
    """
    reader = _reader(stream)
    raw_rows: list[tuple[int, dict[str, str]]] = []
    refused: list[RefusedRow] = []
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(clean.values()):  # spreadsheets leave blank lines at the end
            continue
        if any("\x00" in v for v in clean.values()):
            # PostgreSQL stores no NUL character, and the row is damaged anyway: refused before any lookup.
            refused.append(
                RefusedRow(
                    reader.line_num,
                    clean.get("no_hp", "").replace("\x00", ""),
                    clean.get("nama", "").replace("\x00", ""),
                    str(_("berisi karakter NUL (berkas rusak?)")),
                )
            )
            continue
        raw_rows.append((reader.line_num, clean))
    regions = dict(
        Region.objects.filter(code__in={r["kode_wilayah"] for _, r in raw_rows}).values_list("code", "level")
    )
    facilities = {
        code: (pk, village_code)
        for code, pk, village_code in Facility.objects.filter(
            code__in={r["kode_fasilitas"] for _, r in raw_rows}
        ).values_list("code", "id", "village_id")
    }
    result = ImportResult(rows=len(raw_rows) + len(refused), dry_run=dry_run, refused=refused)
    valid: list[_ValidRow] = []
    for line, row in raw_rows:
        outcome = _validate(line, row, regions, facilities, areas)
        if isinstance(outcome, str):
            result.refused.append(RefusedRow(line, row.get("no_hp", ""), row.get("nama", ""), outcome))
        else:
            valid.append(outcome)
    result.refused.sort(key=lambda r: r.line)
    with transaction.atomic():
        _apply(valid, result)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _apply(rows: Iterable[_ValidRow], result: ImportResult) -> None:
    for row in rows:
        user = User.objects.filter(phone=row.phone).first()
        if user is None:
            user = User.objects.create_user(row.phone, row.password or None, name=row.name)
            result.users_created += 1
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=row.role, region_id=row.region_code, facility_id=row.facility_id
        )
        if created:
            result.roles_added += 1
        elif not assignment.active:
            # The list says they serve in this role: an assignment switched off earlier is switched back on.
            assignment.active = True
            assignment.save(update_fields=["active"])
            result.roles_added += 1
        else:
            result.unchanged += 1


def refused_rows_write_csv(*, refused: list[RefusedRow], stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(["baris", "no_hp", "nama", "alasan"])
    for r in refused:
        writer.writerow([r.line, r.phone, r.name, r.reason])
