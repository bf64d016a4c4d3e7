"""The web view in a real headless browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright for Python
through `executable_path` (Playwright never downloads a browser here), against pytest-django's live server.

As the demo's Katingan coordinator (+6281100000041): sign in, read the month's figures and charts, open the map,
assign a waiting case by hand, open the follow-up list; a Mataram client's code and name never appear.
Screenshots are saved in the test's output folder (tmp_path) and their paths printed.

All database work happens before the browser starts and after it stops: Playwright's sync API runs an event loop
in this thread, inside which Django refuses ORM calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from backend.accounts.demo import load_demo_users
from backend.accounts.models import User
from backend.escalations.models import Escalation, Offer
from backend.escalations.services.offers import escalation_create
from backend.recovery.services import client_create
from backend.recovery.transitions import client_transition
from villages.demo import load_demo_geography

CHROMIUM = Path("/usr/bin/chromium")
COORDINATOR_PHONE = "0811-0000-0041"  # +6281100000041, typed as people type it
DEMO_PASSWORD = "pulih-demo-2026"
CONSENTS = [{"scope": "data_collection", "given": True}, {"scope": "referral", "given": True}]
# Flags for a closed network (see .library's machine notes): no background connections, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (scripts/setup.sh installs it with apt "
        "and could not here): the browser test needs it and never downloads a browser",
    ),
]


def _demo_world():
    load_demo_geography()
    load_demo_users()
    phone = lambda p: User.objects.get(phone=p)  # noqa: E731
    volunteer_katingan, volunteer_mataram = phone("+6281100000002"), phone("+6281100000006")
    katingan = client_create(
        actor=volunteer_katingan, name="Bayu Katingan", sex="male", birth_year=1995,
        village_code="62.06.02.1003", consents=CONSENTS,
    )  # fmt: skip
    lost = client_create(
        actor=volunteer_katingan, name="Rudi Katingan", sex="male", birth_year=1990,
        village_code="62.06.02.1003", consents=CONSENTS,
    )  # fmt: skip
    client_transition(client_id=lost.id, to_status="lost_contact", actor=volunteer_katingan)
    mataram = client_create(
        actor=volunteer_mataram, name="Lalu Mataram", sex="male", birth_year=1992,
        village_code="52.71.01.1004", consents=CONSENTS,
    )  # fmt: skip
    esc = escalation_create(
        actor=volunteer_katingan, client=katingan, need="counseling", urgency="routine", reason="uji"
    )
    escalation_create(
        actor=volunteer_mataram, client=mataram, need="counseling", urgency="routine", reason="uji"
    )
    return katingan, lost, mataram, esc


def test_a_katingan_coordinator_signs_in_reads_the_figures_and_map_and_assigns_a_case(live_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    katingan, lost, mataram, esc = _demo_world()
    month = timezone.now().strftime("%Y-%m")
    seen: list[str] = []
    shots: list[Path] = []

    def shot(page, name: str) -> None:
        path = tmp_path / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
        seen.append(page.content())

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
            page.goto(f"{live_server.url}/web/")
            page.wait_for_selector("#login-form")
            shot(page, "masuk")

            page.fill("input[name=phone]", COORDINATOR_PHONE)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("body[data-charts-ready='4']")
            assert "Kabupaten Katingan" in page.inner_text("h1")
            assert page.inner_text("#headline .stat:first-child .value") == "1"  # Bayu; Rudi lost contact
            shot(page, "laporan")

            page.click("#nav-map")
            page.wait_for_selector("#map[data-ready]")
            assert (
                int(page.get_attribute("#map", "data-ready")) > 100
            )  # Katingan's villages, from its own data
            assert page.locator(".leaflet-interactive").count() > 100
            assert page.locator(".pulih-count").all_inner_texts() == [
                "<5"
            ]  # Kasongan Baru's one active client
            shot(page, "peta")

            page.click("#nav-escalations")
            row = page.locator(f"tr[data-escalation='{esc.id}']")
            assert row.count() == 1
            staff_text = row.locator("select[name=staff_id] option").first.inner_text()
            shot(page, "eskalasi")
            row.locator("button[type=submit]").click()
            page.wait_for_selector(".messages .success")
            shot(page, "eskalasi-ditugaskan")

            page.click("#nav-followup")
            page.wait_for_selector("#slipping")
            shot(page, "tindak-lanjut")

            outside = page.goto(f"{live_server.url}/web/laporan/?area=52.71&month={month}")
            assert outside is not None and outside.status == 404  # Mataram: out of scope, like a missing area
            seen.append(page.content())
        finally:
            browser.close()

    print("screenshots:", *shots, sep="\n  ")
    for html in seen:
        assert mataram.code not in html and mataram.name not in html
        assert katingan.name not in html and lost.name not in html  # names are nowhere in the web view
    assert any(katingan.code in html for html in seen)  # the waiting case is listed by code
    assert any(lost.code in html for html in seen)  # lost contact: on the follow-up list
    esc.refresh_from_db()
    assert esc.routing["result"] == "assigned_by_coordinator"
    offer = Offer.objects.get(escalation=esc, status="pending")
    assert staff_text.startswith(offer.staff.name)
    assert Escalation.objects.filter(client=mataram, routing__result="assigned_by_coordinator").count() == 0
