"""Who sees what, as one table: every kind of thing that reaches a response or a phone, for every role, for an
object in the role's scope and one outside it. The API and the sync feed are both held to the table.

The spec is the docstring of backend/access/policy.py; EXPECTED below is that docstring written as data, and
the code as it behaves. A cell is
- "full": the whole record (the API answers it; the feed sends it, `access: full` where the feed says);
- "minimal": the minimal view of a case merely offered (client: code, sex, birth year, village; escalation: its
  course emptied; report: a village row with its small counts hidden, as every reader below the system admin
  gets it);
- "hidden": the API answers 404 like a missing object (or, for what hangs on a client the caller sees only
  minimally, 403 `full_access_required`; for reports, 403 `forbidden` to a role that reads none), and the
  feed never sends it;
- "full|hidden": the API shows it, the feed does not send it (tasks travel to their addressee only).

The scenario (`scenario`, built once for the module through the services): two clients, one in Kasongan Baru
(Katingan, 62.06) and one in Ampenan Selatan (Mataram, 52.71), each with a family member, a visit and a
screening. The Katingan client's case was offered to and accepted by counselor_near (Puskesmas Kasongan), who
recorded the outcome and referred the client on: the referral is a pending offer to assessor_near. The
Mataram client's case was accepted by counselor_mataram. Outcomes and rules made tasks; everyone has a
notification. "In scope" means the Katingan object, "out of scope" the Mataram one, except:
- assessor: the case in scope is the referral they were offered (with its offer), not the first one;
- notification: in scope is one's own, out of scope volunteer_mataram's;
- task: in scope is volunteer_katingan's follow-up task; for the user with no active role, their own (made
  while they were still a volunteer assigned to the client);
- report row: the village's row of the district's monthly report (a facility admin: their facility's report,
  out of scope another facility's).

The columns are the cast's people (tests/cast.py) plus a former volunteer of Kasongan Baru whose role ended
(still on the client's list of volunteers, with a task and a notification): the user with no active role.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

import backend.access.policy
from backend.accounts.models import Role, RoleAssignment, User
from backend.escalations.models import Escalation, Offer
from backend.escalations.services import escalation_outcome_record, offer_accept
from backend.mobile.feed import BY_NAME
from backend.recovery.models import Client, ClientCorrection
from backend.recovery.services import client_update
from backend.sync.changelog import sync_scope_reset
from backend.tasks.models import Task
from tests.cast import Cast, cast_build
from tests.conftest import Api
from tests.factories import (
    CASE_CONSENTS,
    ClientFactory,
    EscalationFactory,
    FamilyMemberFactory,
    NotificationFactory,
    ScreeningFactory,
    TaskFactory,
    UserFactory,
    VisitFactory,
    contact_attempt_log,
)
from tests.module_data import built_for_module
from tests.sync.helpers import drain

pytestmark = pytest.mark.django_db

F, M, H = "full", "minimal", "hidden"
F_API = "full|hidden"  # the API shows it; the feed does not send it
IN, OUT = "in_scope", "out_of_scope"

# The columns: each stands for one role of backend.accounts.models.Role (None: a user without an active role).
ROLES: dict[str, str | None] = {
    "volunteer": Role.VOLUNTEER,
    "village_official": Role.VILLAGE_OFFICIAL,
    "counselor": Role.COUNSELOR,
    "assessor": Role.ASSESSOR,
    "facility_admin": Role.FACILITY_ADMIN,
    "coordinator_regency": Role.COORDINATOR,
    "coordinator_province": Role.COORDINATOR,
    "system_admin": Role.SYSTEM_ADMIN,
    "no_active_role": None,
}

# Rows: what can reach a response or a phone. Each cell: (in scope, out of scope), in the order of ROLES.
# fmt: off
EXPECTED: dict[str, tuple[tuple[str, str], ...]] = {
    #                volunteer  official   counselor  assessor   fac.admin  coord.reg  coord.prov sys.admin     no role
    "client":        ((F, H),   (F, H),    (F, H),    (M, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "family_member": ((F, H),   (F, H),    (F, H),    (H, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "visit":         ((F, H),   (F, H),    (F, H),    (H, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "contact_attempt": ((F, H), (F, H),    (F, H),    (H, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "screening":     ((F, H),   (F, H),    (F, H),    (H, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "correction":    ((F, H),   (F, H),    (F, H),    (H, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "escalation":    ((F, H),   (F, H),    (F, H),    (M, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "offer":         ((F, H),   (F, H),    (F, H),    (F, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "task":          ((F, H),   (H, H),    (H, H),    (H, H),    (H, H),    (F_API, H), (F_API, H), (F_API, F_API), (H, H)),
    "notification":  ((F, H),   (F, H),    (F, H),    (F, H),    (F, H),    (F, H),    (F, H),    (F, H),       (F, H)),
    "timeline_item": ((F, H),   (F, H),    (F, H),    (H, H),    (F, H),    (F, H),    (F, H),    (F, F),       (H, H)),
    "report_row":    ((H, H),   (H, H),    (H, H),    (H, H),    (M, H),    (M, H),    (M, H),    (F, F),       (H, H)),
    "client_export": ((H, H),   (H, H),    (H, H),    (H, H),    (H, H),    (F, H),    (F, H),    (F, F),       (H, H)),
}
# fmt: on

# Kinds that reach responses only (the feed's kinds are backend.mobile.feed.BY_NAME).
API_ONLY = {"screening", "correction", "offer", "timeline_item", "report_row", "client_export"}

# Every scoping rule of backend.access (`*_qs_for`, and the report rule) and the row that holds it to account.
RULE_ROWS = {
    "client_qs_for": "client",
    "client_qs_with_access_for": "client",
    "client_full_qs_for": "client",
    "client_writable_qs_for": "client",  # the full set, as one filter (a write's lookup)
    # Clients who withdrew consent (the table's clients have not): tests/privacy/test_consent_withdrawal.py.
    "client_withdrawn_qs_for": "client",
    "offered_escalation_qs_for": "client",  # what the minimal view shows of the offered case
    "family_link_qs_for": "family_member",
    "family_member_qs_for": "family_member",
    "visit_qs_for": "visit",
    "contact_attempt_qs_for": "contact_attempt",
    "screening_qs_for": "screening",
    "correction_qs_for": "correction",
    "escalation_qs_for": "escalation",
    "offer_qs_for": "offer",
    "task_qs_for": "task",
    "notification_qs_for": "notification",
    "timeline_escalation_qs_for": "timeline_item",
    "report_access": "report_row",
}


def _cell(entity: str, role: str, scope: str) -> str:
    pair = EXPECTED[entity][list(ROLES).index(role)]
    return pair[0] if scope == IN else pair[1]


def _split(cell: str) -> tuple[str, str]:
    """(what the API gives, what the feed gives)."""
    api, _, feed = cell.partition("|")
    return api, feed or api


CELLS = [
    (entity, role, scope, channel)
    for entity in EXPECTED
    for role in ROLES
    for scope in (IN, OUT)
    for channel in (("api",) if entity in API_ONLY else ("api", "feed"))
]


# --- The table covers every role and every kind --------------------------------------------------------------


def test_the_table_has_a_column_for_every_role_and_one_for_no_role() -> None:
    missing = set(Role.values) - {r for r in ROLES.values() if r}
    assert not missing, f"roles without a column in EXPECTED: {sorted(missing)}"
    assert None in ROLES.values(), "the table needs a column for a user without an active role"
    for entity, row in EXPECTED.items():
        assert len(row) == len(ROLES), f"row {entity!r} has {len(row)} cells for {len(ROLES)} roles"


def test_the_table_has_a_row_for_every_kind_the_feed_sends_and_the_api_only_kinds() -> None:
    kinds = set(BY_NAME) | API_ONLY
    assert set(EXPECTED) == kinds, (
        f"rows missing: {sorted(kinds - set(EXPECTED))}; rows for no kind: {sorted(set(EXPECTED) - kinds)}"
    )


def test_every_scoping_rule_of_the_policy_has_a_row() -> None:
    rules = {n for n in backend.access.policy.__all__ if "_qs_" in n and n.endswith("_for")} | {
        "report_access"
    }
    assert set(RULE_ROWS) == rules, (
        f"rules of backend.access without a row: {sorted(rules - set(RULE_ROWS))}; "
        f"gone: {sorted(set(RULE_ROWS) - rules)}"
    )
    assert set(RULE_ROWS.values()) <= set(EXPECTED)


def test_every_cell_is_a_known_level() -> None:
    for entity, row in EXPECTED.items():
        for role, pair in zip(ROLES, row, strict=True):
            for scope, cell in zip((IN, OUT), pair, strict=True):
                allowed = {F, M, H} if entity in API_ONLY else {F, M, H, F_API}
                assert cell in allowed, f"{entity} / {role} / {scope}: unknown cell {cell!r}"


# --- The scenario --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What one cell looks at: an object, the client it hangs on, its case; for a report, the request."""

    id: uuid.UUID | None
    client_id: uuid.UUID | None = None
    escalation_id: uuid.UUID | None = None
    report: tuple[tuple[str, str], ...] = ()  # query of GET /reports/monthly
    row: str = ""  # the report row's area code


@dataclass(frozen=True, repr=False)
class Scenario:
    cast: Cast
    users: dict[str, User]  # column -> the user
    targets: dict[tuple[str, str, str], Target]  # (entity, column, scope) -> what the cell looks at
    # What each user's phone holds after a first sync, read once: user id -> {(entity, id): item}.
    feeds: dict[uuid.UUID, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    # GET answers, read once per user, path and query (the cells of one user share timelines and records).
    answers: dict[tuple[uuid.UUID, str, tuple[tuple[str, Any], ...]], Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Scenario(the access table's clients, cases, tasks and notifications)"


def _month(instant: Any, tz: str) -> str:
    return timezone.localtime(instant, timezone=ZoneInfo(tz)).strftime("%Y-%m")


def _build() -> Scenario:
    cast = cast_build()
    former = UserFactory(
        name="Mantan Kader Kasongan", roles=[(Role.VOLUNTEER, cast.kasongan_baru.code, None)]
    )
    users = {
        "volunteer": cast.volunteer_katingan,
        "village_official": cast.official_katingan,
        "counselor": cast.counselor_near,
        "assessor": cast.assessor_near,
        "facility_admin": cast.facility_admin_kasongan,
        "coordinator_regency": cast.coordinator_katingan,
        "coordinator_province": cast.coordinator_kalteng,
        "system_admin": cast.system_admin,
        "no_active_role": former,
    }
    sides = {
        IN: (cast.kasongan_baru, cast.volunteer_katingan, cast.counselor_near, -1.92137, 113.44706),
        OUT: (cast.ampenan_selatan, cast.volunteer_mataram, cast.counselor_mataram, -8.58085, 116.07551),
    }
    things: dict[str, dict[str, Any]] = {IN: {}, OUT: {}}
    for scope, (village, volunteer, counselor, lat, lon) in sides.items():
        volunteers = [volunteer, former] if scope == IN else [volunteer]
        client = ClientFactory(
            registered_by=volunteer,
            village=village,
            volunteers=volunteers,
            consents=(*CASE_CONSENTS, "contact_family"),
        )
        t = things[scope]
        t["client"] = client
        t["family_member"] = FamilyMemberFactory(client=client, linked_by=volunteer, phone="081377770001")
        t["visit"] = VisitFactory(client=client, logged_by=volunteer, latitude=lat, longitude=lon)
        t["contact_attempt"] = contact_attempt_log(client=client, logged_by=volunteer)
        t["screening"] = ScreeningFactory(client=client, screened_by=volunteer)
        client_update(
            actor=volunteer,
            client_id=client.id,
            version=Client.objects.get(id=client.id).version,
            changes={"address": "Jl. Koreksi 1"},
        )
        t["correction"] = ClientCorrection.objects.get(client=client)
        esc = EscalationFactory(client=client, created_by=volunteer)
        offer = Offer.objects.get(escalation=esc, status="pending")
        assert offer.staff_id == counselor.id, f"{scope}: the case was offered to {offer.staff}"
        offer_accept(escalation_id=esc.id, actor=counselor)
        t["escalation"], t["offer"] = esc, offer
    first = things[IN]["escalation"]
    escalation_outcome_record(
        escalation_id=first.id,
        actor=cast.counselor_near,
        outcome="outpatient",
        notes="HIV reaktif",
        refer_need="assessment",
    )
    referral = Escalation.objects.get(referred_from=first)
    referral_offer = Offer.objects.get(escalation=referral, status="pending")
    assert referral_offer.staff_id == cast.assessor_near.id, f"the referral went to {referral_offer.staff}"
    things[IN]["task"] = Task.objects.get(escalation=first, assignee=cast.volunteer_katingan)
    former_task = Task.objects.get(escalation=first, assignee=former)
    things[OUT]["task"] = TaskFactory(
        client=things[OUT]["client"], assignee=cast.volunteer_mataram, escalation=things[OUT]["escalation"]
    )
    own_notification = {role: NotificationFactory(recipient=user) for role, user in users.items()}
    others_notification = NotificationFactory(recipient=cast.volunteer_mataram)
    # The former volunteer's role ends (as the admin ends it): they stay on the client's list of volunteers.
    RoleAssignment.objects.filter(user=former).update(active=False)
    sync_scope_reset(user_id=former.id)

    reports = {
        IN: ((("area", "62.06.02"), ("month", _month(first.created_at, "Asia/Jakarta"))), "62.06.02.1003"),
        OUT: (
            (("area", "52.71.01"), ("month", _month(things[OUT]["escalation"].created_at, "Asia/Makassar"))),
            "52.71.01.1004",
        ),
    }
    facility = {IN: cast.pkm_kasongan, OUT: cast.pkm_ampenan}

    targets: dict[tuple[str, str, str], Target] = {}
    for role in ROLES:
        for scope in (IN, OUT):
            t = things[scope]
            client_id = t["client"].id
            esc, offer = t["escalation"], t["offer"]
            if role == "assessor" and scope == IN:
                esc, offer = referral, referral_offer
            task = former_task if role == "no_active_role" and scope == IN else t["task"]
            notification = own_notification[role] if scope == IN else others_notification
            query, row = reports[scope]
            if role == "facility_admin":
                query = (*query, ("facility", str(facility[scope].id)))
            targets |= {
                ("client", role, scope): Target(client_id, client_id),
                ("family_member", role, scope): Target(t["family_member"].id, client_id),
                ("visit", role, scope): Target(t["visit"].id, client_id),
                ("contact_attempt", role, scope): Target(t["contact_attempt"].id, client_id),
                ("screening", role, scope): Target(t["screening"].id, client_id),
                ("correction", role, scope): Target(t["correction"].id, client_id),
                ("escalation", role, scope): Target(esc.id, client_id, esc.id),
                ("offer", role, scope): Target(offer.id, client_id, esc.id),
                ("task", role, scope): Target(task.id, client_id),
                ("notification", role, scope): Target(notification.id),
                ("timeline_item", role, scope): Target(esc.id, client_id, esc.id),
                ("report_row", role, scope): Target(None, report=query, row=row),
                ("client_export", role, scope): Target(client_id, client_id),
            }
    return Scenario(cast=cast, users=users, targets=targets)


@pytest.fixture(scope="module")
def scenario(django_db_setup: None, django_db_blocker: Any) -> Iterator[Scenario]:
    """Built once for the module (tests/module_data.py); each test runs in a savepoint inside it."""
    yield from built_for_module(django_db_blocker, _build)


# --- What the API shows -----------------------------------------------------------------------------------------


def _error(response: Any) -> str:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "?"
    return f"{response.status_code} {code}"


def _hidden_answer(response: Any, allowed: set[str]) -> str:
    """'hidden' if the refusal is one of `allowed` ("404 client_not_found", ...), else what it was."""
    answer = _error(response)
    return H if answer in allowed else f"hidden as {answer} (expected {' or '.join(sorted(allowed))})"


def _client_refusals(client_level: str) -> set[str]:
    """How the API refuses what hangs on a client: 404 when the client is out of scope, 403 when the caller
    sees the client only minimally (they know it exists)."""
    return {"403 full_access_required"} if client_level == M else {"404 client_not_found"}


def _listed(response: Any, wanted: uuid.UUID | None) -> str:
    if response.status_code != 200:
        return f"list answered {_error(response)}"
    body = response.json()
    if body["has_more"]:
        return "list has more than one page"
    return F if str(wanted) in {str(i["id"]) for i in body["items"]} else H


class Channel:
    """One user's view through the API: `role` and `scope` name the cell (the table's client cell for them
    says how the API refuses what hangs on the client). Reads only, so each GET is asked once per module."""

    def __init__(self, user: User, role: str, scope: str, sc: Scenario) -> None:
        self.user, self.role, self.sc = user, role, sc
        self.client_level = _split(_cell("client", role, scope))[0]

    def get(self, path: str, **params: Any) -> Any:
        key = (self.user.id, path, tuple(sorted(params.items())))
        if key not in self.sc.answers:
            self.sc.answers[key] = Api(self.user).get(path, **params)
        return self.sc.answers[key]

    def timeline(self, client_id: uuid.UUID | None) -> tuple[Any, list[dict[str, Any]]]:
        response = self.get(f"/clients/{client_id}/timeline", limit=200)
        items = response.json()["items"] if response.status_code == 200 else []
        if response.status_code == 200:
            assert not response.json()["has_more"]
        return response, items


# What the minimal view of a client may carry (the API's schema gives every other field as null).
_MINIMAL_CLIENT = {
    "id",
    "code",
    "access",
    "sex",
    "birth_year",
    "village",
    "village_code",
    "escalation",
    "version",
}


def _minimal_or_more(record: dict[str, Any]) -> str:
    more = sorted(k for k, v in record.items() if k not in _MINIMAL_CLIENT and v is not None)
    return M if not more else f"minimal with {more}"


def api_client(ch: Channel, t: Target, sc: Scenario) -> str:
    response = ch.get(f"/clients/{t.client_id}")
    if response.status_code != 200:
        return _hidden_answer(response, {"404 client_not_found"})
    body = response.json()
    if body["access"] == F:
        return (
            F if body["name"] == Client.objects.get(id=t.client_id).name else f"full without the name: {body}"
        )
    if body["access"] == M:
        return _minimal_or_more(body)
    return f"unknown access {body['access']!r}"


def api_family_member(ch: Channel, t: Target, sc: Scenario) -> str:
    """In the client's record (family_members) and in its timeline (family_link): both or neither."""
    response = ch.get(f"/clients/{t.client_id}")
    in_record = response.status_code == 200 and str(t.id) in {
        m["id"] for m in response.json().get("family_members") or []
    }
    timeline, items = ch.timeline(t.client_id)
    in_timeline = any(i["kind"] == "family_link" and i["data"].get("member_id") == str(t.id) for i in items)
    if in_record != in_timeline:
        return f"record shows it: {in_record}, timeline: {in_timeline}"
    if in_record:
        return F
    if response.status_code == 200 and timeline.status_code == 200:
        return "hidden while the client's record and timeline are shown"
    return _hidden_answer(timeline, _client_refusals(ch.client_level))


def api_visit(ch: Channel, t: Target, sc: Scenario) -> str:
    """In GET /clients/{id}/visits and in the timeline: both or neither."""
    response = ch.get(f"/clients/{t.client_id}/visits", limit=200)
    listed = _listed(response, t.id) if response.status_code == 200 else H
    _timeline, items = ch.timeline(t.client_id)
    in_timeline = F if any(i["kind"] == "visit" and i["id"] == str(t.id) for i in items) else H
    if listed != in_timeline:
        return f"visits list: {listed}, timeline: {in_timeline}"
    if listed == F or response.status_code == 200:
        return listed
    return _hidden_answer(response, _client_refusals(ch.client_level))


def api_contact_attempt(ch: Channel, t: Target, sc: Scenario) -> str:
    """In GET /clients/{id}/contact-attempts and in the timeline: both or neither."""
    response = ch.get(f"/clients/{t.client_id}/contact-attempts", limit=200)
    listed = _listed(response, t.id) if response.status_code == 200 else H
    _timeline, items = ch.timeline(t.client_id)
    in_timeline = F if any(i["kind"] == "contact_attempt" and i["id"] == str(t.id) for i in items) else H
    if listed != in_timeline:
        return f"contact attempts list: {listed}, timeline: {in_timeline}"
    if listed == F or response.status_code == 200:
        return listed
    return _hidden_answer(response, _client_refusals(ch.client_level))


def api_correction(ch: Channel, t: Target, sc: Scenario) -> str:
    """In GET /clients/{id}/corrections (the correction history follows the full record)."""
    response = ch.get(f"/clients/{t.client_id}/corrections", limit=200)
    if response.status_code == 200:
        return _listed(response, t.id)
    return _hidden_answer(response, _client_refusals(ch.client_level))


def api_screening(ch: Channel, t: Target, sc: Scenario) -> str:
    timeline, items = ch.timeline(t.client_id)
    if timeline.status_code != 200:
        return _hidden_answer(timeline, _client_refusals(ch.client_level))
    return F if any(i["kind"] == "screening" and i["id"] == str(t.id) for i in items) else H


_COURSE = ("outcome", "outcome_notes", "assigned_to_id", "facility_id", "referred_from_id")
_COURSE_EMPTY = {
    "outcome": "",
    "outcome_notes": "",
    "assigned_to_id": None,
    "facility_id": None,
    "referred_from_id": None,
}


def _course(esc: Escalation) -> dict[str, Any]:
    return {
        "outcome": esc.outcome,
        "outcome_notes": esc.outcome_notes,
        "assigned_to_id": str(esc.assigned_to_id) if esc.assigned_to_id else None,
        "facility_id": str(esc.facility_id) if esc.facility_id else None,
        "referred_from_id": str(esc.referred_from_id) if esc.referred_from_id else None,
    }


def api_escalation(ch: Channel, t: Target, sc: Scenario) -> str:
    """GET /escalations/{id}: the course as stored (full) or emptied (minimal); the list agrees."""
    response = ch.get(f"/escalations/{t.id}")
    listed = _listed(ch.get("/escalations", limit=200), t.id)
    if response.status_code != 200:
        seen = _hidden_answer(response, {"404 escalation_not_found"})
        return seen if listed == H else f"{seen}, yet listed: {listed}"
    if listed != F:
        return f"readable, but in the list: {listed}"
    course = {k: response.json()[k] for k in _COURSE}
    if course == _course(Escalation.objects.get(id=t.id)):
        return F
    return M if course == _COURSE_EMPTY else f"course partly shown: {course}"


def api_offer(ch: Channel, t: Target, sc: Scenario) -> str:
    """The offer in its escalation's record (`offer`) and, once accepted, in the client's timeline."""
    response = ch.get(f"/escalations/{t.escalation_id}")
    in_record = response.status_code == 200 and (response.json()["offer"] or {}).get("id") == str(t.id)
    timeline, items = ch.timeline(t.client_id)
    if Offer.objects.get(id=t.id).status == "accepted" and timeline.status_code == 200:
        in_timeline = any(i["kind"] == "offer_accepted" and i["id"] == str(t.id) for i in items)
        if in_timeline != in_record:
            return f"escalation record shows it: {in_record}, timeline: {in_timeline}"
    if in_record:
        return F
    if response.status_code == 200:
        return "hidden in a readable escalation"
    return _hidden_answer(response, {"404 escalation_not_found"})


def api_task(ch: Channel, t: Target, sc: Scenario) -> str:
    return _listed(ch.get("/tasks", limit=200), t.id)


def api_notification(ch: Channel, t: Target, sc: Scenario) -> str:
    return _listed(ch.get("/notifications", limit=200), t.id)


def api_timeline_item(ch: Channel, t: Target, sc: Scenario) -> str:
    """The case's steps in the client's timeline (its creation, the outcome: items named by the case's id)."""
    timeline, items = ch.timeline(t.client_id)
    if timeline.status_code != 200:
        return _hidden_answer(timeline, _client_refusals(ch.client_level))
    return F if any(i["id"] == str(t.id) for i in items) else H


def api_report_row(ch: Channel, t: Target, sc: Scenario) -> str:
    response = ch.get("/reports/monthly", **dict(t.report))
    if response.status_code != 200:
        # A role that reads no report at all is told so (403); an area or facility out of reach is a 404.
        reads_reports = _cell("report_row", ch.role, IN) != H
        return _hidden_answer(response, {"404 not_found"} if reads_reports else {"403 forbidden"})
    rows = {r["code"]: r for r in response.json()["rows"]}
    if t.row not in rows:
        return f"no row {t.row} in {sorted(rows)}"
    row = rows[t.row]
    if row["suppressed"]:
        return M
    return F if row["figures"]["escalations_created"] else f"a row without the case: {row['figures']}"


def api_client_export(ch: Channel, t: Target, sc: Scenario) -> str:
    """The subject access export (GET /clients/{id}/export): the area's coordinators and system admins; a role
    that sees the client in full is refused 403 `coordinator_required`, minimally 403 `full_access_required`."""
    response = ch.get(f"/clients/{t.client_id}/export")
    if response.status_code == 200:
        return (
            F if response.json()["client_id"] == str(t.client_id) else f"another record: {response.content!r}"
        )
    refusals = _client_refusals(ch.client_level) if ch.client_level != F else {"403 coordinator_required"}
    return _hidden_answer(response, refusals)


API_CHECKS: dict[str, Callable[[Channel, Target, Scenario], str]] = {
    "client": api_client,
    "family_member": api_family_member,
    "visit": api_visit,
    "contact_attempt": api_contact_attempt,
    "screening": api_screening,
    "correction": api_correction,
    "escalation": api_escalation,
    "offer": api_offer,
    "task": api_task,
    "notification": api_notification,
    "timeline_item": api_timeline_item,
    "report_row": api_report_row,
    "client_export": api_client_export,
}


# --- What the feed sends ----------------------------------------------------------------------------------------


def _feed_of(sc: Scenario, user: User) -> dict[tuple[str, str], dict[str, Any]]:
    """What a phone holds after a first sync (no cursor), drained: (entity, id) -> the last item, if an upsert."""
    if user.id not in sc.feeds:
        items, _cursor, _pages = drain(Api(), user)
        held: dict[tuple[str, str], dict[str, Any]] = {}
        for item in items:
            held[(item["entity"], item["id"])] = item
        sc.feeds[user.id] = {k: v for k, v in held.items() if v["op"] == "upsert"}
    return sc.feeds[user.id]


def feed_level(sc: Scenario, user: User, entity: str, t: Target) -> str:
    item = _feed_of(sc, user).get((entity, str(t.id)))
    if item is None:
        return H
    data = item["data"]
    if entity == "client":
        return _minimal_or_more(data) if data["access"] == M else data["access"]
    if entity == "escalation":
        return data["access"]
    return F


# --- The cells -----------------------------------------------------------------------------------------------------


def test_the_scenario_is_the_one_the_table_describes(scenario: Scenario) -> None:
    cast, users = scenario.cast, scenario.users
    first = Escalation.objects.get(id=scenario.targets[("escalation", "volunteer", IN)].id)
    referral = Escalation.objects.get(id=scenario.targets[("escalation", "assessor", IN)].id)
    other = Escalation.objects.get(id=scenario.targets[("escalation", "volunteer", OUT)].id)
    assert (first.assigned_to, first.facility, first.status) == (
        cast.counselor_near,
        cast.pkm_kasongan,
        "referred",
    )
    assert (referral.referred_from_id, referral.status) == (first.id, "offered")
    assert referral.offers.get().staff == cast.assessor_near
    assert (other.assigned_to, other.status) == (cast.counselor_mataram, "accepted")
    former = users["no_active_role"]
    assert not RoleAssignment.objects.filter(user=former, active=True).exists()
    assert first.client.assigned_volunteers.filter(id=former.id).exists()
    # Each case's course differs from the emptied one, so "full" and "minimal" can be told apart.
    for esc in (first, referral, other):
        assert _course(esc) != _COURSE_EMPTY


@pytest.mark.parametrize(("entity", "role", "scope", "channel"), CELLS, ids=["-".join(c) for c in CELLS])
def test_the_cell(scenario: Scenario, entity: str, role: str, scope: str, channel: str) -> None:
    user = scenario.users[role]
    target = scenario.targets[(entity, role, scope)]
    expected_api, expected_feed = _split(_cell(entity, role, scope))
    if channel == "api":
        seen, expected = (
            API_CHECKS[entity](Channel(user, role, scope, scenario), target, scenario),
            expected_api,
        )
    else:
        seen, expected = feed_level(scenario, user, entity, target), expected_feed
    assert seen == expected, f"{entity} / {role} / {scope} / {channel}: expected {expected}, got {seen}"


@pytest.mark.parametrize("role", list(ROLES))
def test_the_clients_a_role_may_change_are_the_ones_it_sees_in_full(scenario: Scenario, role: str) -> None:
    """`client_writable_qs_for` (a write's lookup: one filter) holds `client_full_qs_for`'s set, role by role."""
    policy, user = backend.access.policy, scenario.users[role]
    writable = set(policy.client_writable_qs_for(user=user).values_list("id", flat=True))
    assert writable == set(policy.client_full_qs_for(user=user).values_list("id", flat=True))
