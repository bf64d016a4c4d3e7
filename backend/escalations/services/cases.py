"""Steps of an accepted case: schedule, record the outcome (and refer on), close; the missed-appointment sweep."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from backend.accounts.models import User
from backend.common.errors import ErrorDetail, ValidationFailed
from backend.escalations import sla
from backend.escalations.areas import area_settings
from backend.escalations.models import Escalation, EscalationStatus, Urgency
from backend.escalations.services.locking import case_lock_for_action
from backend.escalations.services.offers import escalation_create
from backend.escalations.services.support import (
    FOLLOW_UP_DAYS,
    OUTCOME_CLIENT_STATUS,
    OUTCOMES,
    escalation_log_change,
    escalation_save,
    field_workers,
    notify_field_workers,
)
from backend.recovery.lifecycle import can_transition
from backend.recovery.transitions import client_transition
from backend.tasks.models import TaskKind
from backend.tasks.rules import task_ensure, tasks_cancel_for
from villages.models import Facility

# An ICD-10 code: a letter, two digits, optionally a dot and up to four more (F15.2, F11.20).
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")

S = EscalationStatus
APPOINTMENT_HORIZON_DAYS = 366  # an appointment further ahead is a typing mistake (year 9999 once gave a 500)
APPOINTMENT_HISTORY_MAX = 20  # earlier appointments kept on the escalation

# The reason of a referral made from an outcome: fixed, never the outcome notes (see escalation_outcome_record).
# Stored as written (Indonesian, the source language), whatever the language of the staff member's session.
REFERRAL_REASON = gettext_noop("Rujukan lanjutan dari kasus sebelumnya.")


def escalation_schedule(
    *, escalation_id: uuid.UUID, actor: User, appointment_at: datetime, version: int | None = None
) -> Escalation:
    """Set (or move) the appointment; the field workers get an `accompany` task due that day (area's date)."""
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
        esc = case_lock_for_action(
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
        escalation_save(esc, now, "status", "appointment_at", "scheduled_at", "previous_appointments")
        due = sla.due_on(instant=appointment_at, tz=area.timezone)
        for user in field_workers(esc):
            task_ensure(
                kind=TaskKind.ACCOMPANY,
                client_id=esc.client_id,
                escalation_id=esc.id,
                assignee=user,
                due_on=due,
                rule_key=f"accompany:{esc.id}:{user.id}",
                reopen=True,
                urgent=esc.urgency == Urgency.URGENT,
            )
        notify_field_workers(
            esc,
            kind="escalation_scheduled",
            event_key=f"escalation:{esc.id}:scheduled:{appointment_at.isoformat()}",
            params={"appointment_at": appointment_at, "tz": area.timezone},
        )
        escalation_log_change(esc)
        return esc


def escalation_outcome_record(
    *,
    escalation_id: uuid.UUID,
    actor: User,
    outcome: str,
    notes: str = "",
    diagnosis: str = "",
    refer_need: str | None = None,
    refer_to_facility_id: uuid.UUID | None = None,
    version: int | None = None,
) -> Escalation:
    """Record the assessment outcome: the client moves on, the field workers get a `follow_up` task, and a
    referral (a need, and optionally a named facility) starts a new escalation routed from the facility."""
    if outcome not in OUTCOMES:
        raise ValidationFailed(details=[ErrorDetail("outcome", "invalid_choice", _("Pilihan tidak valid."))])
    diagnosis = diagnosis.strip().upper()
    if diagnosis and not ICD10.match(diagnosis):
        raise ValidationFailed(
            details=[
                ErrorDetail("diagnosis", "invalid_icd10", _("Diagnosis berupa kode ICD-10, mis. F15.2."))
            ]
        )
    refer_to = None
    if refer_to_facility_id is not None:
        refer_to = Facility.objects.filter(id=refer_to_facility_id, active=True).first()
        if refer_to is None:
            raise ValidationFailed(
                details=[ErrorDetail("refer_to_facility_id", "not_found", _("Fasilitas tidak ditemukan."))]
            )
    now = timezone.now()
    with transaction.atomic():
        esc = case_lock_for_action(
            escalation_id=escalation_id, actor=actor, statuses=(S.ACCEPTED, S.SCHEDULED), version=version
        )
        area = area_settings(village_code=esc.client.village_id)
        referring = refer_need is not None or refer_to is not None
        esc.outcome, esc.outcome_notes, esc.outcome_at, esc.diagnosis = outcome, notes, now, diagnosis
        esc.status = S.REFERRED if referring else S.OUTCOME_RECORDED
        escalation_save(esc, now, "outcome", "outcome_notes", "outcome_at", "diagnosis", "status")
        target = OUTCOME_CLIENT_STATUS[outcome]
        if can_transition(esc.client.status, target):
            client_transition(
                client_id=esc.client_id, to_status=target, actor=actor, reason=f"escalation:{esc.id}"
            )
        due = sla.due_on(instant=now, tz=area.timezone, days_after=FOLLOW_UP_DAYS)
        for user in field_workers(esc):
            task_ensure(
                kind=TaskKind.FOLLOW_UP,
                client_id=esc.client_id,
                escalation_id=esc.id,
                assignee=user,
                due_on=due,
                rule_key=f"follow_up:{esc.id}:{user.id}",
                urgent=esc.urgency == Urgency.URGENT,
            )
        notify_field_workers(esc, kind="escalation_outcome", event_key=f"escalation:{esc.id}:outcome")
        escalation_log_change(esc)
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
    now = timezone.now()
    with transaction.atomic():
        esc = case_lock_for_action(
            escalation_id=escalation_id,
            actor=actor,
            statuses=(S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED, S.REFERRED),
            version=version,
            needs_consent=False,
        )
        esc.status, esc.closed_at = S.CLOSED, now
        escalation_save(esc, now, "status", "closed_at")
        tasks_cancel_for(escalation_id=esc.id, kinds=(TaskKind.ACCOMPANY, TaskKind.MISSED_APPOINTMENT))
        escalation_log_change(esc)
        return esc


def appointments_missed_sweep(*, now: datetime | None = None) -> int:
    """Beat sweep: an appointment passed more than MISSED_APPOINTMENT_GRACE_HOURS ago with no outcome gives
    the field workers a `missed_appointment` task due today (area's date). Idempotent per appointment."""
    now = now or timezone.now()
    grace = getattr(settings, "MISSED_APPOINTMENT_GRACE_HOURS", 24)
    created = 0
    cutoff = now - timedelta(hours=grace)
    # A client who withdrew data-collection consent is no one's task any more (their case stays with staff to close).
    late = Escalation.objects.filter(
        status=S.SCHEDULED, appointment_at__lt=cutoff, client__consent_withdrawn_at__isnull=True
    ).select_related("client")
    for esc in late.iterator(chunk_size=200):
        with transaction.atomic():
            area = area_settings(village_code=esc.client.village_id)
            stamp = esc.appointment_at.strftime("%Y%m%d%H%M")  # type: ignore[union-attr]
            for user in field_workers(esc):
                _task, new = task_ensure(
                    kind=TaskKind.MISSED_APPOINTMENT,
                    client_id=esc.client_id,
                    escalation_id=esc.id,
                    assignee=user,
                    due_on=sla.local_date(instant=now, tz=area.timezone),
                    rule_key=f"missed:{esc.id}:{user.id}:{stamp}",
                    urgent=esc.urgency == Urgency.URGENT,
                )
                created += int(new)
    return created
