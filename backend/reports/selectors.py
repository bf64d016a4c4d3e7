"""Who may ask for which monthly report, and the report's period: a calendar month in the area's time zone.

Reports are aggregates only (no names, NIK or per-client rows), so the rule is about areas, not clients:
- BNN coordinator: any area inside one of their own (province, regency, or anything below);
- system admin: any area, or the whole country (no area);
- facility admin: the cases their own facility took on (`facility=<id>`), in the whole country or an area down
  to a district, never a single village (422 `area_too_small` on `area`): a facility's cases in one village are
  few enough to point at people.
For every reader below the system admin a report whose rows are villages hides the small counts and the cells
that would give them back (backend/reports/suppression.py).
A user with none of these roles gets 403 `forbidden`; an area or facility outside a permitted user's reach
answers 404, exactly like a missing one. A coordinator (or system admin) asking for a facility's cases inside
their own area gets the plain report: they may see those clients one by one anyway.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.access.policy import may_read_reports, report_access, scope_for
from backend.accounts.models import User
from backend.common.errors import ErrorDetail, NotFound, PermissionDenied, ValidationFailed
from villages.models import Facility, Region

MONTH_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # fullmatch; [0-9]: ASCII digits only


@dataclass(frozen=True)
class ReportSpec:
    """What one monthly report covers: an area (None: the whole country), optionally one facility's cases,
    and the month as UTC bounds [start, end) of the calendar month in `tz`."""

    area: Region | None
    facility: Facility | None
    month: date  # the first day of the month
    tz: ZoneInfo
    start: datetime
    end: datetime
    # Every reader below the system admin: village rows hide counts of 1 to 4 (suppression.py).
    small_cells_hidden: bool = False

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")


def month_bounds(*, month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC [start, end) of the calendar month of `month` in `tz` (Indonesia has no daylight saving time)."""
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _month_parse(raw: str) -> date:
    match = MONTH_RE.fullmatch(raw or "")
    if match is None or int(match.group(1)) < 2000:
        raise ValidationFailed(
            details=[ErrorDetail("month", "invalid_month", _("Bulan harus berformat YYYY-MM."))]
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def _facility_get(*, facility_id: str | None) -> Facility | None:
    if not facility_id:
        return None
    try:
        fid = uuid.UUID(str(facility_id))
    except ValueError:
        raise NotFound(code="not_found") from None
    facility = Facility.objects.select_related("village").filter(id=fid).first()
    if facility is None:
        raise NotFound(code="not_found")
    return facility


def report_spec_for(
    *, user: User, area: str | None, month: str, facility_id: str | None = None
) -> ReportSpec:
    """Check that `user` may have this report and resolve its area, facility and period. Raises 403, 404, 422."""
    if not may_read_reports(user=user):
        raise PermissionDenied(_("Anda tidak memiliki akses ke laporan."))
    first_day = _month_parse(month)
    region = None
    if area:
        region = Region.objects.filter(code=area).first()
        if region is None:
            raise NotFound(code="not_found")
    facility = _facility_get(facility_id=facility_id)
    if facility is None and region is None and not scope_for(user).is_system_admin:
        raise ValidationFailed(details=[ErrorDetail("area", "required", _("Wajib diisi."))])
    access = report_access(user=user, region=region, facility=facility)
    if not access.allowed:
        raise NotFound(code="not_found")
    if access.too_small:
        raise ValidationFailed(
            details=[
                ErrorDetail(
                    "area",
                    "area_too_small",
                    _("Laporan fasilitas paling rinci per kecamatan, tidak per desa."),
                )
            ]
        )
    if facility is not None and region is None:
        tz_name = facility.village.timezone
    elif region is not None:
        tz_name = region.timezone
    else:
        tz_name = settings.TIME_ZONE
    tz = ZoneInfo(tz_name)
    today = timezone.now().astimezone(tz).date()
    if (first_day.year, first_day.month) > (today.year, today.month):
        raise ValidationFailed(
            details=[
                ErrorDetail("month", "month_in_future", _("Bulan laporan tidak boleh setelah bulan ini."))
            ]
        )
    start, end = month_bounds(month=first_day, tz=tz)
    return ReportSpec(
        area=region,
        facility=facility,
        month=first_day,
        tz=tz,
        start=start,
        end=end,
        small_cells_hidden=access.small_cells_hidden,
    )
