"""Escalations of a client to a certified counselor or assessor, and the offers made on the way."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Need(models.TextChoices):
    COUNSELING = "counseling", _("Konseling")
    ASSESSMENT = "assessment", _("Asesmen")
    # Treatment, and compulsory reporting (wajib lapor), happen at a designated IPWL or a BNN clinic.
    TREATMENT = "treatment", _("Perawatan")
    REPORTING = "reporting", _("Wajib lapor")


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


# Named sets of statuses: the one definition of each, used by the services, the access rules and the feed.
# Not finished: one per client and need at a time (the unique index below), and "escalation_open" on a second.
OPEN_STATUSES = (
    EscalationStatus.OFFERED,
    EscalationStatus.WITH_COORDINATOR,
    EscalationStatus.ACCEPTED,
    EscalationStatus.SCHEDULED,
    EscalationStatus.OUTCOME_RECORDED,
)
# Not closed or cancelled: counts in its staff member's caseload, and stays on the phones (a referred case is
# still the referring staff member's until they close it).
ACTIVE_STATUSES = (*OPEN_STATUSES, EscalationStatus.REFERRED)
# No staff member has taken it yet: it may still be cancelled (and is, when referral consent is withdrawn).
UNTAKEN_STATUSES = (EscalationStatus.OFFERED, EscalationStatus.WITH_COORDINATOR)
# A staff member holds the case and is working it.
TAKEN_STATUSES = (EscalationStatus.ACCEPTED, EscalationStatus.SCHEDULED, EscalationStatus.OUTCOME_RECORDED)
# Before any outcome: the client's "escalated" status mirrors one of these.
AWAITING_OUTCOME_STATUSES = (EscalationStatus.ACCEPTED, EscalationStatus.SCHEDULED)


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
    # The facility's diagnosis (ICD-10 code, e.g. F15.2), recorded with the outcome: for the IPWL recap.
    diagnosis = models.CharField(_("diagnosis (ICD-10)"), max_length=10, blank=True)
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
                condition=models.Q(status__in=[str(s) for s in OPEN_STATUSES]),
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


# Offers that keep the case in view of the staff member (and their facility's admin) offered it: a declined,
# expired or withdrawn offer shows the case to no one any more.
OFFER_IN_VIEW_STATUSES = (OfferStatus.PENDING, OfferStatus.ACCEPTED)


class Offer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="offers")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalation_offers"
    )
    facility = models.ForeignKey("villages.Facility", on_delete=models.PROTECT, related_name="+")
    # Straight-line km from where the routing measured; None when no origin was known (a hand-assignment of a
    # case with no point to measure from).
    distance_km = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    # How the offer was chosen (backend/escalations/routing.py): the tier (catchment, travel_time, or fallback:
    # straight line where no road network is loaded), the minutes and legs of the trip, and why the case left
    # the client's own catchment (availability, capacity, geography; Permenkes 001/2012's exceptions).
    tier = models.CharField(max_length=12, blank=True)
    travel_minutes = models.FloatField(null=True, blank=True)
    legs = models.JSONField(default=list, blank=True)
    leave_reason = models.CharField(max_length=12, blank=True)

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
