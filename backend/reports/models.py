"""The monthly roll-up: the report's counts per village and calendar month, so that an area's report is a sum over
its villages instead of a scan of its clients' visits (issue 11: a province's report was 11-17 s on the national
set, its 12-month series alone joining a million visits scattered over a ten-million-row heap).

Counts only: no client, name, code or per-client row is stored (docs/DPIA.md). A count that would not add up
across villages is stored so that it does: "clients visited" is per village (a client lives in one village), the
times to acceptance are kept as the list of hours (a median does not add up, a list does), and the field workers'
figures have their own table per (village, month, worker).

A month is in a village's own time zone (the report's month is in its area's, and an area's villages share it:
rollup.py falls back to the live report where they do not). Rows exist only for (village, month) with some count;
`RollupMonth` records which months were built for every village, and `RollupStale` which villages were written to
in a closed month since (statement-level triggers, migration 0002): from `since` on, their rows are not used until
the 5-minute refresh rebuilds them (rollup_build.py). The current month is never stored: it is computed live.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from backend.reports.figures import FIGURES

# The columns of VillageMonth: every figure of the report, in report order (figures.FIGURES: a new figure is a
# new column, and a migration), and the two counts only the series has (every status change counts there).
FIGURE_COLUMNS: tuple[str, ...] = FIGURES
SERIES_ONLY_COLUMNS: tuple[str, ...] = ("changes_dropped_out", "changes_lost_contact")
COUNT_COLUMNS: tuple[str, ...] = FIGURE_COLUMNS + SERIES_ONLY_COLUMNS


class VillageMonth(models.Model):
    """One village's counts in one closed calendar month (see the module docstring)."""

    village_code = models.CharField(max_length=13)
    month = models.DateField()  # the first day, in the village's time zone
    # Hours from creation to acceptance of each escalation accepted in the month (for the median and p90).
    acceptance_hours = ArrayField(models.FloatField(), default=list)
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "village_code"], name="rollup_village_month_uniq"),
        ]
        indexes = [
            # An area's villages in a month: one range of codes (`LIKE '33.05.%'`) under each month.
            models.Index(
                fields=["month", "village_code"],
                name="rollup_month_village_like_idx",
                opclasses=["date_ops", "varchar_pattern_ops"],
            ),
        ]


for _name in COUNT_COLUMNS:
    VillageMonth.add_to_class(_name, models.IntegerField(default=0))


class WorkerMonth(models.Model):
    """One field worker's figures among one village's clients in one closed month (series.worker_rows)."""

    village_code = models.CharField(max_length=13)
    month = models.DateField()
    user_id = models.UUIDField()
    visits = models.IntegerField(default=0)
    contact_attempts = models.IntegerField(default=0)
    tasks_on_time = models.IntegerField(default=0)
    tasks_late = models.IntegerField(default=0)
    tasks_open = models.IntegerField(default=0)
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "village_code", "user_id"], name="rollup_worker_month_uniq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["month", "village_code"],
                name="rollup_worker_like_idx",
                opclasses=["date_ops", "varchar_pattern_ops"],
            ),
        ]


class RollupMonth(models.Model):
    """A (time zone, month) built for every village of that time zone: only such months are read from the
    roll-up."""

    timezone = models.CharField(max_length=40)
    month = models.DateField()
    built_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["timezone", "month"], name="rollup_month_uniq")]


class RollupStale(models.Model):
    """A village written to in a closed month (a late visit, a back-dated status change...): its roll-up rows from
    `since` on are not to be read until rebuilt. `gen` changes at every mark, so a refresh deletes only the marks
    it has seen (a write during the refresh leaves its own mark)."""

    village_code = models.CharField(max_length=13, primary_key=True)
    since = models.DateField()
    gen = models.BigIntegerField()
