"""POST /clients/{id}/screenings: WHO ASSIST v3.0 answers in; scores, risk, action and any escalation out."""

from __future__ import annotations

import uuid

import pytest

from backend.escalations.models import Escalation
from backend.recovery.assist import SUBSTANCES
from backend.recovery.models import Screening
from tests.recovery.helpers import ALL_CONSENTS, fast_password_hashing, register  # noqa: F401

pytestmark = pytest.mark.django_db

DATA_ONLY = [{"scope": "data_collection", "given": True}]


def answers(**used):
    out = {s: {"q1": False} for s in SUBSTANCES}
    for substance, values in used.items():
        out[substance] = {"q1": True, **values}
    return out


LOW_ALCOHOL = {"alcohol": {"q2": 3, "q3": 0, "q4": 0, "q5": 0, "q6": 0, "q7": 0}}  # 3: low
HIGH_OPIOIDS = {"opioids": {"q2": 6, "q3": 6, "q4": 7, "q5": 8, "q6": 0, "q7": 0}}  # 27: high


def screen(api, user, client, used, q8=0, screening_id=None):
    body = {"id": str(screening_id or uuid.uuid4()), "answers": answers(**used), "q8": q8}
    return api.as_(user).post(f"/clients/{client.id}/screenings", body)


def test_a_low_risk_screening_is_scored_and_moves_the_client_to_screened(api, cast):
    client = register(cast, consents=DATA_ONLY)
    response = screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL)
    assert response.status_code == 201
    body = response.json()
    assert body["substances"] == {"alcohol": {"score": 3, "risk": "low", "action": "brief_advice"}}
    assert (body["highest_risk"], body["action"], body["needs_escalation"]) == ("low", "brief_advice", False)
    assert body["escalation"] is None and body["escalation_blocked_reason"] is None
    assert body["client_status"] == "screened"
    assert client.status_changes.get().to_status == "screened"


def test_no_screening_without_data_collection_consent(api, cast):
    client = register(cast)
    response = screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "consent_required"
    assert error["details"][0]["field"] == "consent.data_collection"
    assert not Screening.objects.exists()


def test_a_resent_screening_returns_the_stored_result_and_changes_nothing(api, cast):
    client = register(cast, consents=DATA_ONLY)
    sid = uuid.uuid4()
    first = screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, screening_id=sid)
    again = screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, screening_id=sid)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Screening.objects.count() == 1
    assert client.status_changes.count() == 1


def test_a_screening_id_used_for_another_client_is_a_conflict(api, cast):
    one, two = register(cast, name="Satu", consents=DATA_ONLY), register(cast, name="Dua", consents=DATA_ONLY)
    sid = uuid.uuid4()
    screen(api, cast.volunteer_katingan, one, LOW_ALCOHOL, screening_id=sid)
    response = screen(api, cast.volunteer_katingan, two, LOW_ALCOHOL, screening_id=sid)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "id_conflict"


def test_answers_breaking_the_rules_are_refused_with_the_field_at_fault(api, cast):
    client = register(cast, consents=DATA_ONLY)
    used = {"cannabis": {"q2": 0, "q3": 3, "q6": 0, "q7": 0}}
    response = screen(api, cast.volunteer_katingan, client, used, q8=None)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_assist_answers"
    assert {d["field"]: d["code"] for d in error["details"]} == {
        "answers.cannabis.q3": "skipped_question",
        "q8": "required",
    }
    assert not Screening.objects.exists()
    client.refresh_from_db()
    assert client.status == "identified"


def test_a_high_risk_without_referral_consent_records_the_need_but_no_escalation(api, cast):
    client = register(cast, consents=DATA_ONLY)
    response = screen(api, cast.volunteer_katingan, client, HIGH_OPIOIDS)
    body = response.json()
    assert body["substances"]["opioids"] == {"score": 27, "risk": "high", "action": "referral"}
    assert body["needs_escalation"] is True
    assert body["escalation"] is None
    assert body["escalation_blocked_reason"] == "consent_required"
    assert Screening.objects.get().needs_escalation is True
    assert not Escalation.objects.exists()


def test_a_high_risk_with_referral_consent_escalates_to_an_assessment(api, cast):
    client = register(cast, consents=ALL_CONSENTS)
    response = screen(api, cast.volunteer_katingan, client, HIGH_OPIOIDS)
    body = response.json()
    escalation = Escalation.objects.get(client=client)
    assert body["escalation"] == {"id": str(escalation.id)}
    assert (escalation.need, escalation.urgency, escalation.source) == ("assessment", "routine", "screening")
    assert Screening.objects.get().escalation_id == escalation.id


def test_recent_injecting_escalates_urgently_whatever_the_scores(api, cast):
    client = register(cast, consents=ALL_CONSENTS)
    response = screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, q8=2)
    body = response.json()
    assert (body["injected_recently"], body["action"], body["needs_escalation"]) == (True, "referral", True)
    assert Escalation.objects.get(client=client).urgency == "urgent"


def test_a_second_high_risk_screening_with_an_escalation_open_says_why_none_was_made(api, cast):
    client = register(cast, consents=ALL_CONSENTS)
    screen(api, cast.volunteer_katingan, client, HIGH_OPIOIDS)
    response = screen(api, cast.volunteer_katingan, client, HIGH_OPIOIDS)
    assert response.status_code == 201
    assert response.json()["escalation"] is None
    assert response.json()["escalation_blocked_reason"] == "escalation_open"
    assert Escalation.objects.filter(client=client).count() == 1


def test_texts_stored_by_a_screening_are_in_bahasa_indonesia_whatever_the_request_language(api, cast):
    client = register(cast, consents=ALL_CONSENTS)
    body = {"id": str(uuid.uuid4()), "answers": answers(**HIGH_OPIOIDS), "q8": 2}
    response = api.as_(cast.volunteer_katingan, lang="en").post(f"/clients/{client.id}/screenings", body)
    assert response.status_code == 201
    assert client.status_changes.get().reason == "Skrining ASSIST"
    assert Escalation.objects.get(client=client).reason == (
        "Hasil ASSIST: menyuntik dalam 3 bulan terakhir. Hasil ASSIST: risiko tinggi (opioids)."
    )
