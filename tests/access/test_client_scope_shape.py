"""The client scope is one `id IN (a UNION b ...)` semi-join, never an OR of its paths. An OR of a subquery is a
filter PostgreSQL cannot use an index for: on the national set (a million clients) the first sync of a volunteer
with 200 clients walked every client in id order, 2.2 s for the client page alone, 20 ms as a union
(bench/RESULTS.md). The access table (test_access_table.py) proves who sees what; this pins the shape."""

from __future__ import annotations

import pytest

from backend.access.policy import client_qs_for, client_qs_with_access_for, escalation_qs_for, task_qs_for
from backend.accounts.scope import village_code_q
from backend.recovery.models import Client
from tests.factories import ClientFactory


def _outer_where(sql: str, table: str = "recovery_client") -> str:
    """The WHERE of the outer query, every parenthesised subquery (a SELECT) blanked out."""
    outer = f'FROM "{table}" WHERE '  # subqueries alias their tables (U0, U1, ...)
    where = sql[sql.index(outer) + len(outer) :]
    out, depth, start, i = [], 0, 0, 0
    while i < len(where):
        if where.startswith("(SELECT", i) or where.startswith("((SELECT", i):
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(where[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(where[start:i] + "(...)")
            start = i = j
            continue
        i += 1
    out.append(where[start:])
    return "".join(out)


@pytest.mark.parametrize("who", ["volunteer_katingan", "counselor_near", "facility_admin_kasongan"])
def test_the_scope_of_a_field_worker_or_staff_member_is_one_semi_join(cast, who) -> None:
    user = getattr(cast, who)
    ClientFactory(
        registered_by=cast.volunteer_katingan,
        village=cast.kasongan_baru,
        volunteers=[user] if who.startswith("volunteer") else [],
    )
    for qs in (client_qs_for(user=user), client_qs_with_access_for(user=user)):
        where = _outer_where(str(qs.order_by("id")[:10].query))
        assert '"recovery_client"."id" IN (...)' in where, where
        assert " OR " not in where.split(" ORDER BY ")[0], where
    # escalations likewise (a volunteer's GET /escalations on the national set: 1.9 s as an OR, 12 ms as a union)
    where = _outer_where(
        str(escalation_qs_for(user=user).order_by("id")[:10].query), "escalations_escalation"
    )
    assert '"escalations_escalation"."id" IN (...)' in where, where
    assert " OR " not in where.split(" ORDER BY ")[0], where


def test_the_blanking_sees_an_or_of_paths(cast) -> None:
    """The check above can fail: the shape it forbids is found."""
    sql = (
        'SELECT 1 FROM "recovery_client" WHERE (("recovery_client"."village_id" IN (\'62.06.02.1003\') OR '
        '"recovery_client"."id" IN (SELECT U0."client_id" FROM "x" U0 WHERE U0."user_id" = 1)) AND c IS NULL)'
    )
    assert " OR " in _outer_where(sql)


def test_an_areas_clients_are_one_range_of_village_codes(cast) -> None:
    """A coordinator's area is matched by its code's prefix alone (a client's village is always a village): one
    range condition an index answers by itself, where `= '62' OR LIKE '62.%'` made PostgreSQL OR two bitmaps and
    read every client's row of the province (bench_roles: GET /escalations of province 33, 2.0 s -> 0.36 s)."""
    sql = str(client_qs_for(user=cast.coordinator_kalteng).values("id").query)
    assert '"village_id"::text LIKE 62.%' in sql, sql  # (str(query) shows parameters unquoted)
    assert '"village_id" = 62' not in sql, sql


def test_a_village_code_in_an_area_list_matches_only_itself() -> None:
    sql = str(Client.objects.filter(village_code_q("village__code", {"62.06", "62.06.02.1003"})).query)
    assert '"village_id"::text LIKE 62.06.%' in sql, sql
    assert '"village_id" = 62.06.02.1003' in sql and "LIKE 62.06.02.1003.%" not in sql, sql


def test_the_coordinators_scope_holds_the_areas_clients_and_no_other(cast) -> None:
    inside = ClientFactory(registered_by=cast.volunteer_katingan, village=cast.kasongan_baru)
    elsewhere = ClientFactory(registered_by=cast.volunteer_mataram, village=cast.ampenan_selatan)
    ids = set(client_qs_for(user=cast.coordinator_kalteng).values_list("id", flat=True))
    assert inside.id in ids and elsewhere.id not in ids


def test_a_coordinators_task_scope_is_one_semi_join(cast) -> None:
    """Their own tasks and their area's, as a union like the client scope (not an OR of two subqueries)."""
    where = _outer_where(
        str(task_qs_for(user=cast.coordinator_kalteng).order_by("id")[:10].query), "escalations_task"
    )
    assert '"escalations_task"."id" IN (...)' in where, where
    assert " OR " not in where.split(" ORDER BY ")[0], where
