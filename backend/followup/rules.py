"""Keeping clients from dropping out: the rules, as pure functions (no database).

No client in the programme should go FOLLOWUP_LOST_CONTACT_DAYS without either a contact or a named person
holding a due task to make one. A *contact* is a stored visit or a `reached` contact attempt
(`Client.last_contact_at`); a client never contacted counts from their registration.

An *episode* starts, for a followed client (an active status, not inpatient: the institution holds them; data
collection consent in force; not paused after a refusal; no hand-over pending), when the first of these holds:
- failed_attempts: FOLLOWUP_FAILED_ATTEMPTS attempts in a row failed (no answer, wrong number) since the last
  contact; any other result in between (in hospital, in prison, ...) breaks the row;
- missed_visit: the planned next visit of the latest visit (`next_visit_on`) is past and no contact since;
- no_contact: no contact for FOLLOWUP_NO_CONTACT_DAYS (14), FOLLOWUP_NO_CONTACT_DAYS_POST_REHAB (7) in
  post-rehab, and FOLLOWUP_NO_CONTACT_DAYS_OUTPATIENT_START (7) in the first FOLLOWUP_OUTPATIENT_START_DAYS (30)
  of outpatient care.
Tiers, one more every FOLLOWUP_TIER_DAYS (3) while the client is not reached: 1, a `follow_up_contact` task
for the assigned volunteers (or the village's volunteers); 2, a `follow_up_village` task for a village official;
3, the regency's coordinators and the admin of a facility holding an open case are told (inbox). A tier with no
one to give it to is passed at once. A contact that leaves no trigger ends the episode (its tasks are done); a
client no longer followed (consent withdrawn, paused, handed over) has it stopped (its tasks are cancelled).
After FOLLOWUP_LOST_CONTACT_DAYS (30) without contact, the ladder having run (tier 3 for FOLLOWUP_TIER_DAYS),
the client becomes lost_contact. Dates are calendar dates in the client's area.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from django.conf import settings

from backend.followup.models import Trigger
from backend.recovery.lifecycle import ACTIVE, ClientStatus
from backend.recovery.models import ContactResult
from backend.tasks.models import TaskKind
from villages.calendar import local_date

FOLLOWED = frozenset(ACTIVE - {ClientStatus.INPATIENT})
FAILED_RESULTS = (ContactResult.NO_ANSWER, ContactResult.WRONG_NUMBER)
TIER_TASK_KINDS = (TaskKind.FOLLOW_UP_CONTACT, TaskKind.FOLLOW_UP_VILLAGE)
TOP_TIER = 3


@dataclass(frozen=True)
class Rules:
    no_contact_days: int
    no_contact_days_post_rehab: int
    no_contact_days_outpatient_start: int
    outpatient_start_days: int
    failed_attempts: int
    lost_contact_days: int
    tier_days: int
    refused_pause_days: int
    handover_days: int


def rules_for(*, area_code: str) -> Rules:
    """The rules of an area: the settings' defaults today (an area may override them later)."""
    return Rules(
        no_contact_days=settings.FOLLOWUP_NO_CONTACT_DAYS,
        no_contact_days_post_rehab=settings.FOLLOWUP_NO_CONTACT_DAYS_POST_REHAB,
        no_contact_days_outpatient_start=settings.FOLLOWUP_NO_CONTACT_DAYS_OUTPATIENT_START,
        outpatient_start_days=settings.FOLLOWUP_OUTPATIENT_START_DAYS,
        failed_attempts=settings.FOLLOWUP_FAILED_ATTEMPTS,
        lost_contact_days=settings.FOLLOWUP_LOST_CONTACT_DAYS,
        tier_days=settings.FOLLOWUP_TIER_DAYS,
        refused_pause_days=settings.FOLLOWUP_REFUSED_PAUSE_DAYS,
        handover_days=settings.FOLLOWUP_HANDOVER_DAYS,
    )


@dataclass(frozen=True)
class Facts:
    """What the rules read of one client (backend/followup/facts.py loads them for a whole area at once)."""

    client_id: uuid.UUID
    code: str
    village_id: str
    tz: str
    status: str
    created_at: datetime
    last_contact_at: datetime | None  # the latest stored visit or reached attempt
    consent: bool  # data_collection in force
    next_visit_on: date | None  # planned by the latest visit
    failed_in_row: int
    outpatient_since: datetime | None
    handover_open: bool
    tier: int = 0
    tier_since: date | None = None
    episode_started_on: date | None = None
    paused_until: date | None = None
    column_contact_at: datetime | None = None  # Client.last_contact_at as stored (it may lag the contacts)

    @cached_property
    def seen_on(self) -> date:
        """The local date of the last contact (or of the registration, never contacted)."""
        return local_date(instant=self.last_contact_at or self.created_at, tz=self.tz)


# What the sweep does with a client today.
SKIP, NOTHING, START, KEEP = "skip", "nothing", "start", "keep"
ESCALATE, END, LOST = "escalate", "end", "lost"
STOP = "stop"  # no longer followed (consent, pause, hand-over) with an episode open: its tasks are cancelled


@dataclass(frozen=True)
class Decision:
    step: str
    trigger: str = ""
    days: int = 0  # days without contact
    tier: int = 0  # the tier to enter (start, escalate)


def no_contact_limit(f: Facts, today: date, rules: Rules) -> int:
    """Days without contact that start an episode: tighter after rehab and early in outpatient care."""
    if f.status == ClientStatus.POST_REHAB:
        return rules.no_contact_days_post_rehab
    if f.status == ClientStatus.OUTPATIENT and f.outpatient_since is not None:
        if (today - local_date(instant=f.outpatient_since, tz=f.tz)).days < rules.outpatient_start_days:
            return rules.no_contact_days_outpatient_start
    return rules.no_contact_days


def next_contact_due_on(f: Facts, today: date, rules: Rules) -> date | None:
    """The day by which the client must be contacted before an episode starts: the last contact (or the
    registration) plus the no-contact limit, or the planned next visit when that comes first. None for a client
    the ladder does not follow today."""
    if not followed(f, today):
        return None
    due = date.fromordinal(f.seen_on.toordinal() + no_contact_limit(f, today, rules))
    if f.next_visit_on is not None and f.seen_on < f.next_visit_on < due:
        due = f.next_visit_on
    return due


def trigger_of(f: Facts, today: date, rules: Rules) -> str:
    """The first trigger that holds today, or ""."""
    if f.failed_in_row >= rules.failed_attempts:
        return Trigger.FAILED_ATTEMPTS
    if f.next_visit_on is not None and f.next_visit_on < today and f.seen_on < f.next_visit_on:
        return Trigger.MISSED_VISIT
    if (today - f.seen_on).days >= no_contact_limit(f, today, rules):
        return Trigger.NO_CONTACT
    return ""


def followed(f: Facts, today: date) -> bool:
    """Is the client the ladder's to follow today? (Not: consent withdrawn, an inactive or inpatient status, a
    pause after a refusal, a hand-over to the coordinator pending.)"""
    paused = f.paused_until is not None and today < f.paused_until
    return f.consent and f.status in FOLLOWED and not f.handover_open and not paused


def evaluate(f: Facts, today: date, rules: Rules) -> Decision:
    """What the sweep does with the client today (see the module docstring)."""
    if not followed(f, today):
        return Decision(STOP) if f.tier else Decision(SKIP)
    days = (today - f.seen_on).days
    trigger = trigger_of(f, today, rules)
    if f.tier == 0:
        return Decision(START, trigger, days, tier=1) if trigger else Decision(NOTHING)
    if not trigger:
        return Decision(END)
    in_tier = (today - f.tier_since).days if f.tier_since else 0
    # The lost-contact clock restarts when a pause (a refusal) ends.
    since = max(f.seen_on, f.paused_until) if f.paused_until else f.seen_on
    if f.tier >= TOP_TIER and (today - since).days >= rules.lost_contact_days and in_tier >= rules.tier_days:
        return Decision(LOST, trigger, days)
    if f.tier < TOP_TIER and in_tier >= rules.tier_days:
        return Decision(ESCALATE, trigger, days, tier=f.tier + 1)
    return Decision(KEEP, trigger, days)
