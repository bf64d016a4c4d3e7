"""The record of a synthetic build: one row per finished phase, so a rerun skips what is done."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class BuildPhase(models.Model):
    """A phase of `build_national_dataset` that committed: its rows are in, with these parameters."""

    name = models.CharField(max_length=40, unique=True)
    seed = models.IntegerField()
    scale = models.FloatField()
    provinces = models.CharField(max_length=400, blank=True)  # comma-separated codes; blank: all
    as_of = models.DateTimeField()  # the build's "now": a resumed build keeps the first run's
    rows = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    finished_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.rows} rows, {self.seconds:.0f} s)"
