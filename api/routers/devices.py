"""POST /devices, DELETE /devices/{token}: the FCM tokens of the signed-in user's phones."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from api.auth import current_user
from api.schemas.accounts import ErrorOut
from api.schemas.notifications import DeviceIn, DeviceOut
from notifications.devices import device_delete, device_register

router = Router()
E = ErrorOut


@router.post(
    "/devices",
    response={200: DeviceOut, 201: DeviceOut, 401: E, 422: E},
    summary="Daftarkan atau perbarui token FCM",
    url_name="register_device",
)
def register_device(request: HttpRequest, payload: DeviceIn) -> Status:
    """Idempotent: 201 for a new token, 200 when refreshing one (a token last seen under another account
    moves to this one). The app calls it at start and whenever FCM rotates the token."""
    device, created = device_register(user=current_user(request), **payload.dict())
    return Status(201 if created else 200, device)


@router.delete(
    "/devices/{token}",
    response={204: None, 401: E, 404: E},
    summary="Hapus token FCM (keluar dari perangkat)",
    url_name="delete_device",
)
def delete_device(request: HttpRequest, token: str) -> Status:
    """Only the caller's own tokens; any other answers 404."""
    device_delete(user=current_user(request), token=token)
    return Status(204, None)
