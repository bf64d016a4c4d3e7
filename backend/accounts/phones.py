"""Phone numbers as people type them (0812..., 62812..., +62 812-...) normalised to E.164 (+62812...)."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext_lazy as _

from backend.common.errors import ErrorDetail, ValidationFailed


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Return the E.164 form of an Indonesian (or explicitly international) mobile number, or raise."""
    text = (raw or "").strip()
    if text.startswith("62") and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            _("Nomor HP tidak valid."),
            code="invalid_phone",
            details=[ErrorDetail(field, "invalid_phone", _("Gunakan format 08xx, 628xx atau +628xx."))],
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
