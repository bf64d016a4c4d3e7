from __future__ import annotations

import uuid

from ninja import Field, Schema


class RoleOut(Schema):
    role: str = Field(description="Kode peran, mis. volunteer, counselor, coordinator.")
    role_label: str = Field(description="Nama peran dalam bahasa pengguna.")
    region_code: str | None = Field(
        None, description="Kode Kemendagri wilayah yang dicakup (desa atau area)."
    )
    region_name: str | None = None
    facility_id: uuid.UUID | None = Field(None, description="Fasilitas yang dicakup (peran fasilitas).")
    facility_name: str | None = None


class MeOut(Schema):
    id: uuid.UUID
    phone: str = Field(description="Nomor HP dalam format E.164.")
    name: str
    language: str
    roles: list[RoleOut]
