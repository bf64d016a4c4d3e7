"""The erasure log: that a client's personal data was erased, by whom, when, on what basis. Nothing personal."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureBasis(models.TextChoices):
    """UU 27/2022 art. 43(1): when the controller must erase."""

    PURPOSE_FULFILLED = "purpose_fulfilled", _("Tidak lagi diperlukan untuk tujuan pemrosesan")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Persetujuan ditarik")
    SUBJECT_REQUEST = "subject_request", _("Permintaan subjek data")
    UNLAWFUL_PROCESSING = "unlawful_processing", _("Diproses dengan cara melawan hukum")


class ErasureLog(models.Model):
    """One erasure (backend/privacy/erasure.py). Append-only in the database (migration 0001): the record that
    the controller erased, which must outlive the data it erased. `client_id` is the anonymous row left behind
    (the access log keeps the same ids); `request_reference` is the letter's or request's number, never a name
    (erasure.py refuses spaces and long runs of digits); `counts` says how many rows of each kind were erased."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.UUIDField(db_index=True)
    basis = models.CharField(max_length=24, choices=ErasureBasis.choices)
    request_reference = models.CharField(max_length=64)
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    erased_at = models.DateTimeField(default=timezone.now)
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("log penghapusan data")
