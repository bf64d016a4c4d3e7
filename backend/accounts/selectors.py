"""Reads about users."""

from __future__ import annotations

from typing import Any

from backend.accounts.models import RoleAssignment, User


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
