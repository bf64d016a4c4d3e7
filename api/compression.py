"""Compressed answers for the big reads a phone makes (GET /sync/changes), on the phone's request.

`compressed` wraps a view: Brotli (`br`, quality 1: a first sync of 4.2 MB of JSON becomes about 0.26 MB in a
fifth of the time gzip takes) when the request's Accept-Encoding names it, else Django's gzip (GZipMiddleware,
level 6, about 0.34 MB), else the JSON as it is. `Vary: Accept-Encoding` either way.

BREACH (a secret guessed from the size of compressed answers that also reflect attacker-chosen text) needs the
victim's browser to send the requests by itself, with its cookies. Only views read with the bearer token the
app adds are wrapped, never an answer that carries a secret (sign-in, tokens: /auth) or a cookie-authenticated
page (the web view); Django's gzip adds random bytes to each answer besides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import brotli
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.gzip import gzip_page

BROTLI_QUALITY = 1
_MIN_SIZE = 200  # bytes: below this, compression does not pay (Django's gzip uses the same)


def accepts(request: HttpRequest, coding: str) -> bool:
    """Does the request's Accept-Encoding name `coding` with a non-zero weight?"""
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _sep, params = part.strip().partition(";")
        if name.strip().lower() == coding:
            weight = params.strip().lower().removeprefix("q=")
            try:
                return not params or float(weight) > 0
            except ValueError:
                return False
    return False


def _brotli(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("Accept-Encoding",))
    if response.streaming or response.has_header("Content-Encoding") or len(response.content) < _MIN_SIZE:
        return response
    packed = brotli.compress(response.content, quality=BROTLI_QUALITY)
    if len(packed) >= len(response.content):
        return response
    response.content = packed
    response["Content-Length"] = str(len(packed))
    response["Content-Encoding"] = "br"
    if (etag := response.get("ETag")) and etag.startswith('"'):
        response["ETag"] = "W/" + etag  # the body changed, its meaning did not
    return response


def compressed(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view's answer in Brotli or gzip, as the request accepts (see the module docstring)."""
    gzipped = gzip_page(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if accepts(request, "br"):
            return _brotli(view(request, *args, **kwargs))
        return gzipped(request, *args, **kwargs)

    return wrapper
