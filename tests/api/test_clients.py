"""POST /clients, GET /clients, GET /clients/{id}, PATCH /clients/{id}."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest

from backend.recovery.models import Client
from backend.recovery.nik import nik_hash
from backend.sync.models import ChangeLog
from tests.recovery.helpers import fast_password_hashing, register  # noqa: F401

pytestmark = pytest.mark.django_db

NIK = "6206020501900001"  # Katingan, district 02, born 05-01-1990, male, serial 0001
NIK_WOMAN = "6206024501900002"  # born 05-01-1990, female (+40)


def new(**fields):
    body = {"name": "Andi Pratama", "sex": "male", "birth_year": 1990, "village_code": "62.06.02.1003"}
    body.update(fields)
    return body


def error(response):
    body = response.json()["error"]
    return body["code"], {d["field"]: d["code"] for d in body["details"]}


# --- registering ----------------------------------------------------------------------------------------------


def test_a_volunteer_registers_a_client_of_their_village_with_a_readable_code(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients", new(phone="0812-3456-7890", substances=["alcohol"])
    )
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"KTG-\d{4}-\d{5}", body["code"])
    assert body["phone"] == "+6281234567890"
    assert body["status"] == "identified"
    assert body["substances"] == ["alcohol"]
    assert body["version"] == 1
    client = Client.objects.get(id=body["id"])
    assert client.registered_by == cast.volunteer_katingan
    assert ChangeLog.objects.filter(
        entity="client", entity_id=client.id, village_code="62.06.02.1003"
    ).exists()


def test_codes_count_up_per_regency_and_year(api, cast):
    codes = [register(cast, name=f"Klien {i}").code for i in range(3)]
    numbers = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    mataram = register(cast, actor=cast.volunteer_mataram, village="52.71.01.1004", name="Klien Mataram")
    assert mataram.code.startswith("MTR-")
    assert mataram.code.endswith("-00001")


@pytest.mark.parametrize(
    "role", ["official_katingan", "coordinator_kalteng", "coordinator_katingan", "system_admin"]
)
def test_officials_coordinators_and_admins_may_register_in_their_area(api, cast, role):
    response = api.as_(getattr(cast, role)).post("/clients", new())
    assert response.status_code == 201


@pytest.mark.parametrize("role", ["counselor_near", "assessor_near", "facility_admin_kasongan", "nobody"])
def test_staff_and_people_without_a_field_role_may_not_register(api, cast, role):
    response = api.as_(getattr(cast, role)).post("/clients", new())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "registration_not_allowed"


@pytest.mark.parametrize(
    "role,village",
    [
        ("volunteer_katingan", "62.06.02.2005"),  # the next village of the same district
        ("volunteer_talian", "62.06.02.1003"),
        ("coordinator_mataram", "62.06.02.1003"),
        ("coordinator_katingan", "62.13.01.1012"),  # Barito Timur is in Kalteng but not in Katingan
    ],
)
def test_nobody_registers_a_client_outside_their_villages_or_area(api, cast, role, village):
    response = api.as_(getattr(cast, role)).post("/clients", new(village_code=village))
    assert response.status_code == 422
    assert error(response) == ("validation_error", {"village_code": "village_not_allowed"})


def test_a_district_code_is_not_a_village(api, cast):
    response = api.as_(cast.coordinator_kalteng).post("/clients", new(village_code="62.06.02"))
    assert error(response)[1] == {"village_code": "village_not_found"}


def test_every_invalid_field_is_named_at_once(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients", new(birth_year=None, phone="12", substances=["alcohol", "kratom"])
    )
    assert response.status_code == 422
    assert error(response)[1] == {
        "birth_year": "required",
        "phone": "invalid_phone",
        "substances.1": "unknown_substance",
    }


def test_a_birth_date_in_the_future_or_not_matching_the_year_is_refused(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients", new(birth_date="2999-01-01", birth_year=None)
    )
    assert error(response)[1] == {"birth_date": "invalid_birth_date"}
    response = api.as_(cast.volunteer_katingan).post(
        "/clients", new(birth_date="1990-03-01", birth_year=1991)
    )
    assert error(response)[1] == {"birth_year": "birth_year_mismatch"}


def test_the_birth_year_follows_the_birth_date(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients", new(birth_date="1990-03-01", birth_year=None)
    )
    assert response.json()["birth_year"] == 1990


def test_an_unknown_sex_is_refused_with_the_field(api, cast):
    response = api.as_(cast.volunteer_katingan).post("/clients", new(sex="x"))
    assert response.status_code == 422
    assert "sex" in error(response)[1]


# --- NIK ------------------------------------------------------------------------------------------------------


def test_the_nik_is_kept_only_as_a_keyed_hash(api, cast, caplog):
    caplog.set_level(logging.DEBUG)
    response = api.as_(cast.volunteer_katingan).post("/clients", new(nik=NIK))
    assert response.status_code == 201
    assert NIK not in response.content.decode()
    assert response.json()["nik_on_file"] is True
    assert "nik_last4" not in response.json()
    client = Client.objects.get(id=response.json()["id"])
    assert client.nik_hash == nik_hash(NIK) != NIK
    assert len(client.nik_hash) == 64
    assert NIK not in caplog.text
    detail = api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}")
    assert NIK not in detail.content.decode()


def test_a_womans_nik_has_40_added_to_the_day(api, cast):
    assert (
        api.as_(cast.volunteer_katingan).post("/clients", new(sex="female", nik=NIK_WOMAN)).status_code == 201
    )


@pytest.mark.parametrize(
    "nik,sex,code",
    [
        ("620602050190001", "male", "invalid_nik"),  # 15 digits
        ("62060205019000011", "male", "invalid_nik"),
        ("62060205019a0001", "male", "invalid_nik"),
        ("9906020501900001", "male", "nik_unknown_region"),
        ("6299020501900001", "male", "nik_unknown_region"),
        ("6206000501900001", "male", "nik_invalid_district"),
        ("6206023202900001", "male", "nik_invalid_birth_date"),  # 32 February
        ("6206020513900001", "male", "nik_invalid_birth_date"),  # month 13
        ("6206027201900001", "female", "nik_invalid_birth_date"),  # day 72-40 = 32
        ("6206024501900001", "male", "nik_sex_mismatch"),
        ("6206020501900001", "female", "nik_sex_mismatch"),
        ("6206020501900000", "male", "invalid_nik"),  # serial 0000
    ],
)
def test_an_implausible_nik_is_refused_and_never_echoed(api, cast, nik, sex, code):
    response = api.as_(cast.volunteer_katingan).post("/clients", new(nik=nik, sex=sex))
    assert response.status_code == 422
    assert error(response)[1]["nik"] == code
    assert nik not in response.content.decode()


# --- duplicates -----------------------------------------------------------------------------------------------


def test_the_same_nik_twice_answers_409_with_the_existing_client(api, cast):
    first = register(cast, nik=NIK)
    response = api.as_(cast.official_katingan).post("/clients", new(name="Nama Lain", nik=NIK))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_client"
    assert response.json()["existing"] == {"id": str(first.id), "code": first.code}
    assert Client.objects.count() == 1


def test_the_same_name_birth_year_and_village_is_a_duplicate_whatever_the_spelling(api, cast):
    first = register(cast, name="Muh. Rizky  Ananda")
    response = api.as_(cast.volunteer_katingan).post(
        "/clients", new(name="muh rizky ananda", birth_year=1995)
    )
    assert response.status_code == 409
    assert response.json()["existing"]["code"] == first.code


def test_the_same_name_in_another_village_is_another_person(api, cast):
    register(cast)
    response = api.as_(cast.coordinator_katingan).post(
        "/clients", new(name="Budi Santoso", birth_year=1995, village_code="62.06.02.2005")
    )
    assert response.status_code == 201


def test_a_duplicate_out_of_the_callers_scope_names_nothing_not_even_the_code(api, cast):
    """A person registered in Katingan who moved to Mataram: the NIK is unique, so the refusal itself cannot
    be hidden; but no id, code, name or status leaves Katingan (the code used to: it told anyone who could
    register that this NIK is a client, and where). The caller is sent to their coordinator."""
    first = register(cast, nik=NIK)
    response = api.as_(cast.volunteer_mataram).post("/clients", new(village_code="52.71.01.1004", nik=NIK))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_client"
    assert response.json()["existing"] is None
    assert first.code not in response.content.decode()
    assert "Budi" not in response.content.decode()
    assert Client.objects.count() == 1


# --- list -----------------------------------------------------------------------------------------------------


def test_the_list_filters_by_name_code_village_and_status(api, cast):
    siti = register(cast, name="Siti Aminah", sex="female")
    budi = register(cast, name="Budi Santoso")
    talian = register(cast, actor=cast.coordinator_katingan, village="62.06.02.2005", name="Joko")
    as_coord = api.as_(cast.coordinator_katingan)

    def ids(**params):
        return {i["id"] for i in as_coord.get("/clients", **params).json()["items"]}

    assert ids(q="aminah") == {str(siti.id)}
    assert ids(q=budi.code) == {str(budi.id)}
    assert ids(village="62.06.02.2005") == {str(talian.id)}
    assert ids(village="62.06.02") == {str(siti.id), str(budi.id), str(talian.id)}
    Client.objects.filter(id=budi.id).update(status="screened")
    assert ids(status="screened") == {str(budi.id)}


def test_the_list_is_paginated_with_a_hard_limit(api, cast):
    for i in range(5):
        register(cast, name=f"Klien {i}")
    page = api.as_(cast.volunteer_katingan).get("/clients", limit=2, offset=2).json()
    assert (len(page["items"]), page["count"], page["has_more"]) == (2, 5, True)
    assert api.as_(cast.volunteer_katingan).get("/clients", limit=10_000).status_code == 422


def test_a_name_search_never_matches_a_client_seen_only_minimally(api, cast):
    from tests.recovery.helpers import offer

    client = register(cast, name="Rahasia Sekali")
    offer(cast, client)
    assert api.as_(cast.counselor_near).get("/clients", q="Rahasia").json()["items"] == []
    assert api.as_(cast.counselor_near).get("/clients", q=client.code).json()["count"] == 1


def test_listing_clients_costs_the_same_queries_for_3_or_30_clients(api, cast, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.as_(cast.coordinator_kalteng).get("/clients", limit=50).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        register(cast, name=f"Klien {i}", assigned_volunteer_ids=[cast.volunteer_katingan.id])
    few = count()
    for i in range(3, 30):
        register(cast, name=f"Klien {i}", assigned_volunteer_ids=[cast.volunteer_katingan.id])
    assert count() == few
    # user, roles, the page's ids, its rows, the count, the access log (reads/paging.narrow_page)
    with django_assert_max_num_queries(6):
        api.as_(cast.coordinator_kalteng).get("/clients", limit=50)


# --- detail and edit ------------------------------------------------------------------------------------------


def test_an_edit_with_the_current_version_applies_and_bumps_it(api, cast):
    client = register(cast)
    response = api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "address": "Jl. Tjilik Riwut 5", "phone": "6281211112222"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["address"], body["phone"], body["version"]) == ("Jl. Tjilik Riwut 5", "+6281211112222", 2)
    assert body["name"] == "Budi Santoso"  # fields not sent are kept
    assert ChangeLog.objects.filter(entity="client", entity_id=client.id).count() == 2


def test_a_stale_edit_answers_409_with_the_current_record(api, cast):
    client = register(cast)
    api.as_(cast.official_katingan).patch(f"/clients/{client.id}", {"version": 1, "address": "A"})
    response = api.as_(cast.volunteer_katingan).patch(f"/clients/{client.id}", {"version": 1, "address": "B"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    assert response.json()["current"]["address"] == "A"
    assert response.json()["current"]["version"] == 2
    client.refresh_from_db()
    assert client.address == "A"


def test_an_edit_is_validated_like_a_registration(api, cast):
    client = register(cast)
    response = api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "nik": "123", "village_code": "52.71.01.1004"}
    )
    assert response.status_code == 422
    assert error(response)[1] == {"nik": "invalid_nik", "village_code": "village_not_allowed"}
    client.refresh_from_db()
    assert client.version == 1


def test_an_edit_cannot_make_a_duplicate(api, cast):
    register(cast, name="Siti Aminah", sex="female")
    other = register(cast, name="Siti Amina", sex="female")
    response = api.as_(cast.official_katingan).patch(
        f"/clients/{other.id}", {"version": 1, "name": "Siti Aminah"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_client"


def test_assigned_volunteers_must_be_volunteers_of_the_village_or_the_coordinators_area(api, cast):
    client = register(cast)
    as_vol = api.as_(cast.volunteer_katingan)
    bad = as_vol.patch(
        f"/clients/{client.id}",
        {
            "version": 1,
            "assigned_volunteer_ids": [str(cast.volunteer_talian.id), str(cast.official_katingan.id)],
        },
    )
    assert error(bad)[1] == {
        "assigned_volunteer_ids.0": "invalid_volunteer",
        "assigned_volunteer_ids.1": "invalid_volunteer",
    }
    ok = as_vol.patch(
        f"/clients/{client.id}", {"version": 1, "assigned_volunteer_ids": [str(cast.volunteer_katingan.id)]}
    )
    assert [v["name"] for v in ok.json()["assigned_volunteers"]] == [cast.volunteer_katingan.name]
    by_coord = api.as_(cast.coordinator_katingan).patch(
        f"/clients/{client.id}", {"version": 2, "assigned_volunteer_ids": [str(cast.volunteer_talian.id)]}
    )
    assert by_coord.status_code == 200
    mataram = api.as_(cast.coordinator_katingan).patch(
        f"/clients/{client.id}", {"version": 3, "assigned_volunteer_ids": [str(cast.volunteer_mataram.id)]}
    )
    assert error(mataram)[1] == {"assigned_volunteer_ids.0": "invalid_volunteer"}


def test_a_birth_year_sent_alone_replaces_a_known_date_and_a_date_sets_the_year(api, cast):
    client = register(cast, birth_date=date(1990, 3, 1), birth_year=None)
    as_off = api.as_(cast.official_katingan)
    body = as_off.patch(f"/clients/{client.id}", {"version": 1, "birth_year": 1991, "reason": "KTP"}).json()
    assert (body["birth_date"], body["birth_year"]) == (None, 1991)
    body = as_off.patch(
        f"/clients/{client.id}", {"version": 2, "birth_date": "1992-07-08", "reason": "KTP"}
    ).json()
    assert (body["birth_date"], body["birth_year"]) == ("1992-07-08", 1992)
    response = as_off.patch(f"/clients/{client.id}", {"version": 3, "birth_date": None, "reason": "KTP"})
    assert error(response)[1] == {"birth_year": "required"}


def test_a_volunteer_who_loses_sight_of_a_client_is_told_through_the_change_log(api, cast):
    """Regression: the change feed filters rows by the reader's current scope, so an unassigned volunteer
    (or the old village's field workers after a move) never saw the row that should make their phone drop
    the client. Rows addressed to them (user_id) carry it."""
    client = register(
        cast, actor=cast.coordinator_katingan, assigned_volunteer_ids=[cast.volunteer_talian.id]
    )
    as_coord = api.as_(cast.coordinator_katingan)
    as_coord.patch(f"/clients/{client.id}", {"version": 1, "assigned_volunteer_ids": []})
    assert ChangeLog.objects.filter(entity_id=client.id, user_id=cast.volunteer_talian.id).count() == 1
    as_coord.patch(f"/clients/{client.id}", {"version": 2, "village_code": "62.06.02.2005"})
    told = set(
        ChangeLog.objects.filter(entity_id=client.id, user_id__isnull=False).values_list("user_id", flat=True)
    )
    assert told == {cast.volunteer_talian.id, cast.volunteer_katingan.id, cast.official_katingan.id}
    assert api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}").status_code == 404
    assert api.as_(cast.volunteer_talian).get(f"/clients/{client.id}").status_code == 200
