"""GET /me shows how the user can be reached; PATCH /me/channels sets their WhatsApp / SMS opt-in (strict
booleans only)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.channels import outbox
from notifications.models import ChannelMessage, ChannelMessageState, ChannelPreference
from notifications.services import channel_preference_set

NOBODY = {"push": False, "whatsapp": False, "sms": False}


def test_me_shows_no_channel_by_default(api, cast):
    body = api.as_(cast.counselor_near).get("/me").json()
    assert body["channels"] == NOBODY
    assert body["phone"] == cast.counselor_near.phone  # the rest of /me is as it was


def test_me_shows_push_once_a_phone_is_registered(api, cast, phone_of):
    phone_of(cast.counselor_near, "tok-1")
    assert api.as_(cast.counselor_near).get("/me").json()["channels"]["push"] is True


def test_patch_opts_in_and_out_one_channel_at_a_time(api, cast):
    me = api.as_(cast.counselor_near)
    r = me.patch("/me/channels", {"whatsapp": True})
    assert r.status_code == 200, r.content
    assert r.json() == {"push": False, "whatsapp": True, "sms": False}
    assert me.patch("/me/channels", {"sms": True}).json() == {"push": False, "whatsapp": True, "sms": True}
    assert me.patch("/me/channels", {"whatsapp": False}).json() == {
        "push": False,
        "whatsapp": False,
        "sms": True,
    }
    assert me.get("/me").json()["channels"] == {"push": False, "whatsapp": False, "sms": True}
    preference = ChannelPreference.objects.get(user=cast.counselor_near)
    assert (preference.whatsapp_opt_in, preference.sms_opt_in) == (False, True)


def test_patch_with_nothing_changes_nothing(api, cast):
    channel_preference_set(user=cast.counselor_near, sms=True)
    r = api.as_(cast.counselor_near).patch("/me/channels", {})
    assert r.json() == {"push": False, "whatsapp": False, "sms": True}


def test_a_users_choice_is_their_own(api, cast):
    api.as_(cast.counselor_near).patch("/me/channels", {"whatsapp": True})
    assert api.as_(cast.counselor_far).get("/me").json()["channels"] == NOBODY


@pytest.mark.parametrize(
    "body",
    [
        {"whatsapp": 1},
        {"whatsapp": 0},
        {"whatsapp": "true"},
        {"sms": "no"},
        {"sms": "yes"},
        {"push": True},  # push follows the registered phones, it is not an opt-in
        {"telegram": True},
    ],
)
def test_only_true_or_false_is_accepted(api, cast, body):
    r = api.as_(cast.counselor_near).patch("/me/channels", body)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert not ChannelPreference.objects.filter(user=cast.counselor_near).exists()


def test_opting_out_over_the_api_stops_what_waits(api, cast, settings):
    settings.WHATSAPP_PHONE_ID, settings.WHATSAPP_TOKEN = "1", "t"
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    row = outbox.message_create(
        recipient=cast.counselor_near, kind="daily_digest", event_key="daily_digest:x"
    )
    api.as_(cast.counselor_near).patch("/me/channels", {"whatsapp": False})
    row.refresh_from_db()
    assert (row.state, row.last_error) == (ChannelMessageState.SKIPPED, "opted_out")
    assert ChannelMessage.objects.count() == 1


def test_the_channels_need_a_signed_in_user(api):
    assert api.patch("/me/channels", {"sms": True}).status_code == 401


def test_the_admin_shows_preferences_and_messages_read_only(cast, settings):
    settings.WHATSAPP_PHONE_ID, settings.WHATSAPP_TOKEN = "1", "t"
    channel_preference_set(user=cast.counselor_near, whatsapp=True)
    row = outbox.message_create(
        recipient=cast.counselor_near, kind="daily_digest", event_key="daily_digest:y"
    )
    admin_user = cast.system_admin
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)
    for name in ("channelpreference", "channelmessage"):
        assert browser.get(reverse(f"admin:notifications_{name}_changelist")).status_code == 200
        assert browser.get(reverse(f"admin:notifications_{name}_add")).status_code == 403
    page = browser.get(reverse("admin:notifications_channelmessage_change", args=[row.id]))
    assert page.status_code == 200 and b'name="state"' not in page.content  # shown, not editable
