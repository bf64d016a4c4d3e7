"""Who read which client's record, when, through which endpoint. Append-only: nothing in the API edits it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField(db_index=True)
    endpoint = models.CharField(max_length=80)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    request_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("log akses")
        verbose_name_plural = _("log akses")
