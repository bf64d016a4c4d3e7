"""The NinjaAPI: one router per resource, auth set once, one error shape."""

from __future__ import annotations

from ninja import NinjaAPI

from api.auth import AccessTokenAuth
from api.errors import install_error_handlers
from api.routers import (
    auth,
    clients,
    contacts,
    devices,
    escalations,
    geography,
    health,
    me,
    notifications,
    reports,
    sync,
    tasks,
)

_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
# Answers every operation can give whatever its handler declares, added to the document in one place:
# a body that is not JSON (400), an id in the path that is not a UUID (422), and the guards of api/middleware.py.
_COMMON_ERRORS = {
    400: "Isi permintaan bukan JSON yang valid (bad_request).",
    422: "Data tidak valid (validation_error), termasuk id yang bukan UUID dan karakter NUL.",
}


class PulihAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for key in [
                    k for k in responses if isinstance(k, str) and k.isdigit() and int(k) in responses
                ]:
                    # openapi_extra keys responses by str, ninja by int: merge, so JSON gets one "200".
                    extra = responses.pop(key)
                    responses[int(key)].setdefault("content", {}).update(extra.get("content", {}))
                has_body = "requestBody" in operation
                has_params = any(p.get("in") in ("path", "query") for p in operation.get("parameters", []))
                for status, description in _COMMON_ERRORS.items():
                    needed = has_body if status == 400 else (has_body or has_params)
                    # ninja keys responses by int, openapi_extra by str: look for both.
                    declared = status in operation["responses"] or str(status) in operation["responses"]
                    if needed and not declared:
                        operation["responses"][status] = {"description": description, "content": _ERROR_REF}
        return schema


api = PulihAPI(
    title="Pulih API",
    version="1",
    description="Backend Pulih: intervensi berbasis masyarakat (IBM) untuk pemulihan pengguna narkoba.",
    auth=AccessTokenAuth(),
    urls_namespace="api",
)
install_error_handlers(api)

# One router per resource; a router that fails to import is a start-up error, not a missing feature.
for prefix, router, tag in [
    ("", health.router, "health"),
    ("/auth", auth.router, "auth"),
    ("", me.router, "me"),
    ("", geography.router, "geography"),
    ("", devices.router, "devices"),
    ("/notifications", notifications.router, "notifications"),
    ("/clients", clients.router, "clients"),
    ("/sync", sync.router, "sync"),
    ("/sync", contacts.router, "sync"),
    ("/escalations", escalations.router, "escalations"),
    ("/tasks", tasks.router, "tasks"),
    ("/reports", reports.router, "reports"),
]:
    api.add_router(prefix, router, tags=[tag])
