"""Where each client stands in the follow-up ladder (backend/followup/rules.py).

One row per client once the daily sweep evaluated them or a contact reached them. `last_evaluated_on` makes the
sweep idempotent and cheap: a client evaluated today is not read again today. The episode's start date names
its tasks and notifications (`rule_key`, `event_key`), so nothing is made twice whatever runs again.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    """Why an episode started (the first that holds, in this order)."""

    FAILED_ATTEMPTS = "failed_attempts", _("Upaya kontak berturut-turut gagal")
    MISSED_VISIT = "missed_visit", _("Kunjungan yang direncanakan terlewat")
    NO_CONTACT = "no_contact", _("Lama tidak ada kontak")


class FollowUpState(models.Model):
    client = models.OneToOneField(
        "recovery.Client", on_delete=models.CASCADE, primary_key=True, related_name="followup_state"
    )
    # 0: no episode; 1: the volunteer(s) hold a task; 2: a village official too; 3: the coordinator is told.
    tier = models.PositiveSmallIntegerField(_("tingkat"), default=0)
    tier_since = models.DateField(_("tingkat sejak"), null=True, blank=True)  # dates in the area's time zone
    episode_started_on = models.DateField(_("episode mulai"), null=True, blank=True)
    trigger = models.CharField(_("pemicu"), max_length=20, choices=Trigger.choices, blank=True)
    # The client refused: no follow-up attempts before this date.
    paused_until = models.DateField(_("ditunda sampai"), null=True, blank=True)
    last_evaluated_on = models.DateField(_("terakhir dievaluasi"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("status tindak lanjut")
        verbose_name_plural = _("status tindak lanjut")
        constraints = [
            models.CheckConstraint(name="followup_tier_0_to_3", condition=models.Q(tier__lte=3)),
            models.CheckConstraint(
                name="followup_episode_has_dates",
                condition=models.Q(tier=0)
                | models.Q(tier_since__isnull=False, episode_started_on__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["tier"], name="followup_tier_idx", condition=models.Q(tier__gt=0))]
