"""POST /devices, DELETE /devices/{token}, and the inbox endpoints, each user seeing only their own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine
from django.utils import timezone

from backend.sync.models import ChangeLog
from notifications.devices import MAX_DEVICES_PER_USER
from notifications.models import Device, Notification
from notifications.services import notify

TOKEN = "dX3k9:APA91bH-fake_registration.token"


def a_notification(user, n: int = 1) -> Notification:
    return notify(
        recipient=user,
        kind="task_assigned",
        event_key=f"task:{n}",
        params={"client_code": f"KTG-{n:04d}", "due_at": datetime(2026, 11, 24, 2, 0, tzinfo=UTC)},
        data={"task_id": str(uuid.uuid4())},
    )


# --- devices -----------------------------------------------------------------------------------------------
def test_it_registers_a_device(api, cast):
    r = api.as_(cast.volunteer_katingan).post(
        "/devices", {"token": TOKEN, "platform": "android", "app_version": "1.2.0"}
    )
    assert r.status_code == 201, r.content
    device = Device.objects.get(token=TOKEN)
    assert (device.user, device.app_version) == (cast.volunteer_katingan, "1.2.0")
    assert r.json()["id"] == str(device.id) and "token" not in r.json()


def test_registering_again_refreshes_the_same_device(api, cast):
    client = api.as_(cast.volunteer_katingan)
    first = client.post("/devices", {"token": TOKEN, "app_version": "1.2.0"}).json()
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        r = client.post("/devices", {"token": TOKEN, "app_version": "1.3.0"})
    assert r.status_code == 200
    assert r.json()["id"] == first["id"] and r.json()["created_at"] == first["created_at"]
    assert r.json()["last_seen_at"] > first["last_seen_at"]
    assert Device.objects.get().app_version == "1.3.0"


def test_a_token_registered_by_another_user_moves_to_the_new_one(api, cast):
    api.as_(cast.volunteer_katingan).post("/devices", {"token": TOKEN})
    r = api.as_(cast.official_katingan).post("/devices", {"token": TOKEN})
    assert r.status_code == 200
    assert Device.objects.get(token=TOKEN).user == cast.official_katingan


def test_a_user_keeps_at_most_the_newest_devices(api, cast):
    client = api.as_(cast.volunteer_katingan)
    for i in range(MAX_DEVICES_PER_USER + 2):
        with time_machine.travel(timezone.now() + timedelta(minutes=i)):
            client.post("/devices", {"token": f"tok-{i}"})
    tokens = set(Device.objects.values_list("token", flat=True))
    assert len(tokens) == MAX_DEVICES_PER_USER and "tok-0" not in tokens and "tok-1" not in tokens


def test_bad_device_input_is_a_422_naming_the_field(api, cast):
    client = api.as_(cast.volunteer_katingan)
    for body, field in [
        ({"token": ""}, "token"),
        ({"token": "has space"}, "token"),
        ({"token": "x" * 4097}, "token"),
        ({"token": TOKEN, "platform": "symbian"}, "platform"),
        ({"platform": "android"}, "token"),
    ]:
        r = client.post("/devices", body)
        assert r.status_code == 422, body
        assert r.json()["error"]["details"][0]["field"] == field


def test_devices_need_a_signed_in_user(api):
    assert api.post("/devices", {"token": TOKEN}).status_code == 401


def test_it_deletes_own_device(api, cast):
    api.as_(cast.volunteer_katingan).post("/devices", {"token": TOKEN})
    r = api.as_(cast.volunteer_katingan).delete(f"/devices/{TOKEN}")
    assert r.status_code == 204
    assert not Device.objects.exists()


def test_deleting_someone_elses_device_is_not_found(api, cast):
    api.as_(cast.volunteer_katingan).post("/devices", {"token": TOKEN})
    r = api.as_(cast.volunteer_mataram).delete(f"/devices/{TOKEN}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert Device.objects.filter(token=TOKEN).exists()
    assert api.as_(cast.volunteer_katingan).delete("/devices/no-such-token").status_code == 404


# --- inbox -------------------------------------------------------------------------------------------------
def test_it_lists_own_notifications_newest_first(api, cast, django_assert_max_num_queries):
    for n in range(3):
        with time_machine.travel(timezone.now() + timedelta(minutes=n)):
            a_notification(cast.volunteer_katingan, n)
    a_notification(cast.volunteer_mataram, 9)
    client = api.as_(cast.volunteer_katingan)
    with django_assert_max_num_queries(4):  # auth user, page, count (+ savepoint-free)
        r = client.get("/notifications")
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == 3 and not page["has_more"]
    assert [i["body"].split()[4] for i in page["items"]] == ["KTG-0002,", "KTG-0001,", "KTG-0000,"]
    item = page["items"][0]
    assert item["title"] == "Tugas baru" and item["is_read"] is False and item["read_at"] is None
    assert set(item["data"]) == {"task_id"}


def test_it_pages_the_inbox(api, cast):
    for n in range(5):
        a_notification(cast.volunteer_katingan, n)
    page = api.as_(cast.volunteer_katingan).get("/notifications", limit=2, offset=2).json()
    assert (len(page["items"]), page["count"], page["has_more"]) == (2, 5, True)
    assert api.as_(cast.volunteer_katingan).get("/notifications", limit=500).status_code == 422


def test_it_filters_unread_and_counts_them(api, cast):
    read, unread = a_notification(cast.volunteer_katingan, 1), a_notification(cast.volunteer_katingan, 2)
    a_notification(cast.volunteer_mataram, 3)
    client = api.as_(cast.volunteer_katingan)
    client.post(f"/notifications/{read.id}/read")
    assert [i["id"] for i in client.get("/notifications", unread="true").json()["items"]] == [str(unread.id)]
    assert [i["id"] for i in client.get("/notifications", unread="false").json()["items"]] == [str(read.id)]
    assert client.get("/notifications/unread-count").json() == {"count": 1}


def test_marking_read_is_idempotent_and_tells_the_other_phones_once(api, cast):
    row = a_notification(cast.volunteer_katingan)
    client = api.as_(cast.volunteer_katingan)
    first = client.post(f"/notifications/{row.id}/read")
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        again = client.post(f"/notifications/{row.id}/read")
    assert first.status_code == again.status_code == 200
    assert first.json()["is_read"] and first.json()["read_at"] == again.json()["read_at"]
    assert ChangeLog.objects.filter(entity="notification", entity_id=row.id).count() == 2  # created, read


def test_someone_elses_notification_cannot_be_marked_read(api, cast):
    row = a_notification(cast.volunteer_katingan)
    r = api.as_(cast.volunteer_mataram).post(f"/notifications/{row.id}/read")
    assert r.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None
    assert api.as_(cast.volunteer_katingan).post("/notifications/not-a-uuid/read").status_code == 422


def test_the_inbox_needs_a_signed_in_user(api):
    assert api.get("/notifications").status_code == 401
    assert api.get("/notifications/unread-count").status_code == 401


def test_the_openapi_document_describes_devices_and_the_inbox(api, cast):
    doc = api.as_(cast.volunteer_katingan).get("/openapi.json").json()
    paths = doc["paths"]
    assert {"200", "201", "401", "422"} <= set(paths["/api/v1/devices"]["post"]["responses"])
    assert {"204", "401", "404"} <= set(paths["/api/v1/devices/{token}"]["delete"]["responses"])
    assert {"200", "401", "422"} <= set(paths["/api/v1/notifications"]["get"]["responses"])
    assert {"200", "401"} <= set(paths["/api/v1/notifications/unread-count"]["get"]["responses"])
    assert {"200", "401", "404"} <= set(
        paths["/api/v1/notifications/{notification_id}/read"]["post"]["responses"]
    )
    params = {p["name"]: p for p in paths["/api/v1/notifications"]["get"]["parameters"]}
    assert {"unread", "limit", "offset"} <= set(params) and params["unread"]["description"]
    device_in = doc["components"]["schemas"]["DeviceIn"]["properties"]
    assert all(device_in[f]["description"] for f in ("token", "platform", "app_version"))
