"""Steps of an accepted case: schedule, record the outcome (and refer on), close; the missed-appointment sweep."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from backend.accounts.access import scope_for
from backend.accounts.models import User
from backend.errors import Conflict, ErrorDetail, PermissionDenied, ValidationFailed
from backend.escalations import sla
from backend.escalations.areas import area_settings
from backend.escalations.models import (
    Escalation,
    TaskKind,
)
from backend.escalations.services.common import (
    FOLLOW_UP_DAYS,
    OUTCOME_CLIENT_STATUS,
    OUTCOMES,
    S,
    _check_version,
    _ids,
    _lock,
    _notify,
    _record,
    _require_in_scope,
    _save,
    consents_require_for_case,
    field_workers,
)
from backend.escalations.services.offers import escalation_create
from backend.recovery.models import Client
from villages.models import Facility

APPOINTMENT_HORIZON_DAYS = 366  # an appointment further ahead is a typing mistake (year 9999 once gave a 500)
APPOINTMENT_HISTORY_MAX = 20  # earlier appointments kept on the escalation

# --- Acting on a case --------------------------------------------------------------------------------------


def can_escalate(*, user: User, client: Client) -> bool:
    """Volunteers and village officials escalate (for clients they may write, checked by the caller)."""
    scope = scope_for(user)
    return scope.is_system_admin or scope.is_field_worker


# The reason of a referral made from an outcome: fixed, never the outcome notes (see escalation_outcome_record).
# Stored as written (Indonesian, the source language), whatever the language of the staff member's session.
REFERRAL_REASON = gettext_noop("Rujukan lanjutan dari kasus sebelumnya.")


def _for_action(
    *,
    escalation_id: uuid.UUID,
    actor: User,
    statuses: tuple[str, ...],
    version: int | None = None,
    needs_consent: bool = True,
) -> Escalation:
    """Lock the case for the assigned staff member (or their facility's admin). Out of scope: 404; in scope
    but someone else's case: 403; a step that does not fit the case's status, or a stale `version` (when the
    phone sends the version it last read): 409 with the current record. A step that processes the case
    (`needs_consent`: all but closing it) after the client withdrew consent: 409 `consent_required`; closing
    stays allowed, since it ends the processing."""
    _require_in_scope(escalation_id=escalation_id, actor=actor)
    esc = _lock(escalation_id)
    scope = scope_for(actor)
    if esc.assigned_to_id != actor.id and esc.facility_id not in scope.admin_facility_ids:
        raise PermissionDenied(
            _("Hanya petugas yang menangani kasus ini yang dapat melakukannya."), code="not_assigned_to_you"
        )
    if esc.status not in statuses:
        raise Conflict(
            _("Langkah ini tidak sesuai dengan status eskalasi."),
            code="invalid_escalation_status",
            extra={"current_status": esc.status},
        )
    _check_version(esc, actor=actor, version=version)
    if needs_consent:
        consents_require_for_case(client_id=esc.client_id)
    return esc


def escalation_schedule(
    *, escalation_id: uuid.UUID, actor: User, appointment_at: datetime, version: int | None = None
) -> Escalation:
    """Set (or move) the appointment; the field workers get an `accompany` task due that day (area's date)."""
    from backend.escalations.task_rules import task_ensure

    now = timezone.now()
    if appointment_at.tzinfo is None or appointment_at.utcoffset() is None:
        raise ValidationFailed(
            details=[
                ErrorDetail(
                    "appointment_at", "timezone_required", _("Waktu harus menyertakan zona waktu (offset).")
                )
            ]
        )
    if appointment_at <= now:
        raise ValidationFailed(
            details=[
                ErrorDetail("appointment_at", "not_in_future", _("Waktu janji temu harus di masa depan."))
            ]
        )
    if appointment_at > now + timedelta(days=APPOINTMENT_HORIZON_DAYS):
        raise ValidationFailed(
            details=[
                ErrorDetail(
                    "appointment_at",
                    "too_far_ahead",
                    _("Waktu janji temu paling lambat %(days)d hari dari sekarang.")
                    % {"days": APPOINTMENT_HORIZON_DAYS},
                )
            ]
        )
    with transaction.atomic():
        esc = _for_action(
            escalation_id=escalation_id, actor=actor, statuses=(S.ACCEPTED, S.SCHEDULED), version=version
        )
        area = area_settings(village_code=esc.client.village_id)
        if esc.appointment_at is not None and esc.appointment_at != appointment_at:
            # A reschedule keeps the earlier appointment for the timeline.
            esc.previous_appointments = [
                *esc.previous_appointments,
                {
                    "appointment_at": esc.appointment_at.isoformat(),
                    "scheduled_at": esc.scheduled_at.isoformat() if esc.scheduled_at else None,
                    "replaced_at": now.isoformat(),
                    "replaced_by": str(actor.id),
                },
            ][-APPOINTMENT_HISTORY_MAX:]
        esc.status, esc.appointment_at, esc.scheduled_at = S.SCHEDULED, appointment_at, now
        _save(esc, now, "status", "appointment_at", "scheduled_at", "previous_appointments")
        due = sla.due_on(instant=appointment_at, tz=area.timezone)
        for user in field_workers(esc):
            task_ensure(
                kind=TaskKind.ACCOMPANY,
                esc=esc,
                assignee=user,
                due_on=due,
                rule_key=f"accompany:{esc.id}:{user.id}",
                reopen=True,
            )
            _notify(
                recipient=user,
                kind="escalation_scheduled",
                event_key=f"escalation:{esc.id}:scheduled:{appointment_at.isoformat()}",
                params={
                    "client_code": esc.client.code,
                    "appointment_at": appointment_at,
                    "tz": area.timezone,
                },
                data=_ids(esc),
            )
        _record(esc)
        return esc


def escalation_outcome_record(
    *,
    escalation_id: uuid.UUID,
    actor: User,
    outcome: str,
    notes: str = "",
    refer_need: str | None = None,
    refer_to_facility_id: uuid.UUID | None = None,
    version: int | None = None,
) -> Escalation:
    """Record the assessment outcome: the client moves on, the field workers get a `follow_up` task, and a
    referral (a need, and optionally a named facility) starts a new escalation routed from the facility."""
    from backend.escalations.task_rules import task_ensure
    from backend.recovery.lifecycle import can_transition
    from backend.recovery.transitions import client_transition

    if outcome not in OUTCOMES:
        raise ValidationFailed(details=[ErrorDetail("outcome", "invalid_choice", _("Pilihan tidak valid."))])
    refer_to = None
    if refer_to_facility_id is not None:
        refer_to = Facility.objects.filter(id=refer_to_facility_id, active=True).first()
        if refer_to is None:
            raise ValidationFailed(
                details=[ErrorDetail("refer_to_facility_id", "not_found", _("Fasilitas tidak ditemukan."))]
            )
    now = timezone.now()
    with transaction.atomic():
        esc = _for_action(
            escalation_id=escalation_id, actor=actor, statuses=(S.ACCEPTED, S.SCHEDULED), version=version
        )
        area = area_settings(village_code=esc.client.village_id)
        referring = refer_need is not None or refer_to is not None
        esc.outcome, esc.outcome_notes, esc.outcome_at = outcome, notes, now
        esc.status = S.REFERRED if referring else S.OUTCOME_RECORDED
        _save(esc, now, "outcome", "outcome_notes", "outcome_at", "status")
        target = OUTCOME_CLIENT_STATUS[outcome]
        if can_transition(esc.client.status, target):
            client_transition(
                client_id=esc.client_id, to_status=target, actor=actor, reason=f"escalation:{esc.id}"
            )
        due = sla.due_on(instant=now, tz=area.timezone, days_after=FOLLOW_UP_DAYS)
        for user in field_workers(esc):
            task_ensure(
                kind=TaskKind.FOLLOW_UP,
                esc=esc,
                assignee=user,
                due_on=due,
                rule_key=f"follow_up:{esc.id}:{user.id}",
            )
            _notify(
                recipient=user,
                kind="escalation_outcome",
                event_key=f"escalation:{esc.id}:outcome",
                params={"client_code": esc.client.code},
                data=_ids(esc),
            )
        _record(esc)
        if referring:
            escalation_create(
                actor=actor,
                client=esc.client,
                need=refer_need or esc.need,
                urgency=esc.urgency,
                # Never the outcome notes: the next person offered the referral reads the reason with only the
                # client's minimal view; the assessment stays with those who handled this case.
                reason=REFERRAL_REASON,
                source="referral",
                referred_from=esc,
                referred_to_facility=refer_to,
            )
        return esc


def escalation_close(*, escalation_id: uuid.UUID, actor: User, version: int | None = None) -> Escalation:
    """Close the case. Open accompany/missed-appointment tasks of it are cancelled; follow-ups stay.
    A stale `version` (when sent): 409 `stale_version` with the current record."""
    from backend.escalations.task_rules import tasks_cancel_for

    now = timezone.now()
    with transaction.atomic():
        esc = _for_action(
            escalation_id=escalation_id,
            actor=actor,
            statuses=(S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED, S.REFERRED),
            version=version,
            needs_consent=False,
        )
        esc.status, esc.closed_at = S.CLOSED, now
        _save(esc, now, "status", "closed_at")
        tasks_cancel_for(esc=esc, kinds=(TaskKind.ACCOMPANY, TaskKind.MISSED_APPOINTMENT))
        _record(esc)
        return esc


def appointments_missed_sweep(*, now: datetime | None = None) -> int:
    """Beat sweep: an appointment passed more than MISSED_APPOINTMENT_GRACE_HOURS ago with no outcome gives
    the field workers a `missed_appointment` task due today (area's date). Idempotent per appointment."""
    from backend.escalations.task_rules import task_ensure

    now = now or timezone.now()
    grace = getattr(settings, "MISSED_APPOINTMENT_GRACE_HOURS", 24)
    created = 0
    cutoff = now - timedelta(hours=grace)
    late = Escalation.objects.filter(status=S.SCHEDULED, appointment_at__lt=cutoff).select_related("client")
    for esc in late.iterator(chunk_size=200):
        with transaction.atomic():
            area = area_settings(village_code=esc.client.village_id)
            stamp = esc.appointment_at.strftime("%Y%m%d%H%M")  # type: ignore[union-attr]
            for user in field_workers(esc):
                _task, new = task_ensure(
                    kind=TaskKind.MISSED_APPOINTMENT,
                    esc=esc,
                    assignee=user,
                    due_on=sla.local_date(instant=now, tz=area.timezone),
                    rule_key=f"missed:{esc.id}:{user.id}:{stamp}",
                )
                created += int(new)
    return created
