"""The IPWL recap (PP 25/2011 art. 18): clients whose outcome an IPWL facility recorded in the month, counted by
substance, duration and route of use, diagnosis, treatment given and treatment history. The answers below were
worked out by hand from the story in `recap_world`."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from backend.escalations.models import Escalation
from backend.recovery.models import Client, ClientStatusChange
from backend.reports.ipwl import ipwl_recap
from backend.reports.selectors import report_spec_for
from tests.reports.conftest import register

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")


def _case(client, facility, outcome, at, diagnosis="", need="counseling"):
    return Escalation.objects.create(
        client=client, need=need, status="outcome_recorded", facility=facility, outcome=outcome,
        outcome_at=at, diagnosis=diagnosis, created_at=at, accepted_at=at,
    )  # fmt: skip


@pytest.fixture
def recap_world(cast):
    """Katingan, October 2026 (WIB):
    - a: amphetamines + cannabis, 6 years, smoked; outcome outpatient, F15.2, at Puskesmas Kasongan (IPWL) on
      31 Oct 23:00 WIB; never treated before.
    - b: opioids, duration unknown, injected; outpatient in September (status history), outcome methadone, no
      diagnosis, at RSUD Kasongan (IPWL) on 10 Oct; a second outcome of b on 3 Oct (earlier: b counts once).
    - c: alcohol; outcome at Puskesmas Tamiang Layang (not IPWL): not counted.
    - d: cannabis; outcome at Puskesmas Kasongan on 1 Nov 00:30 WIB: November, not counted.
    """
    v = cast.volunteer_katingan
    a, b, c, d = (register(datetime(2026, 8, 1, 9, tzinfo=WIB), v, "62.06.02.1003", n) for n in "ABCD")
    Client.objects.filter(id=a.id).update(
        substances=["amphetamines", "cannabis"], use_duration_years=6, use_route="smoked"
    )
    Client.objects.filter(id=b.id).update(substances=["opioids"], use_route="injected")
    Client.objects.filter(id=c.id).update(substances=["alcohol"])
    Client.objects.filter(id=d.id).update(substances=["cannabis"])
    _case(a, cast.pkm_kasongan, "outpatient", datetime(2026, 10, 31, 23, tzinfo=WIB), "F15.2")
    ClientStatusChange.objects.create(
        client=b, from_status="escalated", to_status="outpatient", at=datetime(2026, 9, 5, tzinfo=WIB)
    )
    _case(b, cast.rsud_kasongan, "outpatient", datetime(2026, 10, 3, tzinfo=WIB), need="assessment")
    _case(b, cast.rsud_kasongan, "methadone", datetime(2026, 10, 10, tzinfo=WIB))
    _case(c, cast.pkm_tamiang, "outpatient", datetime(2026, 10, 12, tzinfo=WIB))
    _case(d, cast.pkm_kasongan, "outpatient", datetime(2026, 11, 1, 0, 30, tzinfo=WIB))
    return cast


def test_the_recap_counts_the_months_ipwl_outcomes_as_worked_out_by_hand(recap_world):
    spec = report_spec_for(user=recap_world.coordinator_katingan, area="62.06", month="2026-10")

    recap = ipwl_recap(spec=spec)

    t = {k: dict(rows) for k, rows in recap.tables.items()}
    assert recap.handled == 2
    assert t["substance"]["stimulan jenis amfetamin (sabu)"] == 1
    assert t["substance"]["ganja"] == 1  # d is November's
    assert t["substance"]["opioid"] == 1
    assert t["substance"]["alkohol"] == 0  # c's facility is not an IPWL
    assert t["duration"] == {
        "kurang dari 1 tahun": 0,
        "1-4 tahun": 0,
        "5-9 tahun": 1,
        "10 tahun atau lebih": 0,
        "tidak dicatat": 1,
    }
    assert t["route"]["Diisap atau dibakar"] == 1 and t["route"]["Disuntik"] == 1
    assert t["diagnosis"] == {"F15.2": 1, "tidak dicatat": 1}
    assert t["treatment"]["Rawat jalan"] == 1 and t["treatment"]["Terapi rumatan metadon"] == 1  # b's latest
    assert t["history"] == {"Pernah dirawat sebelumnya": 1, "Belum pernah dirawat": 1}


def test_the_api_gives_the_recap_as_xlsx_without_names(api, recap_world):
    res = api.as_(recap_world.coordinator_katingan).get(
        "/reports/ipwl", area="62.06", month="2026-10", format="xlsx"
    )

    assert res.status_code == 200
    assert res["Content-Disposition"] == 'attachment; filename="pulih-rekap-ipwl-62.06-2026-10.xlsx"'
    cells = [
        c for row in load_workbook(io.BytesIO(res.content)).active.iter_rows(values_only=True) for c in row
    ]
    assert "F15.2" in cells
    codes = set(Client.objects.values_list("code", flat=True))
    assert not codes & {c for c in cells if isinstance(c, str)}  # counts only: no client code


def test_the_recap_of_an_area_outside_the_coordinators_is_not_found(api, recap_world):
    res = api.as_(recap_world.coordinator_mataram).get("/reports/ipwl", area="62.06", month="2026-10")

    assert res.status_code == 404
