"""Routing's statements run prepared (backend/common/prepared.py): PREPAREd once per connection, kept through
rollbacks, and the same decision when preparing is switched off (DB_PREPARED_STATEMENTS=false)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from backend.escalations import routing

pytestmark = pytest.mark.django_db


def decide(cast, need: str = "counseling", day: date | None = None) -> routing.Decision:
    return routing.route(
        origin=cast.kasongan_baru.point, need=need, day=day or date.today(), radius_km=100, declined=set()
    )


def prepared_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_the_routing_statement_is_prepared_once_and_then_only_executed(cast):
    decide(cast)
    prepared = [s for s in prepared_statements() if "accounts_roleassignment" in s]
    assert prepared, "routing's facts statement is not prepared on the connection"

    seen: list[str] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        decide(cast)
    assert seen and all(sql.startswith("EXECUTE pulih_") for sql in seen), seen


def test_a_rollback_keeps_the_prepared_statements(cast):
    """psycopg's own prepared statements are deallocated on every rollback (a savepoint's too); these are not.
    A day no other test routes on: its statement is prepared here, inside the transaction rolled back."""
    day = date.today() + timedelta(days=4321)
    with transaction.atomic():
        with transaction.atomic():
            decide(cast, day=day)
            transaction.set_rollback(True)  # a savepoint's rollback
        decided = decide(cast, day=day).as_json()  # still executes (no "prepared statement does not exist")
        transaction.set_rollback(True)
    assert any(day.isoformat() in statement for statement in prepared_statements())
    assert decide(cast, day=day).as_json() == decided


def test_unprepared_the_decision_is_the_same(cast, settings):
    for need in ("counseling", "assessment", "treatment", "reporting"):
        prepared = decide(cast, need).as_json()
        settings.DB_PREPARED_STATEMENTS = False
        assert decide(cast, need).as_json() == prepared
        settings.DB_PREPARED_STATEMENTS = True


@pytest.mark.parametrize("need", ["counseling", "assessment", "treatment"])
def test_past_the_explanation_the_knn_rounds_choose_the_same_person(cast, monkeypatch, need):
    """Nobody eligible among the explanation's facilities (none read here): the KNN over facilities with an
    eligible person, one facility a round, finds who the explanation would have."""
    expected = decide(cast, need).chosen
    monkeypatch.setattr(routing, "EXPLAIN_FACILITIES", 0)
    monkeypatch.setattr(routing, "KNN_BATCH", 1)
    chosen = decide(cast, need).chosen
    assert expected is not None and chosen is not None
    assert (chosen.user_id, chosen.facility_id) == (expected.user_id, expected.facility_id)
    near = routing.route(
        origin=cast.kasongan_baru.point, need=need, day=date.today(), radius_km=0.001, declined=set()
    )
    assert near.chosen is None  # the radius ends inside the first round
