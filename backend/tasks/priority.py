"""How pressing a field task is: one number from 0 to 100, higher first (pure: no database).

`GET /tasks` lists open tasks by it (then by due date), and the daily cap of new follow-up tasks releases the
queued ones by it (workload.py). It is fixed when the task is made, from what the maker knows then:

- the kind's base: a missed appointment 70; accompanying to an appointment 60 (it has a date); a village
  official asked to help reach a client 60; a post-rehab support visit 55; a follow-up after an assessment 50;
  contacting a client who drifted away 50; a hand-over to a new area 40;
- the follow-up tier: +10 for each tier above the first (the longer the ladder ran, the more it matters);
- post-rehab: +15 (relapse is likeliest in the first months after treatment), and the first post-rehab visit
  (7 days) +10 more;
- an urgent escalation: +20;
- a trigger that says more than silence (attempts failed in a row, a planned visit missed): +5;
- days without contact beyond two weeks: +1 a day, at most +15.
"""

from __future__ import annotations

from backend.tasks.models import TaskKind

BASE: dict[str, int] = {
    TaskKind.MISSED_APPOINTMENT: 70,
    TaskKind.ACCOMPANY: 60,
    TaskKind.FOLLOW_UP_VILLAGE: 60,
    TaskKind.POST_REHAB_VISIT: 55,
    TaskKind.FOLLOW_UP: 50,
    TaskKind.FOLLOW_UP_CONTACT: 50,
    TaskKind.CLIENT_HANDOVER: 40,
}
DEFAULT = 50
MAX = 100
LOUD_TRIGGERS = frozenset({"failed_attempts", "missed_visit"})


def task_priority(
    kind: str,
    *,
    tier: int = 1,
    post_rehab: bool = False,
    first_post_rehab_visit: bool = False,
    urgent: bool = False,
    trigger: str = "",
    days_unseen: int = 0,
) -> int:
    """The priority of a task of `kind` made in this situation (see the module docstring)."""
    priority = BASE.get(kind, DEFAULT) + 10 * max(tier - 1, 0)
    if post_rehab:
        priority += 15
    if first_post_rehab_visit:
        priority += 10
    if urgent:
        priority += 20
    if trigger in LOUD_TRIGGERS:
        priority += 5
    priority += min(max(days_unseen - 14, 0), 15)
    return min(priority, MAX)
