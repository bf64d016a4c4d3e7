"""The caller's IP address, for the per-address sign-in limit and the session record.

Without a proxy (TRUSTED_PROXY_COUNT = 0) it is REMOTE_ADDR: X-Forwarded-For is whatever the caller wants it
to be. Behind N trusted proxies, each appends the address it received the request from, so the client is the
address N hops from the right; anything further left was written by the caller and is ignored. A header
shorter than that, or not an IP address, means the proxy chain is not what the setting says: REMOTE_ADDR then.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _valid_ip(forwarded[-hops]) or remote
