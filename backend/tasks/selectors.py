"""What a task list needs of the tasks app: `overdue` = open and due before today in the client's time zone,
computed per zone in SQL. The caller's tasks (from their scope) are backend/reads/tasks.py."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, Value, When

from villages.calendar import local_date
from villages.models import TimeZoneName


def overdue_expression(*, now: datetime) -> Case:
    """True for open tasks due before today in the client's time zone (one WHEN per Indonesian zone)."""
    whens = [
        When(
            status="open",
            client__village__timezone=tz,
            due_on__lt=local_date(instant=now, tz=tz),
            then=Value(True),
        )
        for tz in TimeZoneName.values
    ]
    return Case(*whens, default=Value(False), output_field=BooleanField())
