from __future__ import annotations

import uuid
from datetime import date

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

from api.schemas.base import PHONE_PATTERN, InSchema


class FacilityRefOut(Schema):
    id: uuid.UUID
    code: str = Field(description="Kode fasilitas.")
    name: str
    type: str = Field(description="Jenis fasilitas: puskesmas, rsud, rsj, klinik_bnn, ipwl, yayasan.")
    village_code: str = Field(description="Kode Kemendagri desa/kelurahan tempat fasilitas berada.")


class RoleOut(Schema):
    role: str = Field(description="Kode peran, mis. volunteer, counselor, coordinator.")
    role_label: str = Field(description="Nama peran dalam bahasa pengguna.")
    region_code: str | None = Field(
        None, description="Kode Kemendagri wilayah yang dicakup (desa atau area)."
    )
    region_name: str | None = Field(None, description="Nama wilayah yang dicakup.")
    region_level: str | None = Field(
        None, description="Tingkat wilayah: village, district, regency, province."
    )
    facility_id: uuid.UUID | None = Field(None, description="Fasilitas yang dicakup (peran fasilitas).")
    facility_name: str | None = Field(None, description="Nama fasilitas yang dicakup.")
    facility: FacilityRefOut | None = Field(
        None, description="Fasilitas yang dicakup, lengkap (peran fasilitas)."
    )


class CertificationOut(Schema):
    kind: str = Field(description="Jenis sertifikat: counselor atau assessor.")
    kind_label: str = Field(description="Nama jenis sertifikat dalam bahasa pengguna.")
    number: str = Field(description="Nomor sertifikat.")
    issuer: str = Field(description="Penerbit sertifikat.")
    issued_on: date
    expires_on: date
    revoked: bool
    valid_today: bool = Field(description="Berlaku hari ini (menurut zona waktu wilayah pengguna).")


class MeOut(Schema):
    id: uuid.UUID
    phone: str = Field(description="Nomor HP dalam format E.164.")
    name: str
    language: str = Field(description="Bahasa pilihan pengguna: id atau en.")
    timezone: str = Field(description="Zona waktu wilayah pengguna (IANA), dasar 'hari ini'.")
    today: date = Field(description="Tanggal hari ini di zona waktu pengguna.")
    on_leave_today: bool = Field(description="Sedang cuti hari ini (tidak menerima rujukan).")
    roles: list[RoleOut]
    certifications: list[CertificationOut]


class ChannelsOut(Schema):
    push: bool = Field(description="Push: ada perangkat terdaftar untuk pengguna ini.")
    whatsapp: bool = Field(description="Bersedia dihubungi lewat WhatsApp di nomor HP sendiri.")
    sms: bool = Field(description="Bersedia dihubungi lewat SMS di nomor HP sendiri.")


class MeWithChannelsOut(MeOut):
    channels: ChannelsOut = Field(
        description="Kanal untuk menjangkau pengguna bila push tidak terbaca (tugas mendesak, ringkasan harian)."
    )


class ChannelsIn(InSchema):
    """Only the channels sent change. Strict booleans: `true` / `false`, nothing else."""

    model_config = ConfigDict(extra="forbid")

    whatsapp: StrictBool | None = Field(None, description="Bersedia menerima pesan WhatsApp.")
    sms: StrictBool | None = Field(None, description="Bersedia menerima SMS.")


class LoginIn(InSchema):
    phone: str = Field(
        min_length=1,
        max_length=32,
        pattern=PHONE_PATTERN,
        description="Nomor HP seperti diketik: 0812..., 62812... atau +62 812-...",
    )
    password: str = Field(min_length=1, max_length=256)


class FirebaseLoginIn(InSchema):
    id_token: str = Field(
        min_length=1, max_length=8192, description="ID token Firebase dari masuk dengan nomor HP."
    )


class RefreshIn(InSchema):
    refresh: str = Field(min_length=1, max_length=256, description="Token penyegaran dari masuk terakhir.")


class TokenPairOut(Schema):
    access: str = Field(description="Token akses (JWT) untuk header `Authorization: Bearer`.")
    refresh: str = Field(description="Token penyegaran sekali pakai; simpan dengan aman di perangkat.")
    token_type: str = Field("Bearer", description="Selalu `Bearer`.")
    expires_in: int = Field(description="Masa berlaku token akses dalam detik.")
    user: MeOut


class ErrorDetailOut(Schema):
    field: str
    code: str
    message: str


class ErrorBodyOut(Schema):
    code: str = Field(description="Kode galat yang stabil (snake_case).")
    message: str = Field(description="Pesan untuk manusia, dalam bahasa permintaan.")
    details: list[ErrorDetailOut]


class ErrorOut(Schema):
    error: ErrorBodyOut
