"""Recording an ASSIST screening: consent first, the pure scoring (assist.py), the status change, and, for a
high risk or recent injecting, the escalation need.

The need is always recorded on the screening (`needs_escalation`). An escalation is created only when the
client's referral consent is in force; otherwise `escalation_blocked_reason` says why ("consent_required"), and
the field worker can record consent and escalate by hand. A screening sent again with the same id (a retried
upload) returns the stored result and changes nothing; the same id with other answers (or q8) is 409
`id_conflict`: two screenings must not share an id, and the second must not be answered with the first's result.
`screened_at` (the device's clock) is held to the rules of a visit's time. Phones learn of it through what it changes: the client's
status (the transition writes the change log) and the escalation (its service does).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import Conflict, ErrorDetail, ValidationFailed
from backend.common.events import publish
from backend.recovery.assist import assist_score
from backend.recovery.events import ScreeningFlagged
from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import Client, Screening
from backend.recovery.selectors import consent_require
from backend.recovery.transitions import client_transition

# A phone's clock may run a little ahead; more than this is a wrong clock (the same tolerance as for visits).
FUTURE_TOLERANCE = timedelta(minutes=10)


def screening_record(
    *,
    actor: User,
    client: Client,
    screening_id: uuid.UUID,
    answers: dict[str, Any],
    q8: int | None,
    screened_at: datetime | None = None,
) -> tuple[Screening, bool]:
    """Score and store a screening of `client` (already scope-checked). Returns (screening, created)."""
    digest = answers_digest(answers=answers, q8=q8)
    existing = Screening.objects.filter(id=screening_id).first()
    if existing is not None:
        return _replay(existing, client, digest), False
    screened_at = _screened_at_check(screened_at)
    consent_require(client_id=client.id, scope="data_collection")
    result = assist_score(answers, q8)  # raises ValidationFailed naming the field at fault
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(id=client.id)
        existing = Screening.objects.filter(id=screening_id).first()  # a concurrent resend got here first
        if existing is not None:
            return _replay(existing, client, digest), False
        screening = Screening.objects.create(
            id=screening_id,
            client=locked,
            screened_by=actor,
            screened_at=screened_at or timezone.now(),
            answers=answers,
            q8=q8,
            answers_hash=digest,
            scores=result.scores_json(),
            highest_risk=result.highest_risk,
            action=result.action,
            injected_recently=result.injected_recently,
            needs_escalation=result.needs_escalation,
        )
        if locked.status == ClientStatus.IDENTIFIED:
            client_transition(
                client_id=locked.id,
                to_status=ClientStatus.SCREENED,
                actor=actor,
                reason=_stored(_("Skrining ASSIST")),
            )
        if result.needs_escalation:
            # The escalations app reacts: it creates the case, or records on the screening why not.
            publish(ScreeningFlagged(screening=screening, actor=actor))
    return screening, True


def _stored(text: Any) -> str:
    """A text kept in the database: always the source language (Bahasa Indonesia)."""
    with translation.override("id"):
        return str(text)


def answers_digest(*, answers: Any, q8: Any) -> str:
    """sha256 of the answers and q8 in a canonical form (sorted keys): equal content, equal digest."""
    canonical = json.dumps({"answers": answers, "q8": q8}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _screened_at_check(value: datetime | None) -> datetime | None:
    """The device's time of the screening, held to the rules of a visit's time: a phone's clock may run a
    little ahead, or the phone stay offline for months, but not more (a wrong clock, not a screening)."""
    if value is None:
        return None
    now = timezone.now()
    problem = None
    if timezone.is_naive(value):
        problem = ("timezone_required", _("Waktu skrining harus menyertakan zona waktu."))
    elif value > now + FUTURE_TOLERANCE:
        problem = ("in_future", _("Waktu skrining ada di masa depan: periksa jam perangkat."))
    elif value < now - timedelta(days=settings.VISIT_MAX_AGE_DAYS):
        problem = ("too_old", _("Waktu skrining terlalu lama: periksa jam perangkat."))
    if problem:
        raise ValidationFailed(details=[ErrorDetail("screened_at", *problem)])
    return value


def _replay(existing: Screening, client: Client, digest: str) -> Screening:
    if existing.client_id != client.id:
        raise Conflict(
            _("Id skrining ini sudah dipakai untuk klien lain."),
            code="id_conflict",
            details=[ErrorDetail("id", "id_conflict", _("Id sudah dipakai."))],
        )
    # Rows stored before the digest existed: compare with the digest of the answers they kept.
    stored = existing.answers_hash or answers_digest(answers=existing.answers, q8=existing.q8)
    if stored != digest:
        raise Conflict(
            _("Id skrining ini sudah dipakai untuk jawaban lain."),
            code="id_conflict",
            details=[ErrorDetail("id", "id_conflict", _("Id sudah dipakai untuk jawaban lain."))],
        )
    return existing
