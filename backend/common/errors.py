"""The one exception hierarchy of Pulih's domain. The API renders every one in API.md's error shape.

Messages are written in Bahasa Indonesia (the source language) and translated to English in locale/en.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass
class ErrorDetail:
    field: str
    code: str
    message: Any  # str or lazy str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class DomainError(Exception):
    """Base of every expected error. `code` is stable and machine-readable; `message` is for people."""

    status = 400
    code = "bad_request"
    default_message: Any = _("Permintaan tidak valid.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[ErrorDetail] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or []
        # Extra top-level payload, e.g. the current record on a 409 for a stale version.
        self.extra = extra or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"
    default_message = _("Data tidak valid.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Data tidak ditemukan.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("Terjadi konflik dengan data yang ada.")


class ConsentWithdrawnError(Conflict):
    """409 `consent_withdrawn`: the client withdrew data-collection consent; nothing more is recorded about them
    (UU 27/2022). Only a new data-collection consent, recorded by the area's coordinator, opens the record again."""

    code = "consent_withdrawn"
    default_message = _(
        "Klien telah menarik persetujuan pengumpulan data: data klien tidak dapat diubah atau ditambah. "
        "Hubungi koordinator BNN Anda."
    )


class ClientErased(Conflict):
    """409 `client_erased`: the client's personal data was erased on their request (UU 27/2022 art. 43); the
    anonymous row left for the reports takes nothing more."""

    code = "client_erased"
    default_message = _("Data pribadi klien ini telah dihapus atas permintaan: tidak ada lagi yang dicatat.")


class StaleVersion(Conflict):
    """409 `stale_version`: the row changed since the caller read it. The answer carries the row as the caller
    may see it now (`current`); the read side fills it in (backend/reads), since a domain service does not know
    who may see what. `entity` names the row's kind ("client", "escalation")."""

    code = "stale_version"

    def __init__(self, message: Any, *, entity: str, entity_id: uuid.UUID) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_id = entity_id


class DuplicateClient(Conflict):
    """409 `duplicate_client`: the client is registered already. Whether the answer names the existing client
    depends on whether the caller may see it: the read side decides (backend/reads/clients.py)."""

    code = "duplicate_client"
    default_message = _("Klien ini sudah terdaftar.")

    def __init__(self, *, existing_id: uuid.UUID, existing_code: str, existing_village: str) -> None:
        super().__init__()
        self.existing_id = existing_id
        self.existing_code = existing_code
        self.existing_village = existing_village


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("Anda tidak berwenang melakukan tindakan ini.")


class AuthenticationFailed(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = _("Autentikasi diperlukan.")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _("Terlalu banyak percobaan. Coba lagi nanti.")

    def __init__(self, retry_after: int, message: Any = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class FieldErrors:
    """Collects per-field problems, then raises them together as one ValidationFailed."""

    details: list[ErrorDetail] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: Any) -> None:
        self.details.append(ErrorDetail(field_name, code, message))

    def raise_if_any(self, message: Any = None, code: str = "validation_error") -> None:
        if self.details:
            raise ValidationFailed(message, code=code, details=self.details)
