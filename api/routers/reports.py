"""The monthly monitoring report: JSON, or a CSV / XLSX download."""

from __future__ import annotations

import uuid
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from api.auth import current_user
from api.schemas.accounts import ErrorOut
from api.schemas.base import MONTH_PATTERN
from api.schemas.reports import IpwlRecapOut, MonthlyReportOut, PostRehabQuotaOut
from backend.reports.exports import CONTENT_TYPES, report_csv, report_filename, report_json, report_xlsx
from backend.reports.ipwl import ipwl_filename, ipwl_recap, ipwl_xlsx
from backend.reports.queries import monthly_report
from backend.reports.selectors import report_spec_for
from backend.reports.series import monthly_series, worker_rows
from backend.tasks.quota import post_rehab_quota

router = Router()
E = ErrorOut


class MonthlyQuery(Schema):
    month: str = Field(
        description="Bulan kalender YYYY-MM di zona waktu wilayah; paling lambat bulan ini.",
        # Documented, and checked by the service (422 `invalid_month`, with the other fields' problems).
        json_schema_extra={"pattern": MONTH_PATTERN},
    )
    area: str | None = Field(
        None, description="Kode Kemendagri wilayah; wajib kecuali untuk laporan fasilitas (`facility`)."
    )
    facility: uuid.UUID | None = Field(
        None,
        description="Admin fasilitas: hanya kasus yang diterima fasilitasnya; wilayah paling rinci kecamatan.",
    )
    format: Literal["json", "csv", "xlsx"] = Field("json", description="json, csv atau xlsx (unduhan).")


@router.get(
    "/monthly",
    response={200: MonthlyReportOut, 401: E, 403: E, 404: E, 422: E},
    summary="Laporan bulanan",
    url_name="monthly_report",
    # format=csv / format=xlsx answer a download instead of JSON: say so in the document.
    openapi_extra={
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def monthly(request: HttpRequest, query: Query[MonthlyQuery]):  # type: ignore[no-untyped-def]
    """Aggregates per child area (province: regencies, regency: districts, district: villages) with a total.
    403 `forbidden` for roles without reports; 404 for an area or facility outside one's scope; 422
    `area_too_small` for a facility admin's report of one village. In a report by village, for every reader
    below the system admin, counts of 1-4 are null (`hidden`: "<5") and so are the cells that would give them
    back through a total (`hidden`: "*"). JSON and XLSX add the 12-month series and the field workers."""
    spec = report_spec_for(
        user=current_user(request),
        area=query.area,
        month=query.month,
        facility_id=str(query.facility) if query.facility else None,
    )
    report = monthly_report(spec=spec)
    if query.format == "csv":
        body = report_csv(report=report)
    else:
        series, workers = monthly_series(spec=spec), worker_rows(spec=spec)
        if query.format == "json":
            return report_json(report=report, series=series, workers=workers)
        body = report_xlsx(report=report, series=series, workers=workers)
    response = HttpResponse(body, content_type=CONTENT_TYPES[query.format])
    filename = report_filename(report=report, ext=query.format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class QuotaQuery(Schema):
    area: str = Field(description="Kode Kemendagri wilayah (kabupaten/kota atau provinsi).")
    year: int = Field(
        ge=2000, le=9999, description="Tahun kalender di zona waktu wilayah; paling lambat tahun ini."
    )


@router.get(
    "/post-rehab-quota",
    response={200: PostRehabQuotaOut, 401: E, 403: E, 404: E, 422: E},
    summary="Kuota pascarehabilitasi",
    url_name="post_rehab_quota",
)
def post_rehab_quota_get(request: HttpRequest, query: Query[QuotaQuery]) -> dict:
    """The area's post-rehab places in the year (PostRehabQuota, set in the admin; null when none is set) and
    the clients who entered post-rehab that year in the area, each counted once. Who may ask: as for the monthly
    report (403 `forbidden` without a report role, 404 outside one's area)."""
    spec = report_spec_for(user=current_user(request), area=query.area, month=f"{query.year}-01")
    use = post_rehab_quota(area_code=spec.area.code, year=query.year, tz=spec.tz)  # type: ignore[union-attr]
    return {
        "area": use.area,
        "year": use.year,
        "places": use.places,
        "used": use.used,
        "remaining": use.remaining,
        "over": use.over,
    }


class IpwlQuery(Schema):
    month: str = Field(
        description="Bulan kalender YYYY-MM di zona waktu wilayah.",
        json_schema_extra={"pattern": MONTH_PATTERN},
    )
    area: str | None = Field(None, description="Kode Kemendagri wilayah (kabupaten/kota untuk laporan IPWL).")
    facility: uuid.UUID | None = Field(None, description="Admin fasilitas: hanya fasilitasnya.")
    format: Literal["json", "xlsx"] = Field("json", description="json atau xlsx (unduhan).")


@router.get(
    "/ipwl",
    response={200: IpwlRecapOut, 401: E, 403: E, 404: E, 422: E},
    summary="Rekap IPWL (PP 25/2011 pasal 18)",
    url_name="ipwl_recap",
    openapi_extra={
        "responses": {
            "200": {
                "description": "OK",
                "content": {CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def ipwl(request: HttpRequest, query: Query[IpwlQuery]):  # type: ignore[no-untyped-def]
    """Clients of the area whose outcome an IPWL facility recorded in the month: how many, by substance,
    duration and route of use, diagnosis (ICD-10, the facility's), treatment given and treatment history. Counts
    only, no identity. The same access as the monthly report."""
    spec = report_spec_for(
        user=current_user(request),
        area=query.area,
        month=query.month,
        facility_id=str(query.facility) if query.facility else None,
    )
    recap = ipwl_recap(spec=spec)
    if query.format == "json":
        return {
            "month": spec.month_label,
            "area": spec.area.code if spec.area else None,
            "handled": recap.handled,
            "tables": {
                k: [{"label": label, "count": n} for label, n in rows] for k, rows in recap.tables.items()
            },
        }
    response = HttpResponse(ipwl_xlsx(recap=recap), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{ipwl_filename(recap=recap)}"'
    return response
