"""Set-up helpers of the follow-up tests: a WIT area of their own, clients at any status, attempts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from backend.access.policy import client_full_qs_for
from backend.accounts.models import Role, User
from backend.followup.models import FollowUpState
from backend.recovery.contacts import contacts_apply
from backend.recovery.models import Client, Consent
from tests.cast import make_user, region
from tests.factories import ClientRowFactory
from villages.models import RegionLevel, TimeZoneName


@dataclass(frozen=True)
class Jayapura:
    """A WIT area for the tests (shaped like Kemendagri codes; the demo data has no Papua region)."""

    village: str
    volunteer: User
    official: User
    coordinator: User


def jayapura_build() -> Jayapura:
    V, D, R, P = RegionLevel.VILLAGE, RegionLevel.DISTRICT, RegionLevel.REGENCY, RegionLevel.PROVINCE
    wit = TimeZoneName.WIT
    region("91", P, "Papua", None, -4.27, 138.08, wit)
    region("91.71", R, "Kota Jayapura", "91", -2.5337, 140.7181, wit)
    region("91.71.01", D, "Jayapura Utara", "91.71", -2.5333, 140.7167, wit)
    village = region("91.71.01.1001", V, "Kelurahan Uji Jayapura", "91.71.01", -2.5310, 140.7150, wit)
    return Jayapura(
        village=village.code,
        volunteer=make_user("081200000061", "Kader Jayapura", (Role.VOLUNTEER, village.code, None)),
        official=make_user("081200000062", "Lurah Jayapura", (Role.VILLAGE_OFFICIAL, village.code, None)),
        coordinator=make_user("081200000063", "Koordinator BNNK Jayapura", (Role.COORDINATOR, "91.71", None)),
    )


def client_in(
    village: str,
    *,
    volunteers: list[User] = (),  # type: ignore[assignment]
    status: str = "community_recovery",
    consents: tuple[str, ...] = ("data_collection",),
    phone: str = "",
) -> Client:
    """A client already in the programme (registered now, never contacted)."""
    return ClientRowFactory(
        village=village, status=status, volunteers=list(volunteers), consents=consents, phone=phone
    )


def consent_set(client: Client, scope: str, given: bool, by: User) -> None:
    Consent.objects.create(client=client, scope=scope, given=given, given_by="client", recorded_by=by)


def attempt(client: Client, result: str = "reached", **overrides: Any) -> dict[str, Any]:
    """One attempt as the phone uploads it: a phone call 30 minutes ago (device clock, WIB)."""
    at: datetime = timezone.localtime(timezone.now() - timedelta(minutes=30))
    return {
        "id": str(uuid.uuid4()),
        "client_id": str(client.id),
        "occurred_at": at.isoformat(),
        "channel": "phone_call",
        "result": result,
        "note": "",
        **overrides,
    }


def log(user: User, client: Client, result: str = "reached", **overrides: Any) -> dict[str, Any]:
    """Log one attempt through the batch write path; returns its answer (created/duplicate/rejected)."""
    items = [attempt(client, result, **overrides)]
    return contacts_apply(actor=user, items=items, clients_in_full_view=client_full_qs_for(user=user))[
        0
    ].as_dict()


def upload(api: Any, user: User, attempts: list[dict[str, Any]], key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": key} if key else None
    return api.as_(user).post("/sync/contact-attempts", {"attempts": attempts}, headers=headers)


def tier_of(client: Client) -> int:
    return FollowUpState.objects.filter(client=client).values_list("tier", flat=True).first() or 0
