"""Escalations of a client to a certified counselor or assessor, the offers made on the way, and field tasks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Need(models.TextChoices):
    COUNSELING = "counseling", _("Konseling")
    ASSESSMENT = "assessment", _("Asesmen")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Rutin")
    URGENT = "urgent", _("Mendesak")


class EscalationStatus(models.TextChoices):
    OFFERED = "offered", _("Ditawarkan")
    WITH_COORDINATOR = "with_coordinator", _("Di koordinator")
    ACCEPTED = "accepted", _("Diterima")
    SCHEDULED = "scheduled", _("Terjadwal")
    OUTCOME_RECORDED = "outcome_recorded", _("Hasil dicatat")
    REFERRED = "referred", _("Dirujuk")
    CLOSED = "closed", _("Ditutup")
    CANCELLED = "cancelled", _("Dibatalkan")


class Escalation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("recovery.Client", on_delete=models.PROTECT, related_name="escalations")
    need = models.CharField(_("kebutuhan"), max_length=10, choices=Need.choices)
    urgency = models.CharField(_("urgensi"), max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    reason = models.TextField(_("alasan"), blank=True)
    location = models.PointField(geography=True, null=True, blank=True)
    status = models.CharField(max_length=20, choices=EscalationStatus.choices, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations_created",
    )
    # Staff member (and their facility) who accepted the case.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations_assigned",
    )
    facility = models.ForeignKey(
        "villages.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    # The routing decision with its explanation (candidates, distances, why each passed over was passed over).
    routing = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    appointment_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, blank=True)
    outcome_notes = models.TextField(blank=True)
    referred_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    source = models.CharField(max_length=16, default="manual")  # manual | screening | referral
    # A referral to a named facility is routed to that facility's staff only.
    referred_to_facility = models.ForeignKey(
        "villages.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # When each step happened: the client's timeline reads these.
    accepted_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    to_coordinator_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Appointments replaced by a reschedule, oldest first: [{"appointment_at", "scheduled_at", "by"}] (ISO
    # strings, user id), so the timeline still shows the earlier date.
    previous_appointments = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("eskalasi")
        verbose_name_plural = _("eskalasi")
        constraints = [
            # One open escalation per client and need: concurrent creations cannot both succeed.
            models.UniqueConstraint(
                fields=["client", "need"],
                condition=models.Q(
                    status__in=["offered", "with_coordinator", "accepted", "scheduled", "outcome_recorded"]
                ),
                name="one_open_escalation_per_need",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="escalation_assignee_idx"),
            models.Index(fields=["status", "appointment_at"], name="escalation_appointment_idx"),
        ]


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu")
    ACCEPTED = "accepted", _("Diterima")
    DECLINED = "declined", _("Ditolak")
    EXPIRED = "expired", _("Kedaluwarsa")
    WITHDRAWN = "withdrawn", _("Ditarik")


class Offer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="offers")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalation_offers"
    )
    facility = models.ForeignKey("villages.Facility", on_delete=models.PROTECT, related_name="+")
    distance_km = models.FloatField()
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # At most one open offer per escalation: the unique index makes concurrent re-offers lose cleanly.
            models.UniqueConstraint(
                fields=["escalation"],
                condition=models.Q(status="pending"),
                name="one_pending_offer_per_escalation",
            ),
        ]
        indexes = [models.Index(fields=["staff", "status"], name="offer_staff_status_idx")]


class TaskKind(models.TextChoices):
    ACCOMPANY = "accompany", _("Dampingi klien ke janji temu")
    FOLLOW_UP = "follow_up", _("Tindak lanjut setelah hasil asesmen")
    MISSED_APPOINTMENT = "missed_appointment", _("Cek janji temu yang terlewat")
    POST_REHAB_VISIT = "post_rehab_visit", _("Kunjungan pendampingan pascarehabilitasi")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    DONE = "done", _("Selesai")
    CANCELLED = "cancelled", _("Dibatalkan")


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=24, choices=TaskKind.choices)
    client = models.ForeignKey("recovery.Client", on_delete=models.PROTECT, related_name="tasks")
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks")
    # Due date in the area's time zone (a calendar date there), and the instant it becomes overdue.
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by_visit = models.UUIDField(null=True, blank=True)
    note = models.TextField(blank=True)
    # Rules create tasks idempotently: one task per (rule, escalation/event, assignee).
    rule_key = models.CharField(max_length=120, unique=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee_idx"),
            models.Index(fields=["client", "status"], name="task_client_idx"),
        ]
