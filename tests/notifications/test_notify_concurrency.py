"""Two transactions raising the same event at the same moment: one inbox entry, one push."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_notifies_of_one_event_store_one_row(cast, monkeypatch):
    published: list[str] = []
    monkeypatch.setattr("notifications.services._publish_push", lambda row_id: published.append(str(row_id)))
    barrier = threading.Barrier(2)
    results: list[object] = []

    def raise_event() -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=5)  # both inside a transaction before either inserts
                results.append(
                    notify(
                        recipient=cast.counselor_near,
                        kind="escalation_accepted",
                        event_key="escalation:1:accepted",
                        params={"client_code": "KTG-0042"},
                    )
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_event) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
    assert len(results) == 2 and results.count(None) == 1
    assert Notification.objects.count() == 1
    assert len(published) == 1
