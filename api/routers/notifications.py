"""GET /notifications, GET /notifications/unread-count, POST /notifications/{id}/read: the user's inbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from api.auth import current_user
from api.pagination import PageParams, paginate
from api.schemas.accounts import ErrorOut
from api.schemas.notifications import (
    NotificationListParams,
    NotificationOut,
    NotificationPageOut,
    UnreadCountOut,
)
from backend.reads.notifications import notification_list_for, notification_unread_count
from notifications.records import notification_records
from notifications.services import notification_mark_read

router = Router()
E = ErrorOut


@router.get(
    "",
    response={200: NotificationPageOut, 401: E, 422: E},
    summary="Kotak masuk notifikasi",
    url_name="list_notifications",
)
def list_notifications(
    request: HttpRequest, filters: Query[NotificationListParams], page: Query[PageParams]
) -> dict[str, Any]:
    """The caller's own notifications, newest first."""
    user = current_user(request)
    result = paginate(notification_list_for(user=user, unread=filters.unread), page)
    result["items"] = list(notification_records(user=user, notifications=result["items"]).values())
    return result


@router.get(
    "/unread-count",
    response={200: UnreadCountOut, 401: E},
    summary="Jumlah notifikasi belum dibaca",
    url_name="count_unread_notifications",
)
def count_unread_notifications(request: HttpRequest) -> dict[str, int]:
    return {"count": notification_unread_count(user=current_user(request))}


@router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, 401: E, 404: E, 422: E},
    summary="Tandai notifikasi sudah dibaca",
    url_name="read_notification",
)
def read_notification(request: HttpRequest, notification_id: uuid.UUID) -> dict[str, Any]:
    """Idempotent: reading it again keeps the first read time. Someone else's notification answers 404."""
    user = current_user(request)
    notification = notification_mark_read(user=user, notification_id=notification_id)
    return notification_records(user=user, notifications=[notification])[notification.id]
