"""GET /regions/{code}, /villages, /facilities: public reference data behind sign-in, typed and bounded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.accounts.models import Role, RoleAssignment, User
from tests.cast import build_geography
from tests.conftest import Api


@pytest.fixture
def geo(db: None) -> SimpleNamespace:
    return SimpleNamespace(**build_geography())


@pytest.fixture
def kader(geo: SimpleNamespace, api: Api) -> Api:
    """A volunteer of Kasongan Baru, signed in (no password: hashing would only slow the test down)."""
    user = User.objects.create_user("081299990001", None, name="Kader Uji")
    RoleAssignment.objects.create(user=user, role=Role.VOLUNTEER, region_id="62.06.02.1003")
    return api.as_(user)


def error_fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {d["field"] for d in response.json()["error"]["details"]}


def test_every_geography_endpoint_needs_sign_in(geo: SimpleNamespace, api: Api) -> None:
    for path in ("/regions/62", "/villages", "/facilities"):
        response = api.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_region_comes_with_its_ancestors_and_a_page_of_children(kader: Api) -> None:
    response = kader.get("/regions/62.06.02", limit=1)

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name"], body["level"], body["parent_code"]) == (
        "62.06.02",
        "Katingan Hilir",
        "district",
        "62.06",
    )
    assert body["level_label"] == "Kecamatan"
    assert [a["code"] for a in body["ancestors"]] == ["62", "62.06"]
    assert body["children"]["count"] == 2 and body["children"]["has_more"] is True
    child = body["children"]["items"][0]
    assert (child["code"], child["is_kelurahan"], child["timezone"]) == (
        "62.06.02.1003",
        True,
        "Asia/Jakarta",
    )
    assert (child["lat"], child["lon"]) == (-1.92137, 113.44706)
    second = kader.get("/regions/62.06.02", limit=1, offset=1).json()["children"]
    assert [c["code"] for c in second["items"]] == ["62.06.02.2005"] and second["has_more"] is False


def test_a_village_region_has_no_children_and_a_province_no_parent(kader: Api) -> None:
    village = kader.get("/regions/52.71.01.1004").json()
    assert village["children"]["items"] == [] and village["timezone"] == "Asia/Makassar"
    assert kader.get("/regions/62").json()["parent_code"] is None


def test_an_unknown_region_is_not_found(kader: Api) -> None:
    for code in ("62.99", "nonsense", "62.06.02.1003.1"):
        response = kader.get(f"/regions/{code}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_region_children_are_capped(kader: Api) -> None:
    response = kader.get("/regions/62", limit=201)
    assert response.status_code == 422 and error_fields(response) == {"limit"}


def test_villages_are_searched_by_name_case_insensitively_within_an_area(kader: Api) -> None:
    body = kader.get("/villages", q="kaSONgan").json()
    assert [v["code"] for v in body["items"]] == ["62.06.02.1003"]
    village = body["items"][0]
    assert village["district"] == {"code": "62.06.02", "name": "Katingan Hilir", "level": "district"}
    assert village["regency"]["name"] == "Kabupaten Katingan" and village["distance_km"] is None

    assert [v["name"] for v in kader.get("/villages", region="62.06").json()["items"]] == [
        "Kasongan Baru",
        "Talian Kereng",
    ]
    assert kader.get("/villages", q="kasongan", region="52.71").json()["items"] == []


def test_villages_near_a_point_come_nearest_first_with_distance(kader: Api) -> None:
    body = kader.get("/villages", near="-1.84,113.40", limit=2).json()

    assert [v["name"] for v in body["items"]] == ["Talian Kereng", "Kasongan Baru"]
    assert body["items"][0]["distance_km"] < 1 < body["items"][1]["distance_km"]
    assert body["has_more"] is True and body["limit"] == 2


@pytest.mark.parametrize("near", ["abc", "-1.9", "-1.9,113.4,5", "91,113", "-1.9,181", "lat,lon", ""])
def test_a_bad_near_is_a_validation_error_on_near(kader: Api, near: str) -> None:
    for path in ("/villages", "/facilities"):
        response = kader.get(path, near=near)
        assert response.status_code == 422, (path, near)
        assert response.json()["error"]["code"] == "validation_error"
        assert error_fields(response) == {"near"}


def test_limits_are_hard_capped_and_filters_validated(kader: Api) -> None:
    for path, params, field in (
        ("/villages", {"limit": 101}, "limit"),
        ("/facilities", {"limit": 0}, "limit"),
        ("/villages", {"region": "62.6"}, "region"),
        ("/villages", {"q": "k"}, "q"),
        ("/facilities", {"type": "apotek"}, "type"),
    ):
        response = kader.get(path, **params)
        assert response.status_code == 422, (path, params)
        assert error_fields(response) == {field}


def test_an_unknown_area_filter_is_not_found(kader: Api) -> None:
    for path in ("/villages", "/facilities"):
        response = kader.get(path, region="94.01")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_facilities_near_a_village_come_nearest_first_with_distance_in_km(
    kader: Api, geo: SimpleNamespace
) -> None:
    body = kader.get("/facilities", near="-1.92137,113.44706", limit=3).json()

    assert [f["code"] for f in body["items"]] == ["T-PKM-KSG", "T-RSUD-KSG", "T-PKM-TML"]
    first = body["items"][0]
    assert first["distance_km"] == pytest.approx(2.59, abs=0.05)
    assert (first["type"], first["type_label"], first["is_ipwl"]) == ("puskesmas", "Puskesmas", True)
    assert first["village"] == {"code": "62.06.02.1003", "name": "Kasongan Baru", "level": "village"}
    assert (first["lat"], first["lon"]) == (-1.907156, 113.428589)


def test_facilities_filter_by_type_and_without_near_are_alphabetical_in_an_area(kader: Api) -> None:
    hospitals = kader.get("/facilities", near="-1.92,113.44", type="rsud").json()["items"]
    assert [f["code"] for f in hospitals] == ["T-RSUD-KSG"]

    body = kader.get("/facilities", region="62").json()
    assert [f["name"] for f in body["items"]] == [
        "Puskesmas Kasongan",
        "Puskesmas Tamiang Layang",
        "RSUD Mas Amsyar Kasongan",
    ]
    assert all(f["distance_km"] is None for f in body["items"])


def test_facility_list_costs_a_fixed_number_of_queries(
    kader: Api, django_assert_max_num_queries, geo: SimpleNamespace
) -> None:
    with django_assert_max_num_queries(4):  # the token's user, the area check, the page (villages joined)
        response = kader.get("/facilities", near="-1.92,113.44", region="62", limit=100)
    assert response.status_code == 200 and len(response.json()["items"]) == 3


def test_the_openapi_document_describes_the_geography_endpoints(kader: Api) -> None:
    doc = kader.get("/openapi.json").json()
    for path in ("/api/v1/regions/{code}", "/api/v1/villages", "/api/v1/facilities"):
        operation = doc["paths"][path]["get"]
        assert {"200", "401", "404", "422"} <= set(operation["responses"]), path
    params = {p["name"]: p for p in doc["paths"]["/api/v1/facilities"]["get"]["parameters"]}
    assert {"near", "type", "region", "limit", "offset", "q"} <= set(params)
    assert params["near"]["description"]
    facility = doc["components"]["schemas"]["FacilityOut"]["properties"]
    assert facility["distance_km"]["description"]
