"""Single-visit writes: one visit through the batch write path (backend/recovery/visits/batch.py), its error
raised, for the clients whose full record the actor sees (backend.access)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.access.policy import client_full_qs_for
from backend.accounts.models import User
from backend.common.errors import Conflict, ErrorDetail, NotFound, PermissionDenied, ValidationFailed
from backend.recovery.models import Visit
from backend.recovery.visits.batch import VisitResult, visits_apply


def _one(result: VisitResult) -> Visit:
    if result.status != "rejected":
        return Visit.objects.get(id=result.id)
    err = result.error or {}
    details = [ErrorDetail(d["field"], d["code"], d["message"]) for d in err.get("details", [])]
    code, message = err.get("code", "validation_error"), err.get("message")
    if code == "not_found":
        raise NotFound(message)
    if code == "forbidden":
        raise PermissionDenied(message)
    if code in ("id_conflict", "stale_version"):
        raise Conflict(message, code=code, extra={"current": result.current} if result.current else None)
    if code in ("consent_required", "family_contact_not_allowed"):
        # 409 like recovery.selectors.consent_require: the request is well-formed, the client's consent is not.
        raise Conflict(message, code=code, details=details)
    raise ValidationFailed(message, code=code, details=details)


def visit_create(*, actor: User, data: dict[str, Any]) -> Visit:
    """Log one visit (a resend of the same visit returns the stored one). Raises the item's error."""
    return _one(
        visits_apply(
            actor=actor, items=[data], clients_in_full_view=client_full_qs_for(user=actor), mode="create"
        )[0]
    )


def visit_update(*, actor: User, visit_id: uuid.UUID, data: dict[str, Any]) -> Visit:
    """Edit a visit: `data` carries the whole visit and the `version` it was read at (stale: 409 + record)."""
    if data.get("version") is None:
        raise ValidationFailed(
            details=[ErrorDetail("version", "missing", _("Versi wajib diisi untuk perubahan."))]
        )
    return _one(
        visits_apply(
            actor=actor,
            items=[{**data, "id": str(visit_id)}],
            clients_in_full_view=client_full_qs_for(user=actor),
            mode="update",
        )[0]
    )
