"""Schemas of a client's rights beyond the record: erasure (POST /clients/{id}/erasure)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from api.schemas.accounts import ErrorBodyOut
from api.schemas.base import InSchema

ErasureBasisName = Literal["purpose_fulfilled", "consent_withdrawn", "subject_request", "unlawful_processing"]


class ErasureIn(InSchema):
    basis: ErasureBasisName = Field(
        description="Dasar hukum (UU 27/2022 pasal 43 ayat 1): tujuan tercapai, persetujuan ditarik, permintaan "
        "subjek data, atau pemrosesan melawan hukum."
    )
    request_reference: str = Field(
        min_length=1,
        max_length=64,
        description="Nomor surat atau permintaan (huruf, angka, . / - _), bukan nama, NIK atau nomor HP.",
    )


class ErasureOut(Schema):
    id: uuid.UUID
    client_id: uuid.UUID
    basis: ErasureBasisName
    request_reference: str
    erased_by: uuid.UUID = Field(description="Koordinator atau admin sistem yang menghapus.")
    erased_at: datetime
    counts: dict[str, int] = Field(description="Jumlah data yang dihapus atau dianonimkan, per jenis.")


class HoldOut(Schema):
    hold: Literal["open_case", "in_treatment", "retention_period"]
    until: datetime | None = Field(description="Akhir masa simpan (retention_period), selain itu null.")


class ErasureBlockedOut(Schema):
    error: ErrorBodyOut
    holds: list[HoldOut] = Field(description="Kewajiban simpan yang menahan penghapusan.")
