"""The NinjaAPI: one router per resource, auth set once, one error shape."""

from __future__ import annotations

import importlib

from ninja import NinjaAPI

from api.auth import AccessTokenAuth
from api.errors import install_error_handlers

api = NinjaAPI(
    title="Pulih API",
    version="1",
    description="Backend Pulih: intervensi berbasis masyarakat (IBM) untuk pemulihan pengguna narkoba.",
    auth=AccessTokenAuth(),
    urls_namespace="api",
)
install_error_handlers(api)

# (module under api.routers, URL prefix). Each module exposes `router`.
ROUTERS = [
    ("health", ""),
    ("auth", "/auth"),
    ("me", ""),
    ("geography", ""),
    ("devices", ""),
    ("notifications", "/notifications"),
    ("clients", "/clients"),
    ("sync", "/sync"),
    ("escalations", "/escalations"),
    ("tasks", "/tasks"),
    ("reports", "/reports"),
]

for module_name, prefix in ROUTERS:
    try:
        module = importlib.import_module(f"api.routers.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"api.routers.{module_name}":
            raise
        continue  # router not written yet
    api.add_router(prefix, module.router, tags=[module_name])
