"""The whole of issue 10 in one scenario, with a frozen clock, through the API and the feed: two clients
registered with name, phone and NIK, visited, called, one escalated to a counselor who takes the case (offers,
tasks, notifications pushed through the fake FCM; an urgent case left unopened reaches the counselor through the
fake WhatsApp/SMS providers); then one withdraws data-collection consent and the other's data is erased. Then the
database dump, every log record, every push payload and every WhatsApp/SMS request are searched for their name,
phone and NIK digits.

- The erased client: nowhere.
- The withdrawn client: in no log and no push; in the database only where the law keeps them (UU 27/2022 art.
  40(2) and 43-44: withdrawal stops processing, it does not erase): the client row itself (coordinators still see
  it, marked "consent withdrawn", for the subject's rights and the legal holds), the correction history of that
  record, and the notes of what was done before the withdrawal (visits, the case). Never the NIK: only its keyed
  hash exists.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.escalations.models import Offer
from backend.recovery.models import Client
from notifications import tasks as push_tasks
from notifications.models import Notification
from notifications.services import channel_preference_set
from tests.escalations.helpers import escalate_via_api
from tests.fakes.sms import sms_fake  # noqa: F401 (the `sms` fixture)
from tests.fakes.whatsapp import whatsapp_fake  # noqa: F401 (the `whatsapp` fixture)
from tests.privacy.helpers import database_text
from tests.recovery.helpers import fast_password_hashing  # noqa: F401
from tests.sync.helpers import drain, ids_of, upload, visit_payload

pytestmark = pytest.mark.django_db
CONSENTS = [
    {"scope": "data_collection", "given": True, "given_by": "client"},
    {"scope": "referral", "given": True, "given_by": "client"},
]
ERASED = {"name": "Yohanes Baskoro", "phone": "081255501234", "nik": "6206021505900001"}
WITHDRAWN = {"name": "Wulan Sekarsari", "phone": "081277708765", "nik": "6206024708910002"}


def _secrets(person: dict[str, str]) -> list[str]:
    """What must not leak: the name and its parts, the phone's digits (national part), the NIK."""
    return [person["name"], *person["name"].split(), person["phone"][1:], person["nik"]]


def _register(api, cast, person, sex):  # type: ignore[no-untyped-def]
    body = {
        "name": person["name"],
        "sex": sex,
        "birth_year": 1990 if sex == "male" else 1991,
        "village_code": cast.kasongan_baru.code,
        "phone": person["phone"],
        "nik": person["nik"],
        "assigned_volunteer_ids": [str(cast.volunteer_katingan.id)],
        "consents": CONSENTS,
    }
    response = api.as_(cast.volunteer_katingan).post("/clients", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _work_on(api, cast, client_id, person):  # type: ignore[no-untyped-def]
    """A visit and a contact attempt whose notes name the client, as field workers write them."""
    client = type("C", (), {"id": uuid.UUID(client_id)})
    visit = visit_payload(client, notes=f"{person['name']} di rumah, HP {person['phone']}")
    assert upload(api, cast.volunteer_katingan, [visit]).status_code == 200
    attempt = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "occurred_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
        "channel": "phone_call",
        "result": "no_answer",
        "note": f"{person['name']} tidak mengangkat",
    }
    response = api.as_(cast.official_katingan).post("/sync/contact-attempts", {"attempts": [attempt]})
    assert response.status_code == 200, response.content


def test_an_erased_client_is_nowhere_and_a_withdrawn_one_only_where_the_law_keeps_them(
    api, cast, fcm, whatsapp, sms, phone_of, eager_celery, caplog, time_machine, settings
):
    time_machine.move_to(timezone.now(), tick=False)
    settings.PRIVACY_RETENTION_DAYS = 0  # the hold has its own tests (test_erasure.py); here: what is left
    caplog.set_level(logging.DEBUG)
    for user, token in (
        (cast.volunteer_katingan, "tok-vol"),
        (cast.official_katingan, "tok-off"),
        (cast.counselor_near, "tok-cou"),
        (cast.coordinator_katingan, "tok-coo"),
    ):
        phone_of(user, token)
    erased_id = _register(api, cast, ERASED, "male")
    withdrawn_id = _register(api, cast, WITHDRAWN, "female")
    for client_id, person in ((erased_id, ERASED), (withdrawn_id, WITHDRAWN)):
        _work_on(api, cast, client_id, person)
        client = type("C", (), {"id": uuid.UUID(client_id)})
        assert escalate_via_api(api, cast.volunteer_katingan, client).status_code == 201
    # an urgent case of the client to be erased, left unopened: it reaches the counselor by WhatsApp or SMS
    urgent = {"client_id": erased_id, "need": "assessment", "urgency": "urgent", "reason": "kambuh"}
    assert api.as_(cast.volunteer_katingan).post("/escalations", urgent).status_code == 201
    for staff in {o.staff for o in Offer.objects.filter(escalation__urgency="urgent")}:
        channel_preference_set(user=staff, whatsapp=True, sms=True)
    time_machine.shift(timedelta(minutes=16))
    assert push_tasks.sweep_second_channel() >= 1
    as_coord = api.as_(cast.coordinator_katingan)
    edit = {"version": 1, "address": f"Rumah {ERASED['name']}", "reason": "alamat baru"}
    assert as_coord.patch(f"/clients/{erased_id}", edit).status_code == 200
    # the counselor takes the withdrawn client's case (offer, acceptance, task for the volunteer)
    esc = api.as_(cast.counselor_near).get("/escalations").json()["items"]
    taken = next(e for e in esc if e["client_id"] == withdrawn_id)
    assert api.as_(cast.counselor_near).post(f"/escalations/{taken['id']}/accept").status_code == 200
    assert api.as_(cast.volunteer_katingan).get("/tasks").status_code == 200
    drain(api, cast.volunteer_katingan)

    withdraw = {"scope": "data_collection", "given": False, "given_by": "client"}
    assert (
        api.as_(cast.official_katingan).post(f"/clients/{withdrawn_id}/consents", withdraw).status_code == 201
    )
    erased_code = Client.objects.get(id=erased_id).code  # named in the counselor's offer (inbox text)
    assert Notification.objects.filter(body__contains=erased_code).exists()
    request = {"basis": "subject_request", "request_reference": "BNNK-KTG/2026/041"}
    erasure = as_coord.post(f"/clients/{erased_id}/erasure", request)
    assert erasure.status_code == 200, erasure.content
    push_tasks.sweep_outbox()
    items, _c, _p = drain(api, cast.volunteer_katingan)
    assert erased_id not in ids_of(items, "client") and withdrawn_id not in ids_of(items, "client")

    pushes = json.dumps(fcm.messages, ensure_ascii=False)
    assert fcm.messages, "the scenario pushed nothing: the search below would prove nothing"
    pushes += whatsapp.everything_received() + sms.everything_received()
    assert whatsapp.received or sms.received, "no WhatsApp or SMS went out: nothing of them to search"
    logs = "\n".join(r.getMessage() + " " + json.dumps(r.__dict__, default=str) for r in caplog.records)
    # Celery logs each task run with its arguments and result: the search below has something to search
    assert any(r.name == "celery.app.trace" for r in caplog.records), (
        "no task log captured: nothing to search"
    )
    dump = database_text()
    for secret in _secrets(ERASED):
        assert secret not in dump, f"erased client's {secret!r} in the database"
        assert secret not in logs, f"erased client's {secret!r} in a log record"
        assert secret not in pushes, f"erased client's {secret!r} in a push"
    for secret in _secrets(WITHDRAWN):
        assert secret not in logs, f"withdrawn client's {secret!r} in a log record"
        assert secret not in pushes, f"withdrawn client's {secret!r} in a push"
    assert erased_code not in dump, "the erased client's code (on paper at facilities) is left"
    assert WITHDRAWN["nik"] not in dump
    holding = {line.split(":", 1)[0] for line in dump.splitlines() if WITHDRAWN["name"] in line}
    assert holding == {"recovery_client", "recovery_visit", "recovery_contactattempt"}, holding
