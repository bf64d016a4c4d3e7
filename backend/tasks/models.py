"""Field tasks: work for a named person about a client, due on a calendar date of the client's area.

Escalations (accompany, follow-up, missed appointment), post-rehab plans and the follow-up rules make them
(backend/tasks/rules.py); a logged visit completes them (handlers.py). Each has a priority (priority.py); the
follow-up tasks of a field worker are subject to a daily cap, the rest waiting `queued` (workload.py).

Per-area knobs (AreaTaskSettings) and the regency's yearly post-rehab places (PostRehabQuota) live here too.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    ACCOMPANY = "accompany", _("Dampingi klien ke janji temu")
    FOLLOW_UP = "follow_up", _("Tindak lanjut setelah hasil asesmen")
    MISSED_APPOINTMENT = "missed_appointment", _("Cek janji temu yang terlewat")
    POST_REHAB_VISIT = "post_rehab_visit", _("Kunjungan pendampingan pascarehabilitasi")
    # Keeping contact (backend/followup): tier 1 for the volunteer, tier 2 for a village official, and the
    # coordinator's hand-over of a client reported moved away.
    FOLLOW_UP_CONTACT = "follow_up_contact", _("Hubungi klien yang lama tidak terpantau")
    FOLLOW_UP_VILLAGE = "follow_up_village", _("Bantu menghubungi klien (aparatur desa)")
    CLIENT_HANDOVER = "client_handover", _("Serahkan klien ke wilayah barunya atau tutup")


class TaskStatus(models.TextChoices):
    # Made, but held back by the assignee's daily cap of new follow-up tasks: released (open) on a later day by
    # the sweep, highest priority first. Not yet the assignee's to do: it does not count as an open task.
    QUEUED = "queued", _("Dalam antrean")
    OPEN = "open", _("Terbuka")
    DONE = "done", _("Selesai")
    CANCELLED = "cancelled", _("Dibatalkan")


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=24, choices=TaskKind.choices)
    client = models.ForeignKey("recovery.Client", on_delete=models.PROTECT, related_name="tasks")
    escalation = models.ForeignKey(
        "escalations.Escalation", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks")
    # Due date in the area's time zone (a calendar date there), and the instant it becomes overdue.
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True
    )
    # Higher first (backend/tasks/priority.py): GET /tasks orders by it, the daily cap releases by it.
    priority = models.PositiveSmallIntegerField(default=50)
    # The area's calendar date the task became the assignee's (open); null while queued. The daily cap counts it.
    released_on = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by_visit = models.UUIDField(null=True, blank=True)
    note = models.TextField(blank=True)
    # Rules create tasks idempotently: one task per (rule, escalation/event, assignee).
    rule_key = models.CharField(max_length=120, unique=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "escalations_task"  # the table kept its name when tasks became their own app
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee_idx"),
            models.Index(fields=["client", "status"], name="task_client_idx"),
            models.Index(fields=["assignee", "released_on"], name="task_released_idx"),
        ]


class AreaTaskSettings(models.Model):
    """Field-task knobs of one area (a regency usually, or a province for all its regencies); a null field
    inherits from the enclosing area, then from settings (backend/tasks/workload.py `area_task_settings`)."""

    region = models.OneToOneField(
        "villages.Region", on_delete=models.CASCADE, primary_key=True, related_name="task_settings"
    )
    daily_followup_cap = models.PositiveSmallIntegerField(
        _("batas tugas tindak lanjut baru per petugas per hari"), null=True, blank=True
    )
    post_rehab_visit_days = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=_("jadwal kunjungan pascarehabilitasi (hari)"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("pengaturan tugas wilayah")
        verbose_name_plural = _("pengaturan tugas wilayah")


class PostRehabQuota(models.Model):
    """The post-rehab places a regency has in a year (e.g. Riau 2024: 20 clients); the count of clients who
    entered post-rehab that year is set against it (backend/tasks/quota.py)."""

    region = models.ForeignKey("villages.Region", on_delete=models.CASCADE, related_name="post_rehab_quotas")
    year = models.PositiveSmallIntegerField(_("tahun"))
    places = models.PositiveIntegerField(_("kuota pascarehabilitasi"))

    class Meta:
        verbose_name = _("kuota pascarehabilitasi")
        verbose_name_plural = _("kuota pascarehabilitasi")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="post_rehab_quota_unique")]
