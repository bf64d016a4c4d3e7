"""Who the user is, for the access rules: their active role assignments read once into a `Scope`.

It sits in accounts, below every domain, so a domain service may ask what a user's roles cover (`Scope`);
the rules that read domain rows are in backend/access/policy.py, above the domains.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from django.db.models import Q

from backend.accounts.models import Role, RoleAssignment, User


@dataclass(frozen=True)
class Scope:
    user_id: uuid.UUID
    is_system_admin: bool = False
    village_codes_volunteer: frozenset[str] = field(default_factory=frozenset)
    village_codes_official: frozenset[str] = field(default_factory=frozenset)
    area_codes: frozenset[str] = field(default_factory=frozenset)  # coordinator regions (regency/province)
    staff_facility_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)  # counselor/assessor
    admin_facility_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)  # facility admin
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def village_codes(self) -> frozenset[str]:
        return self.village_codes_volunteer | self.village_codes_official

    @property
    def is_field_worker(self) -> bool:
        return bool(self.village_codes)

    @property
    def is_staff_member(self) -> bool:
        return bool(self.staff_facility_ids)

    def has_role(self, role: str) -> bool:
        return self.is_system_admin or role in self.roles

    def covers_region(self, code: str) -> bool:
        """True if `code` is inside one of this user's villages or areas (system admin: always)."""
        if self.is_system_admin:
            return True
        return any(code == c or code.startswith(c + ".") for c in self.village_codes | self.area_codes)


def scope_for(user: User) -> Scope:
    """The user's scope from their active role assignments (one query; cached on the user object)."""
    cached = getattr(user, "_pulih_scope", None)
    if cached is not None:
        return cached
    if not user.is_active:
        scope = Scope(user_id=user.id)
    else:
        rows = list(
            RoleAssignment.objects.filter(user_id=user.id, active=True).values_list(
                "role", "region_id", "facility_id"
            )
        )
        pick = lambda role, col: frozenset(r[col] for r in rows if r[0] == role)  # noqa: E731
        scope = Scope(
            user_id=user.id,
            is_system_admin=any(r[0] == Role.SYSTEM_ADMIN for r in rows) or user.is_superuser,
            village_codes_volunteer=pick(Role.VOLUNTEER, 1),
            village_codes_official=pick(Role.VILLAGE_OFFICIAL, 1),
            area_codes=pick(Role.COORDINATOR, 1),
            staff_facility_ids=pick(Role.COUNSELOR, 2) | pick(Role.ASSESSOR, 2),
            admin_facility_ids=pick(Role.FACILITY_ADMIN, 2),
            roles=frozenset(r[0] for r in rows),
        )
    user._pulih_scope = scope  # type: ignore[attr-defined]
    return scope


# 62.06.02.1003: province, regency, district, village.
VILLAGE_CODE_DOTS = 3


def region_code_q(field_name: str, codes: frozenset[str] | set[str]) -> Q:
    """Q matching rows whose region code `field_name` is one of `codes` or lies inside one of them.

    Name the code through the relation (`village__code`), not the foreign key column (`village_id`): Django
    allows no `startswith` on a foreign key, and it trims the join since `code` is the Region's primary key.
    """
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{field_name: code}) | Q(**{f"{field_name}__startswith": code + "."})
    return q


def village_code_q(field_name: str, codes: frozenset[str] | set[str]) -> Q:
    """`region_code_q` for a field that only ever holds a village's code (a client's village): a village code
    (four parts, 62.06.02.1003) matches itself, an area's code matches by its prefix alone, one range condition
    per area that an index on the field answers by itself (an index-only scan of a province's 100,000 clients
    on the national set), where `= '33' OR LIKE '33.%'` had PostgreSQL OR two bitmaps and visit every row."""
    q = Q(pk__in=[])
    for code in codes:
        if code.count(".") == VILLAGE_CODE_DOTS:
            q |= Q(**{field_name: code})
        else:
            q |= Q(**{f"{field_name}__startswith": code + "."})
    return q


def scope_fingerprint(user: User, *, length: int = 12) -> str:
    """A short hash of what the user may see (their active role assignments, as `scope_for` reads them).

    The sync feed carries it in its cursor: when it differs on the next call, the phone's set no longer matches
    the scope and no change log row says so.
    """
    scope = scope_for(user)
    text = repr(
        (
            scope.is_system_admin,
            sorted(scope.village_codes_volunteer),
            sorted(scope.village_codes_official),
            sorted(scope.area_codes),
            sorted(map(str, scope.staff_facility_ids)),
            sorted(map(str, scope.admin_facility_ids)),
            sorted(scope.roles),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def is_coordinator_of(*, user: User, village_code: str) -> bool:
    """A coordinator whose area holds the village, or a system admin: may assign or cancel cases there."""
    scope = scope_for(user)
    return scope.is_system_admin or bool(scope.area_codes and scope.covers_region(village_code))


def may_escalate(*, user: User) -> bool:
    """Volunteers and village officials escalate (for clients whose full record they see); system admins too."""
    scope = scope_for(user)
    return scope.is_system_admin or scope.is_field_worker
