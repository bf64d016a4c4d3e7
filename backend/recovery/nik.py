"""NIK (Nomor Induk Kependudukan, the national ID number): validation and keyed hashing.

Layout: PP RR DD  DDMMYY  SSSS -- province, regency/city, district of registration; birth date (day + 40 for
women); a serial number. We check:
- 16 digits;
- `PP.RR` is a regency/city we know (Region); the district digits are 01-99 (district codes are renumbered when
  districts split, and a NIK keeps the old one, so we do not require the district to exist today);
- the birth date is a real date not in the future (YY read as 20YY if that is not in the future, else 19YY),
  the day +40 for women, and the sex it encodes matches the client's;
- the serial is not 0000.
The NIK itself is never stored, logged or returned, nor any part of it: only HMAC-SHA256 under
settings.NIK_HMAC_KEY. (Its last 4 digits are the serial; the rest is the district, birth date and sex the
client's record holds anyway, so keeping them would keep the NIK.)
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.common.errors import FieldErrors
from villages.models import Region


@dataclass(frozen=True)
class NikFacts:
    hash: str
    birth_date: date
    sex: str  # "male" | "female"


def nik_hash(nik: str) -> str:
    return hmac.new(settings.NIK_HMAC_KEY.encode(), nik.encode(), hashlib.sha256).hexdigest()


def _birth_date(digits: str, today: date) -> tuple[date, str] | None:
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    sex = "female" if day > 40 else "male"
    if day > 40:
        day -= 40
    for century in (2000, 1900):
        try:
            born = date(century + yy, month, day)
        except ValueError:
            return None
        if born <= today:
            return born, sex
    return None


def nik_validate(raw: str, *, sex: str | None, field: str = "nik") -> NikFacts:
    """Validate a NIK; its hash, last 4 digits and the birth date and sex it encodes. Raises ValidationFailed."""
    errors = FieldErrors()
    nik = "".join((raw or "").split())
    if len(nik) != 16 or not nik.isdigit():
        errors.add(field, "invalid_nik", _("NIK harus 16 digit angka."))
        errors.raise_if_any(_("NIK tidak valid."), code="invalid_nik")
    if not Region.objects.filter(code=f"{nik[0:2]}.{nik[2:4]}").exists():
        errors.add(field, "nik_unknown_region", _("Kode wilayah pada NIK tidak dikenal."))
    if nik[4:6] == "00":
        errors.add(field, "nik_invalid_district", _("Kode kecamatan pada NIK tidak valid."))
    born = _birth_date(nik[6:12], timezone.localdate())
    if born is None:
        errors.add(field, "nik_invalid_birth_date", _("Tanggal lahir pada NIK tidak valid."))
    elif sex and born[1] != sex:
        errors.add(field, "nik_sex_mismatch", _("Jenis kelamin tidak sesuai dengan NIK."))
    if nik[12:] == "0000":
        errors.add(field, "invalid_nik", _("Nomor urut pada NIK tidak valid."))
    errors.raise_if_any(_("NIK tidak valid."), code="invalid_nik")
    assert born is not None
    return NikFacts(hash=nik_hash(nik), birth_date=born[0], sex=born[1])
