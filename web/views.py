"""The pages of the web view. Each takes the signed-in user's scope from backend.access (through the report
selectors and backend/reports/overview.py): an area outside it answers 404, a user without reports 403."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backend.access.policy import may_read_reports, report_access, scope_for
from backend.accounts.client_ip import client_ip
from backend.accounts.models import User
from backend.accounts.services import ClientInfo, auth_password_user
from backend.accounts.sign_in_gate import (
    SIGN_IN_BUSY_MESSAGE,
    SIGN_IN_RETRY_AFTER_SECONDS,
    password_check_slot,
)
from backend.common.errors import DomainError, NotFound, PermissionDenied
from backend.escalations.services.assignment import escalation_assign
from backend.reads.escalations import escalation_require_in_scope
from backend.reports.exports import CONTENT_TYPES, report_csv, report_filename, report_xlsx
from backend.reports.ipwl import ipwl_filename, ipwl_recap, ipwl_xlsx
from backend.reports.overview import map_data, slipping_clients, waiting_cases
from backend.reports.queries import monthly_report
from backend.reports.selectors import ReportSpec, report_spec_for
from backend.reports.series import monthly_series, worker_rows
from villages.models import Region
from web.forms import AssignForm, SignInForm
from web.tables import figure_table, headline, series_chart


def reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the sign-in page) and allowed reports (coordinator, facility admin, system admin)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('web:login')}?next={request.get_full_path()}")
        if not may_read_reports(user=request.user):  # type: ignore[arg-type]
            return render(request, "web/forbidden.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            return render(request, "web/forbidden.html", status=403)

    return wrapped


def _area_and_facility(request: HttpRequest) -> tuple[str | None, str | None]:
    """The area (and a facility admin's facility) asked for, else the reader's own: a coordinator's first
    area, a facility admin's facility (nationwide), the whole country for the system admin."""
    scope = scope_for(request.user)  # type: ignore[arg-type]
    area = request.GET.get("area") or None
    facility = request.GET.get("facility") or None
    if area is None and facility is None and not scope.is_system_admin:
        if scope.area_codes:
            area = sorted(scope.area_codes)[0]
        elif scope.admin_facility_ids:
            facility = str(sorted(scope.admin_facility_ids, key=str)[0])
    return area, facility


def _area(user: User, code: str | None) -> Region | None:
    """The region `code` if the reader may have its report (backend.access.report_access), else 404."""
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None or not report_access(user=user, region=region, facility=None).allowed:
        raise Http404
    return region


def _month(request: HttpRequest, area_code: str | None) -> str:
    raw = request.GET.get("month")
    if raw:
        return raw
    region = Region.objects.filter(code=area_code).first() if area_code else None
    tz = ZoneInfo(region.timezone if region else settings.TIME_ZONE)
    return timezone.now().astimezone(tz).strftime("%Y-%m")


def _spec(request: HttpRequest) -> ReportSpec:
    area, facility = _area_and_facility(request)
    return report_spec_for(
        user=request.user,  # type: ignore[arg-type]
        area=area,
        month=_month(request, area),
        facility_id=facility,
    )


def _query(spec: ReportSpec) -> str:
    parts = [f"month={spec.month_label}"]
    if spec.area is not None:
        parts.append(f"area={spec.area.code}")
    if spec.facility is not None:
        parts.append(f"facility={spec.facility.id}")
    return "&".join(parts)


# --- Sign-in -------------------------------------------------------------------------------------------------------


def sign_in(request: HttpRequest) -> HttpResponse:
    """Phone and password, the same check and rate limits as POST /auth/login; then a session."""
    form = SignInForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("web:home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("web:home")
    status = 200
    if request.method == "POST" and form.is_valid():
        info = ClientInfo(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        with password_check_slot() as free:  # the API's gate: sign-ins must not block sync
            if not free:
                form.add_error(None, str(SIGN_IN_BUSY_MESSAGE))
                status = 503
            else:
                try:
                    user = auth_password_user(
                        phone=form.cleaned_data["phone"], password=form.cleaned_data["password"], client=info
                    )
                except DomainError as error:
                    form.add_error(None, str(error.message))
                else:
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                    return redirect(next_url)
    response = render(request, "web/login.html", {"form": form, "next": next_url}, status=status)
    if status == 503:
        response["Retry-After"] = str(SIGN_IN_RETRY_AFTER_SECONDS)
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:report")


# --- The monthly report -------------------------------------------------------------------------------------------


@reader_required
def report(request: HttpRequest) -> HttpResponse:
    try:
        spec = _spec(request)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, " ".join(str(d.message) for d in error.details) or str(error.message))
        return render(request, "web/report.html", {"spec": None}, status=error.status)
    result = monthly_report(spec=spec)
    series = monthly_series(spec=spec)
    return render(
        request,
        "web/report.html",
        {
            "spec": spec,
            "report": result,
            "headline": headline(result),
            "table": figure_table(result),
            "series": series_chart(series),
            "workers": worker_rows(spec=spec),
            "query": _query(spec),
            "drill": spec.area is None or spec.area.level != "village",
        },
    )


@reader_required
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    spec = _spec(request)
    result = monthly_report(spec=spec)
    if fmt == "csv":
        body = report_csv(report=result)
    else:
        body = report_xlsx(report=result, series=monthly_series(spec=spec), workers=worker_rows(spec=spec))
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report=result, ext=fmt)}"'
    return response


@reader_required
def ipwl_download(request: HttpRequest) -> HttpResponse:
    """The IPWL recap (PP 25/2011 art. 18) of the report's area and month, as XLSX."""
    recap = ipwl_recap(spec=_spec(request))
    response = HttpResponse(ipwl_xlsx(recap=recap), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{ipwl_filename(recap=recap)}"'
    return response


# --- Escalations waiting, clients slipping away ---------------------------------------------------------------------


@reader_required
def escalations(request: HttpRequest) -> HttpResponse:
    area_code, _facility = _area_and_facility(request)
    area = _area(request.user, area_code)  # type: ignore[arg-type]
    cases = waiting_cases(user=request.user, area=area)  # type: ignore[arg-type]
    return render(request, "web/escalations.html", {"area": area, "cases": cases})


@require_POST
@reader_required
def escalation_assign_view(request: HttpRequest, escalation_id: uuid.UUID) -> HttpResponse:
    """The coordinator's hand-assignment: the same service as POST /escalations/{id}/assign."""
    form = AssignForm(request.POST)
    back = reverse("web:escalations") + (f"?area={request.POST['area']}" if request.POST.get("area") else "")
    if not form.is_valid():
        messages.error(request, _("Pilih petugas yang akan ditugaskan."))
        return redirect(back)
    try:
        # The read side checks the case is in the reader's scope (404 else), as the API does before the service.
        escalation_require_in_scope(user=request.user, escalation_id=escalation_id)  # type: ignore[arg-type]
        esc = escalation_assign(
            escalation_id=escalation_id,
            actor=request.user,  # type: ignore[arg-type]
            staff_id=form.cleaned_data["staff_id"],
        )
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, " ".join(str(d.message) for d in error.details) or str(error.message))
    else:
        messages.success(
            request,
            _("Eskalasi klien %(code)s ditawarkan ke petugas pilihan Anda; menunggu jawabannya.")
            % {"code": esc.client.code},
        )
    return redirect(back)


@reader_required
def followup(request: HttpRequest) -> HttpResponse:
    area_code, _facility = _area_and_facility(request)
    area = _area(request.user, area_code)  # type: ignore[arg-type]
    clients = slipping_clients(user=request.user, area=area)  # type: ignore[arg-type]
    return render(request, "web/followup.html", {"area": area, "clients": clients})


# --- The map ------------------------------------------------------------------------------------------------------------


@reader_required
def area_map(request: HttpRequest) -> HttpResponse:
    area_code, _facility = _area_and_facility(request)
    area = _area(request.user, area_code)  # type: ignore[arg-type]
    return render(request, "web/map.html", {"area": area})


@reader_required
def area_map_data(request: HttpRequest) -> HttpResponse:
    area_code, _facility = _area_and_facility(request)
    area = _area(request.user, area_code)  # type: ignore[arg-type]
    if area is None:
        raise Http404
    return JsonResponse(map_data(user=request.user, area=area))  # type: ignore[arg-type]
