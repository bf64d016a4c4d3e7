"""Guards in front of the API that no schema can express, so bad input never reaches PostgreSQL as a 500.

1. A NUL character (U+0000) in the path, the query or a JSON body is refused with 422: PostgreSQL cannot store
   it in text or jsonb and would answer with a DataError deep inside a service.
2. A body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 `payload_too_large` in the error shape, whichever
   endpoint it was sent to (Django raises RequestDataTooBig when the body is first read: here, or in ninja).
3. Responses under /api/ that are errors but not JSON (Django's or ninja's 405, a 413 from the upload limit) are
   rewritten into the API's one error shape, so the app can always read `error.code`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from api.errors import HTTP_ERROR_CODES, error_response

API_PREFIX = "/api/"
# Batch uploads judge each item on its own (one bad visit must not refuse the others): they check NUL per item.
PER_ITEM_BODY_PATHS = frozenset({"/api/v1/sync/visits"})
# A JSON string escape for NUL: \u0000 preceded by an even number of backslashes (so not a literal "\\u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _has_nul(request: HttpRequest) -> str | None:
    """The part of the request that carries a NUL character, or None."""
    if "\x00" in request.path:
        return "path"
    if "\x00" in request.META.get("QUERY_STRING", "") or any("\x00" in v for v in request.GET.values()):
        return "query"
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.path not in PER_ITEM_BODY_PATHS:
        body = request.body
        if b"\x00" in body or _JSON_NUL.search(body):
            return "body"
    return None


def _message_for(status: int) -> str:
    if status == 405:
        return _("Metode HTTP ini tidak didukung untuk alamat ini.")
    if status == 413:
        return _("Kiriman terlalu besar.")
    if status >= 500:
        return _("Terjadi kesalahan pada server. Coba lagi nanti.")
    return _("Permintaan tidak valid.")


def _declared_too_big(request: HttpRequest) -> bool:
    """A Content-Length over the limit is refused before a byte of the body is read."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit


def payload_too_large() -> HttpResponse:
    limit_mb = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // (1024 * 1024)
    return error_response(
        413, "payload_too_large", _("Kiriman terlalu besar (paling besar %(mb)d MB).") % {"mb": limit_mb}
    )


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            if _declared_too_big(request):
                raise RequestDataTooBig
            where = _has_nul(request)
        except RequestDataTooBig:
            return payload_too_large()
        if where is not None:
            return error_response(
                422,
                "validation_error",
                _("Data tidak valid."),
                [{"field": where, "code": "nul_character", "message": _("Karakter NUL tidak diizinkan.")}],
            )
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            rewritten = error_response(
                response.status_code,
                HTTP_ERROR_CODES.get(
                    response.status_code, "error" if response.status_code < 500 else "internal_error"
                ),
                _message_for(response.status_code),
            )
            if response.has_header("Allow"):
                rewritten["Allow"] = response["Allow"]
            return rewritten
        return response
