"""Reads about users: the profile behind GET /me, and who is eligible for an escalation on a given day.

Eligibility is never stored: it is computed from certificates per date, so a certificate that expires at
midnight stops making its holder eligible the next day without any job having to run.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Certification, RoleAssignment, User


def _valid_certificates_q(*, kind: str, on: date) -> Q:
    """Certificates of `kind` that are not revoked and whose validity period contains `on`."""
    return Q(kind=kind, revoked=False, issued_on__lte=on, expires_on__gte=on)


def _on_leave_q(*, on: date) -> Q:
    """Users on leave on `on` (an open-ended leave has no end date)."""
    return Q(on_leave_from__isnull=False, on_leave_from__lte=on) & (
        Q(on_leave_until__isnull=True) | Q(on_leave_until__gte=on)
    )


def certification_valid_for(*, user: User, kind: str, on: date) -> bool:
    """True if the user holds a non-revoked certificate of `kind` valid on `on`."""
    return Certification.objects.filter(_valid_certificates_q(kind=kind, on=on), user=user).exists()


def staff_eligible_qs(*, kind: str, on: date) -> QuerySet[User]:
    """Active users with a valid certificate of `kind` on `on` who are not on leave that day.

    Routing narrows this further (role at a facility, distance, caseload); this is only the certificate and
    availability part, kept here so that "who may take a case" is decided in one place.
    """
    valid = Certification.objects.filter(_valid_certificates_q(kind=kind, on=on), user=OuterRef("pk"))
    return User.objects.filter(Exists(valid), is_active=True).exclude(_on_leave_q(on=on))


def user_timezone(*, roles: list[RoleAssignment]) -> str:
    """The IANA time zone of the user's first area (their village, area or facility's village), else the default.

    "Today" for certificates and leave is the user's today, not the server's (Indonesia has three zones).
    """
    for r in roles:
        if r.region_id:
            return r.region.timezone
        if r.facility_id:
            return r.facility.village.timezone
    return settings.TIME_ZONE


def user_profile(*, user: User) -> dict[str, Any]:
    """The user with their active role assignments, what each covers, and their certificates (3 queries)."""
    roles = list(
        RoleAssignment.objects.filter(user=user, active=True)
        .select_related("region", "facility", "facility__village")
        .order_by("created_at")
    )
    tz = user_timezone(roles=roles)
    today = timezone.localdate(timezone=ZoneInfo(tz))
    certs = Certification.objects.filter(user=user).order_by("kind", "-expires_on")
    return {
        "id": user.id,
        "phone": user.phone,
        "name": user.name,
        "language": user.language,
        "timezone": tz,
        "today": today,
        "on_leave_today": user.is_on_leave(today),
        "roles": [_role_out(r) for r in roles],
        "certifications": [
            {
                "kind": c.kind,
                "kind_label": str(c.get_kind_display()),
                "number": c.number,
                "issuer": c.issuer,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "revoked": c.revoked,
                "valid_today": c.is_valid_on(today),
            }
            for c in certs
        ],
    }


def _role_out(r: RoleAssignment) -> dict[str, Any]:
    f = r.facility
    return {
        "role": r.role,
        "role_label": str(r.get_role_display()),
        "region_code": r.region_id,
        "region_name": r.region.name if r.region_id else None,
        "region_level": r.region.level if r.region_id else None,
        "facility_id": r.facility_id,
        "facility_name": f.name if f else None,
        "facility": (
            {"id": f.id, "code": f.code, "name": f.name, "type": f.type, "village_code": f.village_id}
            if f
            else None
        ),
    }
