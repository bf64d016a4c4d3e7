"""The admin's outbox view: a failed push can be queued again; a sent one is never re-sent."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from notifications.models import Notification, PushState
from notifications.services import notify


def test_push_again_requeues_failed_rows_only(cast):
    rows = [
        notify(
            recipient=cast.counselor_near,
            kind="escalation_accepted",
            event_key=f"e:{n}",
            params={"client_code": "KTG-1"},
        )
        for n in range(2)
    ]
    Notification.objects.filter(id=rows[0].id).update(push_state=PushState.FAILED, push_attempts=8)
    Notification.objects.filter(id=rows[1].id).update(push_state=PushState.SENT, push_attempts=1)
    admin_user = cast.system_admin
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    browser = Client()
    browser.force_login(admin_user)
    r = browser.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "push_again", "_selected_action": [str(r.id) for r in rows]},
    )
    assert r.status_code == 302
    states = dict(Notification.objects.values_list("id", "push_state"))
    assert states == {rows[0].id: PushState.PENDING, rows[1].id: PushState.SENT}
    assert browser.get(reverse("admin:notifications_notification_changelist")).status_code == 200
