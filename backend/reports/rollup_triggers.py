"""The triggers that mark roll-up rows stale (models.RollupStale), as SQL for migration 0002.

Statement-level, with transition tables (`REFERENCING NEW TABLE AS n / OLD TABLE AS o`): one INSERT ... SELECT
per statement whatever its number of rows (a sync of 500 visits is one upsert per village touched, not 500).
A write marks the client's village from the month of the instant it touches on, and only when that month is
already closed in the village's time zone (the current month is always computed live): a late visit, a
back-dated status change or contact attempt, an escalation or offer or task whose state at a past month end
changed. A mark's `since` is the earliest month it concerns (a status at every later month end may change),
`gen` a new number at every mark (rollup_build.py's refresh relies on it).

Trigger names start with `reports_rollup_stale_`: the national generator disables them during its COPY and
builds the roll-up at the end (datasets/national).
"""

from __future__ import annotations

TRIGGER_PREFIX = "reports_rollup_stale_"

_MARK = """
INSERT INTO reports_rollupstale (village_code, since, gen)
SELECT x.village_id, min(date_trunc('month', x.t AT TIME ZONE r.timezone))::date, nextval('reports_rollupstale_gen')
FROM ({pairs}) x JOIN villages_region r ON r.code = x.village_id
WHERE x.t IS NOT NULL AND x.t < date_trunc('month', now() AT TIME ZONE r.timezone) AT TIME ZONE r.timezone
GROUP BY x.village_id
ON CONFLICT (village_code) DO UPDATE
  SET since = LEAST(reports_rollupstale.since, EXCLUDED.since), gen = EXCLUDED.gen
"""


def _simple(time_col: str, watched: tuple[str, ...], client: str = "client_id") -> dict[str, str]:
    """A table whose rows belong to a client (`client`) and happen at `time_col`."""
    row = lambda t: "(" + ", ".join(f"{t}.{c}" for c in watched) + ")"  # noqa: E731
    return {
        "INSERT": f"SELECT c.village_id, n.{time_col} AS t FROM n JOIN recovery_client c ON c.id = n.{client}",
        "DELETE": f"SELECT c.village_id, o.{time_col} AS t FROM o JOIN recovery_client c ON c.id = o.{client}",
        "UPDATE": (
            f"SELECT c.village_id, LEAST(o.{time_col}, n.{time_col}) AS t FROM o JOIN n ON n.id = o.id "
            f"JOIN recovery_client c ON c.id IN (o.{client}, n.{client}) "
            f"WHERE {row('o')} IS DISTINCT FROM {row('n')}"
        ),
    }


_ESCALATION_TIMES = ("accepted_at", "closed_at", "cancelled_at", "to_coordinator_at")

SOURCES: dict[str, dict[str, str]] = {
    "recovery_visit": _simple("occurred_at", ("client_id", "occurred_at", "type", "logged_by_id")),
    "recovery_contactattempt": _simple("occurred_at", ("client_id", "occurred_at", "result", "logged_by_id")),
    "recovery_screening": _simple(
        "screened_at", ("client_id", "screened_at", "highest_risk", "injected_recently", "scores")
    ),
    "recovery_clientstatuschange": _simple("at", ("client_id", "at", "from_status", "to_status")),
    # A task's "open at a month end" reads its status now: any change counts from its creation on.
    "escalations_task": _simple(
        "created_at", ("client_id", "created_at", "status", "completed_at", "due_on", "assignee_id")
    ),
    "recovery_client": {
        "INSERT": "SELECT n.village_id, n.created_at AS t FROM n",
        "DELETE": "SELECT o.village_id, o.created_at AS t FROM o",
        # A status without history is the status of every month (queries.py): a change of it without a history
        # row (transitions.py always writes one) counts from the registration on.
        "UPDATE": (
            "SELECT v.village_id, LEAST(o.created_at, n.created_at) AS t FROM o JOIN n ON n.id = o.id "
            "CROSS JOIN LATERAL (VALUES (o.village_id), (n.village_id)) AS v(village_id) "
            "WHERE o.village_id IS DISTINCT FROM n.village_id OR o.created_at IS DISTINCT FROM n.created_at "
            "OR (o.status IS DISTINCT FROM n.status "
            "AND NOT EXISTS (SELECT 1 FROM recovery_clientstatuschange sc WHERE sc.client_id = n.id))"
        ),
    },
    "escalations_escalation": {
        "INSERT": "SELECT c.village_id, n.created_at AS t FROM n JOIN recovery_client c ON c.id = n.client_id",
        "DELETE": "SELECT c.village_id, o.created_at AS t FROM o JOIN recovery_client c ON c.id = o.client_id",
        "UPDATE": (
            "SELECT c.village_id, x.t FROM o JOIN n ON n.id = o.id "
            "JOIN recovery_client c ON c.id IN (o.client_id, n.client_id) "
            "CROSS JOIN LATERAL (VALUES "
            "(CASE WHEN (o.created_at, o.client_id) IS DISTINCT FROM (n.created_at, n.client_id) "
            "THEN LEAST(o.created_at, n.created_at) END), "
            + ", ".join(
                f"(CASE WHEN o.{c} IS DISTINCT FROM n.{c} THEN LEAST(o.{c}, n.{c}) END)"
                for c in _ESCALATION_TIMES
            )
            # A cancellation without a time is no longer waiting at any month end.
            + ", (CASE WHEN o.status IS DISTINCT FROM n.status AND 'cancelled' IN (o.status, n.status) "
            "AND n.cancelled_at IS NULL THEN n.created_at END)) AS x(t)"
        ),
    },
    "escalations_offer": {
        "INSERT": (
            "SELECT c.village_id, n.answered_at AS t FROM n JOIN escalations_escalation e ON e.id = n.escalation_id "
            "JOIN recovery_client c ON c.id = e.client_id"
        ),
        "DELETE": (
            "SELECT c.village_id, o.answered_at AS t FROM o JOIN escalations_escalation e ON e.id = o.escalation_id "
            "JOIN recovery_client c ON c.id = e.client_id"
        ),
        "UPDATE": (
            "SELECT c.village_id, LEAST(o.answered_at, n.answered_at) AS t FROM o JOIN n ON n.id = o.id "
            "JOIN escalations_escalation e ON e.id IN (o.escalation_id, n.escalation_id) "
            "JOIN recovery_client c ON c.id = e.client_id "
            "WHERE (o.status, o.answered_at, o.escalation_id) IS DISTINCT FROM (n.status, n.answered_at, n.escalation_id)"
        ),
    },
}

_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS n",
    "DELETE": "REFERENCING OLD TABLE AS o",
    "UPDATE": "REFERENCING OLD TABLE AS o NEW TABLE AS n",
}


def _name(table: str, event: str) -> str:
    return f"{TRIGGER_PREFIX}{event.lower()[:3]}"


def create_sql() -> str:
    out = ["CREATE SEQUENCE IF NOT EXISTS reports_rollupstale_gen;"]
    for table, events in SOURCES.items():
        for event, pairs in events.items():
            fn = f"{_name(table, event)}_{table}"
            out.append(
                f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                f"{_MARK.format(pairs=pairs)};\nRETURN NULL;\nEND\n$$;\n"
                f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} {_REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}();"
            )
    return "\n".join(out)


def drop_sql() -> str:
    out = []
    for table, events in SOURCES.items():
        for event in events:
            out.append(f"DROP TRIGGER IF EXISTS {_name(table, event)} ON {table};")
            out.append(f"DROP FUNCTION IF EXISTS {_name(table, event)}_{table}();")
    out.append("DROP SEQUENCE IF EXISTS reports_rollupstale_gen;")
    return "\n".join(out)
