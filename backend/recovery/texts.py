"""Free text as the recovery services accept it: stripped, bounded by the model field's length, no NUL.

The API refuses NUL characters before any handler runs, but services are also called from elsewhere (batch
uploads, the admin, scripts): PostgreSQL cannot store NUL in text, so without this check the error would be
a database error instead of a 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.common.errors import FieldErrors


def text_clean(
    value: Any, *, field: str, max_length: int, errors: FieldErrors, required: bool = False
) -> str:
    """`value` stripped; problems are added to `errors` under `field` (and "" is returned for a bad value)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, "invalid", _("Harus berupa teks."))
        return ""
    if "\x00" in value:
        errors.add(field, "nul_character", _("Karakter NUL tidak diizinkan."))
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a broken "\ud800" escape
        errors.add(field, "invalid_text", _("Teks berisi karakter yang tidak sah."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(field, "required", _("Wajib diisi."))
    elif len(value) > max_length:
        errors.add(
            field, "too_long", _("Paling banyak %(max_length)d karakter.") % {"max_length": max_length}
        )
    return value
