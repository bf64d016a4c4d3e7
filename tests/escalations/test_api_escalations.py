"""The escalation endpoints, end to end through the API, as each member of the cast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.escalations.models import Escalation, Offer
from backend.recovery.models import Client
from backend.sync.models import ChangeLog
from backend.tasks.models import Task
from notifications.models import Notification
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db


def create(api, cast, client, **body):
    payload = {
        "client_id": str(client.id),
        "need": "counseling",
        "urgency": "routine",
        "reason": "Risiko tinggi",
    }
    payload.update(body)
    return api.as_(cast.volunteer_katingan).post("/escalations", payload)


@pytest.fixture
def offered(api, cast, client_kasongan):
    """An escalation of the Kasongan client, offered to counselor_near."""
    response = create(api, cast, client_kasongan)
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def accepted(api, cast, offered):
    response = api.as_(cast.counselor_near).post(f"/escalations/{offered['id']}/accept")
    assert response.status_code == 200, response.json()
    return response.json()


def future(hours: int = 48) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


# --- Create ------------------------------------------------------------------------------------------------


def test_a_volunteer_escalates_and_sees_why_the_nearest_counselor_was_chosen(api, cast, offered):
    assert offered["status"] == "offered"
    assert offered["offer"]["staff_id"] == str(cast.counselor_near.id)
    assert offered["offer"]["status"] == "pending"
    assert offered["routing"]["chosen"]["user_id"] == str(cast.counselor_near.id)
    assert offered["routing"]["passed_over"]
    assert offered["client_code"].startswith("TST-")


def test_the_offered_counselor_sees_the_case_but_not_the_explanation(api, cast, offered):
    body = api.as_(cast.counselor_near).get(f"/escalations/{offered['id']}").json()

    assert body["offer"]["staff_id"] == str(cast.counselor_near.id)
    assert body["routing"] is None


def test_the_coordinator_of_the_area_sees_the_explanation(api, cast, offered):
    body = api.as_(cast.coordinator_katingan).get(f"/escalations/{offered['id']}").json()

    assert body["routing"]["chosen"]["name"] == cast.counselor_near.name


@pytest.mark.parametrize("who", ["volunteer_mataram", "counselor_far", "coordinator_mataram", "nobody"])
def test_others_do_not_find_the_escalation(api, cast, offered, who):
    response = api.as_(getattr(cast, who)).get(f"/escalations/{offered['id']}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "escalation_not_found"


def test_an_escalation_needs_referral_consent(api, cast):
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, consent=False)

    response = create(api, cast, client)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_required"
    assert not Escalation.objects.exists()


def test_a_second_open_escalation_of_the_same_need_answers_409_with_the_first(
    api, cast, client_kasongan, offered
):
    response = create(api, cast, client_kasongan)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "escalation_open"
    assert response.json()["existing"]["id"] == offered["id"]
    assert create(api, cast, client_kasongan, need="assessment").status_code == 201


def test_a_client_outside_the_volunteers_scope_cannot_be_escalated(api, cast, client_mataram):
    response = create(api, cast, client_mataram)

    assert response.status_code == 404


def test_bad_input_is_a_422_naming_the_field(api, cast, client_kasongan):
    response = create(api, cast, client_kasongan, need="surgery", location={"lat": 123, "lon": 0})

    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"need", "location.lat"} <= fields


def test_the_offered_staff_member_is_notified_at_the_cases_priority_and_the_sla_as_ttl(api, cast, offered):
    note = Notification.objects.get(recipient=cast.counselor_near, kind="escalation_offered")

    assert note.priority == "normal"  # a routine case: an urgent one is "high" (below)
    assert 23 * 3600 < note.ttl_seconds <= 24 * 3600
    assert note.data == {
        "escalation_id": offered["id"],
        "client_id": offered["client_id"],
        "offer_id": offered["offer"]["id"],
    }


def test_an_urgent_case_gets_the_areas_urgent_sla(api, cast, client_kasongan):
    from villages.models import Region

    Region.objects.filter(code="62.06").update(sla_urgent_hours=1)

    body = create(api, cast, client_kasongan, urgency="urgent").json()

    left = datetime.fromisoformat(body["offer"]["expires_at"]) - timezone.now()
    assert timedelta(minutes=55) < left <= timedelta(hours=1)
    note = Notification.objects.get(data__offer_id=body["offer"]["id"], kind="escalation_offered")
    assert note.priority == "high"


def test_escalation_changes_go_into_the_change_log(api, cast, offered):
    rows = ChangeLog.objects.filter(entity="escalation", entity_id=offered["id"])

    assert rows.filter(village_code="62.06.02.1003", user_id=cast.counselor_near.id).exists()


# --- Accept, decline, expire -------------------------------------------------------------------------------


def test_accepting_assigns_the_case_and_escalates_the_client(api, cast, client_kasongan, accepted):
    assert accepted["status"] == "accepted"
    assert accepted["assigned_to_id"] == str(cast.counselor_near.id)
    assert accepted["facility_name"] == "Puskesmas Kasongan"
    assert accepted["accepted_at"]
    client_kasongan.refresh_from_db()
    assert client_kasongan.status == "escalated"
    assert Notification.objects.filter(recipient=cast.volunteer_katingan, kind="escalation_accepted").exists()


def test_accepting_twice_answers_409(api, cast, accepted):
    response = api.as_(cast.counselor_near).post(f"/escalations/{accepted['id']}/accept")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_not_open"


def test_only_the_offered_staff_member_may_accept(api, cast, offered):
    in_scope = api.as_(cast.coordinator_katingan).post(f"/escalations/{offered['id']}/accept")
    out_of_scope = api.as_(cast.counselor_far).post(f"/escalations/{offered['id']}/accept")

    assert in_scope.status_code == 403
    assert in_scope.json()["error"]["code"] == "not_offered_to_you"
    assert out_of_scope.status_code == 404


def test_an_expired_offer_cannot_be_accepted(api, cast, offered):
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = api.as_(cast.counselor_near).post(f"/escalations/{offered['id']}/accept")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_not_open"


def test_declining_offers_the_case_to_the_next_candidate(api, cast, offered):
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{offered['id']}/decline", {"reason": "Cuti besok"}
    )

    assert response.status_code == 200
    # The decline's own answer still shows the decliner their offer, now declined (the last they see of it).
    mine = response.json()["offer"]
    assert mine["status"] == "declined" and mine["decline_reason"] == "Cuti besok"
    assert response.json()["routing"] is None
    body = api.as_(cast.coordinator_katingan).get(f"/escalations/{offered['id']}").json()
    assert body["offer"]["staff_id"] == str(cast.counselor_far.id)
    assert body["attempts"] == 1
    reasons = {r["name"]: r["reason"] for r in body["routing"]["passed_over"]}
    assert reasons[cast.counselor_near.name] == "already_declined"


def test_a_decline_needs_a_reason(api, cast, offered):
    response = api.as_(cast.counselor_near).post(f"/escalations/{offered['id']}/decline", {"reason": ""})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "reason"


def test_after_the_maximum_declines_the_case_goes_to_the_coordinators(api, cast, settings, offered):
    settings.ROUTING_DEFAULT_MAX_ATTEMPTS = 2
    api.as_(cast.counselor_near).post(f"/escalations/{offered['id']}/decline", {"reason": "Penuh"})
    api.as_(cast.counselor_far).post(f"/escalations/{offered['id']}/decline", {"reason": "Jauh"})

    esc = Escalation.objects.get(id=offered["id"])
    assert esc.status == "with_coordinator"
    assert esc.routing["coordinator_reason"] == "max_attempts"
    assert not esc.offers.filter(status="pending").exists()
    assert Notification.objects.filter(
        recipient=cast.coordinator_katingan, kind="escalation_to_coordinator"
    ).exists()


def test_the_sweep_expires_an_unanswered_offer_and_re_offers(api, cast, client_kasongan):
    from backend.escalations.services import offers_expire

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        esc_id = create(api, cast, client_kasongan, urgency="urgent").json()["id"]
    with time_machine.travel(start + timedelta(hours=1, minutes=59), tick=False):
        assert offers_expire() == 0
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        assert offers_expire() == 1
        assert offers_expire() == 0  # a second sweep finds nothing

    offers = list(Offer.objects.filter(escalation_id=esc_id).order_by("offered_at"))
    assert [(o.staff, o.status) for o in offers] == [
        (cast.counselor_near, "expired"),
        (cast.counselor_far, "pending"),
    ]
    assert offers[1].expires_at == start + timedelta(hours=2, minutes=1) + timedelta(hours=2)
    assert Escalation.objects.get(id=esc_id).attempts == 1
    assert Notification.objects.filter(
        recipient=cast.counselor_near, kind="escalation_offer_expired"
    ).exists()


def test_the_beat_task_runs_the_sweep(api, cast, settings, offered):
    from backend.celery import app
    from backend.escalations.tasks import expire_offers

    schedule = settings.CELERY_BEAT_SCHEDULE["expire-escalation-offers"]
    assert app.tasks[schedule["task"]].name == expire_offers.name
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        result = expire_offers.apply().get()

    assert result == {"expired": 1, "missed_appointments": 0}
    assert Offer.objects.get(escalation_id=offered["id"], status="pending").staff == cast.counselor_far


# --- After accepting ---------------------------------------------------------------------------------------


def test_scheduling_gives_the_volunteer_an_accompany_task_due_that_day_in_the_areas_zone(api, cast, accepted):
    # 18:30 UTC is 01:30 the next day in Katingan (WIB): the task is due on the local date.
    day = (timezone.now() + timedelta(days=3)).date()
    at = datetime(day.year, day.month, day.day, 18, 30, tzinfo=UTC)

    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/schedule", {"appointment_at": at.isoformat()}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "scheduled"
    task = Task.objects.get(escalation_id=accepted["id"], kind="accompany")
    assert task.assignee == cast.volunteer_katingan
    assert task.due_on == day + timedelta(days=1)
    assert Notification.objects.filter(recipient=cast.volunteer_katingan, kind="task_assigned").exists()
    assert ChangeLog.objects.filter(
        entity="task", entity_id=task.id, user_id=cast.volunteer_katingan.id
    ).exists()


def test_rescheduling_moves_the_same_task(api, cast, accepted):
    url = f"/escalations/{accepted['id']}/schedule"
    api.as_(cast.counselor_near).post(url, {"appointment_at": future(48)})
    api.as_(cast.counselor_near).post(url, {"appointment_at": future(24 * 6)})

    tasks = Task.objects.filter(escalation_id=accepted["id"], kind="accompany")
    assert tasks.count() == 1
    assert tasks.get().due_on >= (timezone.now() + timedelta(days=5)).date()


def test_an_appointment_in_the_past_is_refused(api, cast, accepted):
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/schedule", {"appointment_at": future(-1)}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "field": "appointment_at",
        "code": "not_in_future",
        "message": response.json()["error"]["details"][0]["message"],
    }


def test_only_the_assigned_staff_or_their_facility_admin_may_schedule(api, cast, accepted):
    url = f"/escalations/{accepted['id']}/schedule"

    coordinator = api.as_(cast.coordinator_katingan).post(url, {"appointment_at": future()})
    stranger = api.as_(cast.counselor_mataram).post(url, {"appointment_at": future()})
    admin = api.as_(cast.facility_admin_kasongan).post(url, {"appointment_at": future()})

    assert coordinator.status_code == 403
    assert coordinator.json()["error"]["code"] == "not_assigned_to_you"
    assert stranger.status_code == 404
    assert admin.status_code == 200


def test_a_step_out_of_order_answers_409(api, cast, accepted):
    api.as_(cast.counselor_near).post(f"/escalations/{accepted['id']}/close")

    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/schedule", {"appointment_at": future()}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_escalation_status"


def test_an_outcome_moves_the_client_on_and_sets_a_follow_up_task(api, cast, client_kasongan, accepted):
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/outcome", {"outcome": "outpatient", "notes": "Rawat jalan mingguan"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "outcome_recorded"
    assert response.json()["outcome_at"]
    client_kasongan.refresh_from_db()
    assert client_kasongan.status == "outpatient"
    task = Task.objects.get(escalation_id=accepted["id"], kind="follow_up")
    assert task.assignee == cast.volunteer_katingan
    assert task.due_on == (timezone.localtime(timezone.now()) + timedelta(days=3)).date()
    assert Notification.objects.filter(recipient=cast.volunteer_katingan, kind="escalation_outcome").exists()


def test_no_treatment_needed_returns_the_client_to_community_recovery(api, cast, client_kasongan, accepted):
    api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/outcome", {"outcome": "no_treatment_needed"}
    )

    assert Client.objects.get(id=client_kasongan.id).status == "community_recovery"


def test_a_referral_to_a_named_facility_starts_a_new_escalation_offered_to_its_staff(api, cast, accepted):
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/outcome",
        {
            "outcome": "outpatient",
            "refer_need": "assessment",
            "refer_to_facility_id": str(cast.rsud_kasongan.id),
        },
    )

    assert response.json()["status"] == "referred"
    new = Escalation.objects.get(referred_from_id=accepted["id"])
    assert new.source == "referral" and new.need == "assessment"
    assert new.offers.get().staff == cast.assessor_near
    assert new.routing["origin"]["source"] == "facility"
    assert new.routing["chosen"]["distance_km"] == 0.0


def test_closing_cancels_the_open_accompany_task(api, cast, accepted):
    api.as_(cast.counselor_near).post(f"/escalations/{accepted['id']}/schedule", {"appointment_at": future()})

    response = api.as_(cast.counselor_near).post(f"/escalations/{accepted['id']}/close")

    assert response.json()["status"] == "closed"
    assert Task.objects.get(escalation_id=accepted["id"], kind="accompany").status == "cancelled"


def test_a_missed_appointment_gives_the_volunteer_a_task_once(api, cast, accepted):
    from backend.escalations.services import appointments_missed_sweep

    api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/schedule", {"appointment_at": future(2)}
    )

    with time_machine.travel(timezone.now() + timedelta(hours=20)):
        assert appointments_missed_sweep() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=27)):
        assert appointments_missed_sweep() == 1
        assert appointments_missed_sweep() == 0

    assert (
        Task.objects.get(escalation_id=accepted["id"], kind="missed_appointment").assignee
        == cast.volunteer_katingan
    )


# --- Coordinator -------------------------------------------------------------------------------------------


@pytest.fixture
def with_coordinator(api, cast, client_kasongan):
    from villages.models import Region

    Region.objects.filter(code="62.06").update(routing_max_radius_km=1)
    body = create(api, cast, client_kasongan).json()
    assert body["status"] == "with_coordinator"
    return body


def test_a_coordinator_assigns_by_hand_and_the_staff_member_is_offered_the_case(api, cast, with_coordinator):
    response = api.as_(cast.coordinator_katingan).post(
        f"/escalations/{with_coordinator['id']}/assign", {"staff_id": str(cast.counselor_far.id)}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "offered"
    assert response.json()["offer"]["staff_id"] == str(cast.counselor_far.id)
    assert response.json()["routing"]["result"] == "assigned_by_coordinator"
    accept = api.as_(cast.counselor_far).post(f"/escalations/{with_coordinator['id']}/accept")
    assert accept.status_code == 200


def test_only_a_coordinator_of_the_area_may_assign(api, cast, with_coordinator):
    url = f"/escalations/{with_coordinator['id']}/assign"
    body = {"staff_id": str(cast.counselor_far.id)}

    assert api.as_(cast.coordinator_mataram).post(url, body).status_code == 404
    volunteer = api.as_(cast.volunteer_katingan).post(url, body)
    assert volunteer.status_code == 403
    assert volunteer.json()["error"]["code"] == "not_coordinator"


def test_a_coordinator_cannot_assign_someone_without_a_valid_certificate(api, cast, with_coordinator):
    response = api.as_(cast.coordinator_katingan).post(
        f"/escalations/{with_coordinator['id']}/assign", {"staff_id": str(cast.assessor_near.id)}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "staff_not_eligible"


# --- Lists -------------------------------------------------------------------------------------------------


def test_lists_are_scoped_per_role(api, cast, offered):
    def ids(user, **params):
        return [e["id"] for e in api.as_(user).get("/escalations", **params).json()["items"]]

    assert ids(cast.volunteer_katingan) == [offered["id"]]
    assert ids(cast.official_katingan) == [offered["id"]]
    assert ids(cast.counselor_near) == [offered["id"]]
    assert ids(cast.coordinator_kalteng) == [offered["id"]]
    assert ids(cast.facility_admin_kasongan) == [offered["id"]]
    assert ids(cast.counselor_far) == []
    assert ids(cast.volunteer_mataram) == []
    assert ids(cast.coordinator_mataram) == []
    assert ids(cast.volunteer_katingan, status="accepted") == []


def test_the_list_costs_the_same_queries_for_one_or_many(api, cast, django_assert_max_num_queries):
    for _ in range(6):
        client = make_client(cast.kasongan_baru, cast.volunteer_katingan)
        create(api, cast, client)
    with django_assert_max_num_queries(12):
        body = api.as_(cast.coordinator_katingan).get("/escalations", limit=5).json()
    assert body["count"] == 6 and len(body["items"]) == 5 and body["has_more"]


def test_pages_walk_the_list_newest_first_and_count_it_whole(api, cast):
    """A page's ids and the list's count come from one statement (a window count), its rows from a second read
    by id (backend/reads/paging.py): the pages still tile the list, and a page past the end still counts it."""
    for _ in range(6):
        create(api, cast, make_client(cast.kasongan_baru, cast.volunteer_katingan))
    coordinator = api.as_(cast.coordinator_katingan)
    whole = coordinator.get("/escalations", limit=50).json()
    assert whole["count"] == 6 and not whole["has_more"]
    created = [item["created_at"] for item in whole["items"]]
    assert created == sorted(created, reverse=True)
    with CaptureQueriesContext(connection) as queries:
        first = coordinator.get("/escalations", limit=4).json()
    sqls = [q["sql"] for q in queries.captured_queries]  # (the next request empties the query log)
    second = coordinator.get("/escalations", limit=4, offset=4).json()
    past = coordinator.get("/escalations", limit=4, offset=8).json()
    assert (first["count"], second["count"], past["count"]) == (6, 6, 6)
    assert (first["has_more"], second["has_more"], past["has_more"]) == (True, False, False)
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in whole["items"]]
    assert past["items"] == []
    joined = [sql for sql in sqls if '"recovery_client"."name"' in sql]
    assert len(joined) == 1 and all(item["id"].replace("-", "") in joined[0] for item in first["items"])
    assert any("OVER ()" in sql for sql in sqls)


def test_a_coordinator_may_read_but_not_escalate_a_client(api, cast, client_kasongan):
    response = api.as_(cast.coordinator_katingan).post(
        "/escalations",
        {"client_id": str(client_kasongan.id), "need": "counseling", "urgency": "routine", "reason": "x"},
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "field_worker_required"


def test_the_openapi_document_describes_every_escalation_and_task_endpoint(api, cast):
    doc = api.as_(cast.volunteer_katingan).get("/openapi.json").json()

    paths = set(doc["paths"])
    for path in ("accept", "decline", "schedule", "outcome", "close", "assign", "cancel"):
        assert f"/api/v1/escalations/{{escalation_id}}/{path}" in paths
    assert {"/api/v1/escalations", "/api/v1/tasks", "/api/v1/tasks/{task_id}/complete"} <= paths
    reasons = doc["components"]["schemas"]["PassedOverOut"]["properties"]["reason"]
    assert "caseload_full" in str(reasons)
    assert "history" in doc["components"]["schemas"]["RoutingOut"]["properties"]
    assert "previous_appointments" in doc["components"]["schemas"]["EscalationOut"]["properties"]


def test_creating_an_escalation_takes_a_bounded_number_of_queries(
    api, cast, client_kasongan, django_assert_max_num_queries
):
    """30 today: auth, scope, consent, insert, area settings, two KNN/facts rounds, caseloads, the chosen person's
    caseload re-counted under a lock on their row (savepoint, lock, count, release), offer, inbox, log."""
    with django_assert_max_num_queries(30):
        assert create(api, cast, client_kasongan).status_code == 201


def test_a_stale_version_answers_409_with_the_current_record(api, cast, accepted):
    url = f"/escalations/{accepted['id']}/schedule"
    counselor = api.as_(cast.counselor_near)
    assert (
        counselor.post(url, {"appointment_at": future(), "version": accepted["version"]}).status_code == 200
    )

    stale = counselor.post(url, {"appointment_at": future(72), "version": accepted["version"]})

    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["current"]["version"] == accepted["version"] + 1
    assert stale.json()["current"]["status"] == "scheduled"


# --- The facility's diagnosis with the outcome; duration and route of use on the client (IPWL recap) -------


def test_the_diagnosis_is_recorded_with_the_outcome_as_an_icd10_code(api, cast, client_kasongan, accepted):
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/outcome", {"outcome": "outpatient", "diagnosis": " f15.2 "}
    )

    assert response.status_code == 200
    assert response.json()["diagnosis"] == "F15.2"


def test_a_diagnosis_that_is_not_an_icd10_code_is_refused(api, cast, client_kasongan, accepted):
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{accepted['id']}/outcome", {"outcome": "outpatient", "diagnosis": "sabu"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "invalid_icd10"


def test_the_client_record_carries_the_duration_and_route_of_use(api, cast):
    user = api.as_(cast.volunteer_katingan)
    created = user.post(
        "/clients",
        {
            "name": "Yoga",
            "sex": "male",
            "birth_year": 1994,
            "village_code": "62.06.02.1003",
            "use_duration_years": 7,
            "use_route": "injected",
        },
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["use_duration_years"], body["use_route"]) == (7, "injected")
    changed = user.patch(f"/clients/{body['id']}", {"version": body["version"], "use_route": "smoked"})
    assert changed.json()["use_route"] == "smoked"
    refused = user.post(
        "/clients",
        {
            "name": "Zaki",
            "sex": "male",
            "birth_year": 1994,
            "village_code": "62.06.02.1003",
            "use_duration_years": 99,
        },
    )
    assert refused.status_code == 422
