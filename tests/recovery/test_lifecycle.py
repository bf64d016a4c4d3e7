"""The lifecycle rules (backend/recovery/lifecycle.py): every (from, to) pair, allowed or forbidden."""

from __future__ import annotations

import itertools

import pytest

from backend.recovery.lifecycle import CLOSED, EXITS, IN_TREATMENT, ClientStatus, allowed_next, can_transition

S = ClientStatus

# The whole table, written out by hand from DOMAIN.md's path of a client: any change to the rules must change
# this table too. Exits (dropped_out, lost_contact, moved, deceased) are added below for every active status.
ALLOWED: dict[str, set[str]] = {
    S.IDENTIFIED: {S.SCREENED, S.COMMUNITY_RECOVERY, S.ESCALATED},
    S.SCREENED: {S.COMMUNITY_RECOVERY, S.ESCALATED},
    S.COMMUNITY_RECOVERY: {S.SCREENED, S.ESCALATED, S.RECOVERED},
    S.ESCALATED: {S.COMMUNITY_RECOVERY, S.OUTPATIENT, S.INPATIENT, S.METHADONE},
    S.OUTPATIENT: {S.INPATIENT, S.METHADONE, S.POST_REHAB, S.COMMUNITY_RECOVERY},
    S.INPATIENT: {S.OUTPATIENT, S.METHADONE, S.POST_REHAB},
    S.METHADONE: {S.OUTPATIENT, S.INPATIENT, S.POST_REHAB},
    S.POST_REHAB: {S.RECOVERED, S.ESCALATED, S.COMMUNITY_RECOVERY},
    S.RECOVERED: {S.ESCALATED, S.COMMUNITY_RECOVERY},
    S.DROPPED_OUT: {S.IDENTIFIED, S.COMMUNITY_RECOVERY, S.ESCALATED, S.MOVED, S.DECEASED},
    S.LOST_CONTACT: {S.IDENTIFIED, S.COMMUNITY_RECOVERY, S.ESCALATED, S.MOVED, S.DECEASED},
    S.MOVED: {S.IDENTIFIED, S.COMMUNITY_RECOVERY, S.DECEASED},
    S.DECEASED: set(),
}
for _status in ALLOWED:
    if _status not in EXITS:
        ALLOWED[_status] |= set(EXITS)


@pytest.mark.parametrize("current,target", list(itertools.product(S.values, S.values)))
def test_every_pair_is_allowed_exactly_when_the_table_says_so(current, target):
    assert can_transition(current, target) is (target in ALLOWED[current])


def test_the_table_covers_every_status():
    assert set(ALLOWED) == set(S.values)


@pytest.mark.parametrize("status", S.values)
def test_no_status_follows_itself(status):
    assert status not in allowed_next(status)
    assert can_transition(status, status) is False


def test_deceased_is_final():
    assert allowed_next(S.DECEASED) == frozenset()


@pytest.mark.parametrize("status", sorted(set(S.values) - EXITS - {S.RECOVERED}))
def test_every_active_status_can_exit(status):
    assert EXITS <= allowed_next(status)


def test_treatment_is_reached_only_through_escalation_or_another_treatment():
    for status in S.values:
        if allowed_next(status) & IN_TREATMENT:
            assert status == S.ESCALATED or status in IN_TREATMENT


def test_an_unknown_status_is_never_a_valid_target():
    assert can_transition(S.IDENTIFIED, "cured") is False


def test_closed_statuses_are_recovered_moved_and_deceased():
    assert CLOSED == {S.RECOVERED, S.MOVED, S.DECEASED}
