"""Schemas of /devices and /notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from api.schemas.base import InSchema


class DeviceIn(InSchema):
    token: str = Field(
        min_length=1,
        max_length=4096,
        pattern=r"^[^\s/]+$",
        description="Token pendaftaran FCM dari aplikasi (FirebaseMessaging.getToken()).",
    )
    platform: Literal["android", "ios", "web"] = Field("android", description="Platform perangkat.")
    app_version: str = Field("", max_length=32, description="Versi aplikasi Pulih, mis. 1.4.2.")


class DeviceOut(Schema):
    id: uuid.UUID
    platform: str
    app_version: str
    created_at: datetime = Field(description="Pertama kali token ini didaftarkan.")
    last_seen_at: datetime = Field(
        description="Terakhir kali aplikasi memperbarui token ini; token yang 60 hari tidak diperbarui dihapus."
    )


class NotificationOut(Schema):
    id: uuid.UUID
    kind: str = Field(description="Jenis notifikasi, mis. escalation_offered, task_assigned.")
    title: str
    body: str = Field(description="Teks lengkap dalam bahasa pengguna (kode klien, bukan nama).")
    data: dict[str, str] = Field(
        description="Id yang dibutuhkan aplikasi untuk membuka layar yang tepat, mis. escalation_id."
    )
    priority: Literal["normal", "high"]
    created_at: datetime
    read_at: datetime | None = None
    is_read: bool = Field(description="Sudah dibaca (read_at terisi).")


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    count: int
    limit: int
    offset: int
    has_more: bool


class NotificationListParams(Schema):
    unread: bool | None = Field(None, description="true: hanya yang belum dibaca; false: hanya yang sudah.")


class UnreadCountOut(Schema):
    count: int = Field(description="Jumlah notifikasi yang belum dibaca.")
