"""The post-rehab places of an area in a year, set against its quota (PostRehabQuota: e.g. BNNP Riau, 2024, 20
clients). A place is taken by each client who entered post-rehab that calendar year (the area's time zone),
counted once however often they entered; the client's village must be inside the area. Coordinators read it at
GET /reports/post-rehab-quota (api/routers/reports.py), with the monthly report's access rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from backend.recovery.lifecycle import ClientStatus
from backend.recovery.models import ClientStatusChange
from backend.tasks.models import PostRehabQuota


@dataclass(frozen=True)
class QuotaUse:
    area: str
    year: int
    places: int | None  # None: no quota set for the area and year
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.places is None else self.places - self.used

    @property
    def over(self) -> bool:
        return self.places is not None and self.used > self.places


def post_rehab_quota(*, area_code: str, year: int, tz: ZoneInfo) -> QuotaUse:
    """The area's quota for `year` and the clients who entered post-rehab in it (two queries)."""
    start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
    used = (
        ClientStatusChange.objects.filter(
            to_status=ClientStatus.POST_REHAB,
            at__gte=start,
            at__lt=end,
            client__village__code__startswith=area_code + ".",
        )
        .values("client_id")
        .distinct()
        .count()
    )
    places = (
        PostRehabQuota.objects.filter(region_id=area_code, year=year).values_list("places", flat=True).first()
    )
    return QuotaUse(area=area_code, year=year, places=places, used=used)
