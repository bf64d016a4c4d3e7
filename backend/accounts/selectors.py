"""Reads about users: the profile behind GET /me, and who is eligible for an escalation on a given day.

Eligibility is never stored: it is computed from certificates per date, so a certificate that expires at
midnight stops making its holder eligible the next day without any job having to run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def user_profile(*, user: User) -> dict[str, Any]:
    """The user with their active role assignments and what each covers."""
    roles = RoleAssignment.objects.filter(user=user, active=True).select_related("region", "facility")
    return {
        "id": user.id,
        "phone": user.phone,
        "name": user.name,
        "language": user.language,
        "roles": [
            {
                "role": r.role,
                "role_label": str(r.get_role_display()),
                "region_code": r.region_id,
                "region_name": r.region.name if r.region_id else None,
                "facility_id": r.facility_id,
                "facility_name": r.facility.name if r.facility_id else None,
            }
            for r in roles
        ],
    }
