"""The web view's pages: sign-in, scope from backend.access, the figures, waiting cases and the assignment, the
follow-up list, the map's data (counts only) and the downloads."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from backend.escalations.models import Offer
from backend.reports.overview import waiting_cases
from tests.factories import ClientFactory, EscalationFactory

pytestmark = pytest.mark.django_db


def test_pages_need_a_signed_in_reader(world):
    assert Client().get("/web/laporan/").status_code == 302
    res = Client().get("/web/laporan/", follow=True)
    assert "Masuk ke Pulih" in res.content.decode()


def test_a_wrong_password_is_refused_with_the_apis_message(world):
    res = Client().post("/web/masuk/", {"phone": world.cast.coordinator_katingan.phone, "password": "salah"})

    assert res.status_code == 200
    assert "Masuk ke Pulih" in res.content.decode()
    assert "_auth_user_id" not in res.client.session


@pytest.mark.parametrize("who", ["volunteer_katingan", "counselor_near"])
def test_roles_without_reports_get_403(world, signed_in, who):
    assert signed_in(getattr(world.cast, who)).get("/web/laporan/").status_code == 403


def test_the_coordinator_sees_their_regencys_report_with_charts_and_downloads(world, signed_in):
    page = signed_in(world.cast.coordinator_katingan).get("/web/laporan/", {"month": "2026-10"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Kabupaten Katingan" in html and "Katingan Hilir" in html
    assert 'id="series-data"' in html and "chart.umd.js" in html
    assert "/web/laporan/unduh/xlsx/?month=2026-10&amp;area=62.06" in html
    for client in (world.ani, world.budi, world.citra, world.dedi, world.eka):
        assert client.name not in html


def test_an_area_outside_the_coordinators_is_404_on_every_page(world, signed_in):
    client = signed_in(world.cast.coordinator_katingan)
    for path in ("/web/laporan/", "/web/eskalasi/", "/web/tindak-lanjut/", "/web/peta/", "/web/peta/data/"):
        assert client.get(path, {"area": "52.71", "month": "2026-10"}).status_code == 404, path


def test_a_village_row_shows_less_than_five_to_the_coordinator(world, signed_in):
    html = (
        signed_in(world.cast.coordinator_katingan)
        .get("/web/laporan/", {"area": "62.06.02", "month": "2026-10"})
        .content.decode()
    )

    assert "&lt;5" in html


def test_the_downloads_are_the_reports_files(world, signed_in):
    client = signed_in(world.cast.coordinator_katingan)
    csv = client.get("/web/laporan/unduh/csv/", {"area": "62.06", "month": "2026-10"})
    xlsx = client.get("/web/laporan/unduh/xlsx/", {"area": "62.06", "month": "2026-10"})

    assert csv.content.startswith(b"\xef\xbb\xbf")
    ipwl = client.get("/web/laporan/ipwl/", {"area": "62.06", "month": "2026-10"})
    assert load_workbook(io.BytesIO(ipwl.content)).sheetnames == ["Rekap IPWL"]
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == [
        "Laporan",
        "12 bulan",
        "Petugas lapangan",
        "Keterangan",
    ]


def test_waiting_cases_list_oldest_first_and_a_coordinator_assigns_by_hand(world, signed_in):
    c = world.cast
    client = signed_in(c.coordinator_katingan)
    page = client.get("/web/eskalasi/").content.decode()
    assert world.citra.code in page  # citra's escalation is offered, not yet accepted
    assert world.eka.code not in page  # Mataram's

    res = client.post(
        f"/web/eskalasi/{world.esc_citra.id}/tugaskan/", {"staff_id": str(c.counselor_near.id)}, follow=True
    )

    assert res.status_code == 200
    assert "ditawarkan ke petugas pilihan Anda" in res.content.decode()
    offer = Offer.objects.get(escalation=world.esc_citra, status="pending")
    assert offer.staff_id == c.counselor_near.id
    world.esc_citra.refresh_from_db()
    assert world.esc_citra.routing["result"] == "assigned_by_coordinator"


def test_a_coordinator_cannot_assign_a_case_outside_their_area(world, signed_in):
    res = signed_in(world.cast.coordinator_katingan).post(
        f"/web/eskalasi/{world.esc_eka.id}/tugaskan/", {"staff_id": str(world.cast.counselor_mataram.id)}
    )

    assert res.status_code == 404


def test_the_map_data_carries_counts_only(world, signed_in):
    res = signed_in(world.cast.coordinator_katingan).get("/web/peta/data/", {"area": "62.06"})

    body = res.json()
    assert res.status_code == 200
    kasongan = next(v for v in body["villages"] if v["code"] == "62.06.02.1003")
    assert kasongan["active"] == "<5"
    assert kasongan["point"]["type"] == "Point"
    assert any(f["certified_staff"] >= 1 for f in body["facilities"])
    text = res.content.decode()
    for client in (world.ani, world.budi, world.citra):
        assert client.name not in text and client.code not in text


def test_the_system_admin_sees_exact_counts_on_the_map(world, signed_in):
    body = signed_in(world.cast.system_admin).get("/web/peta/data/", {"area": "62.06"}).json()

    kasongan = next(v for v in body["villages"] if v["code"] == "62.06.02.1003")
    assert kasongan["active"] == 2


def test_the_followup_page_lists_lost_contact_clients_of_the_area_only(world, signed_in):
    html = signed_in(world.cast.coordinator_katingan).get("/web/tindak-lanjut/").content.decode()

    assert world.budi.code in html  # lost contact on 15 October
    assert world.eka.code not in html
    assert world.budi.name not in html


def test_a_facility_admin_gets_their_facilitys_report(world, signed_in):
    page = signed_in(world.cast.facility_admin_kasongan).get("/web/laporan/", {"month": "2026-10"})

    assert page.status_code == 200
    assert world.cast.pkm_kasongan.name in page.content.decode()


def test_signing_out_ends_the_session(world, signed_in):
    client = signed_in(world.cast.coordinator_katingan)
    client.post("/web/keluar/")

    assert client.get("/web/laporan/").status_code == 302


def test_the_waiting_cases_cost_the_same_queries_for_one_case_or_many(world):
    """Area settings and the staff who may take a case are read once per village and need, not once per row."""
    c = world.cast

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            cases = waiting_cases(user=c.coordinator_katingan, area=c.kasongan_baru.parent)
        return len(cases), len(ctx.captured_queries)

    queries()  # warm: the coordinator's scope is read once per user object
    before_cases, before = queries()
    for _ in range(3):
        client = ClientFactory(registered_by=c.volunteer_katingan, village=c.kasongan_baru)
        EscalationFactory(client=client, created_by=c.volunteer_katingan)
    after_cases, after = queries()
    assert after_cases == before_cases + 3
    assert after == before
