"""Every error the API answers, in API.md's one shape:
{"error": {"code": "...", "message": "...", "details": [{"field", "code", "message"}]}}.

Messages are Bahasa Indonesia unless the request asks for English (LocaleMiddleware activates it).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from backend.common.errors import DomainError, DuplicateClient, RateLimited, StaleVersion
from backend.reads.clients import client_stale_answer, duplicate_answer
from backend.reads.escalations import escalation_stale_answer

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5  # what a 503 asks the phone to wait before retrying


HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    503: "service_unavailable",
    415: "unsupported_media_type",
}


def error_body(
    code: str, message: Any, details: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": str(message), "details": details or []}}
    body.update(extra)
    return body


def error_response(
    status: int, code: str, message: Any, details: list[dict[str, str]] | None = None, **extra: Any
) -> JsonResponse:
    return JsonResponse(error_body(code, message, details, **extra), status=status)


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja locations look like ("body", "payload", "visits", 3, "client_id"): keep the part the client sent.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "form", "cookie")]
    return ".".join(parts) or "body"


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return _("Wajib diisi.")
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return _("Format atau tipe nilai tidak valid.")
    if "too_long" in kind or "too_short" in kind:
        return _("Panjang nilai tidak sesuai.")
    return _("Nilai tidak valid.")


def _answer_for_reader(request: HttpRequest, exc: DomainError) -> DomainError:
    """The errors whose answer depends on who asks, completed by the read side (the domain raising them does not
    know who may see what): a stale edit carries the record as the caller sees it now; a duplicate names the
    existing client only to a caller who may see it. The transaction of the request is undone by now, so the
    reads see what is committed."""
    user = getattr(request, "auth", None)
    if user is None:
        return exc
    if isinstance(exc, StaleVersion) and exc.entity == "client":
        exc.extra["current"] = client_stale_answer(
            user=user, client_id=exc.entity_id, endpoint="PATCH /clients/{id}"
        )
    elif isinstance(exc, StaleVersion) and exc.entity == "escalation":
        exc.extra["current"] = escalation_stale_answer(user=user, escalation_id=exc.entity_id)
    elif isinstance(exc, DuplicateClient):
        return duplicate_answer(user=user, duplicate=exc)
    return exc


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        exc = _answer_for_reader(request, exc)
        response = error_response(
            exc.status, exc.code, exc.message, [d.as_dict() for d in exc.details], **exc.extra
        )
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = [
            {
                "field": _field_path(e.get("loc", ())),
                "code": str(e.get("type", "invalid")),
                "message": _validation_message(e),
            }
            for e in exc.errors
        ]
        return error_response(422, "validation_error", _("Data tidak valid."), details)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "unauthenticated", _("Autentikasi diperlukan atau token tidak berlaku."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Data tidak ditemukan."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja raises these with English text of its own (e.g. "Cannot parse request body"): answer in the
        # request's language with a stable code, and keep ninja's text as a detail for developers.
        status = exc.status_code
        code = HTTP_ERROR_CODES.get(status, "error")
        messages = {
            400: _("Isi permintaan tidak dapat dibaca. Kirim JSON yang valid."),
            401: _("Autentikasi diperlukan atau token tidak berlaku."),
            403: _("Anda tidak berwenang melakukan tindakan ini."),
            404: _("Data tidak ditemukan."),
            405: _("Metode HTTP ini tidak didukung untuk alamat ini."),
        }
        detail = [{"field": "body" if status == 400 else "", "code": code, "message": str(exc.message)}]
        return error_response(status, code, messages.get(status, _("Permintaan tidak valid.")), detail)

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value PostgreSQL refuses (too long, out of range) that validation should have caught: the
        # transaction is rolled back, so answer 422 rather than 500, and log it so the validation gets fixed.
        logger.warning("DataError reached the API on %s %s: %s", request.method, request.path, exc)
        return error_response(422, "invalid_data", _("Data tidak valid."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit_mb = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // (1024 * 1024)
        return error_response(
            413, "payload_too_large", _("Kiriman terlalu besar (paling besar %(mb)d MB).") % {"mb": limit_mb}
        )

    @api.exception_handler(OperationalError)
    def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # PostgreSQL restarting, unreachable, or out of connections: nothing was committed (the transaction
        # died with the connection), so the phone may safely retry the same request a little later.
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        response = error_response(
            503, "service_unavailable", _("Layanan sedang tidak tersedia. Coba lagi sebentar lagi.")
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    api.exception_handler(InterfaceError)(database_unavailable)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", _("Terjadi kesalahan pada server. Coba lagi nanti."))


def django_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(404, "not_found", _("Alamat tidak ditemukan."))


def django_500(request: HttpRequest) -> HttpResponse:
    return error_response(500, "internal_error", _("Terjadi kesalahan pada server. Coba lagi nanti."))
