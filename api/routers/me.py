"""GET /me: the signed-in user, their roles, the areas and facilities they cover, their certificates and the
channels they can be reached on; PATCH /me/channels: their WhatsApp / SMS opt-in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from api.auth import current_user
from api.schemas.accounts import ChannelsIn, ChannelsOut, ErrorOut, MeWithChannelsOut
from backend.accounts.selectors import user_profile
from notifications.selectors import channel_status_for
from notifications.services import channel_preference_set

router = Router()


@router.get("/me", response={200: MeWithChannelsOut, 401: ErrorOut}, summary="Pengguna yang sedang masuk")
def get_me(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    # backend.accounts imports no notifications (contract accounts-below-domains): the API joins the two.
    return {**user_profile(user=user), "channels": channel_status_for(user=user)}


@router.patch(
    "/me/channels",
    response={200: ChannelsOut, 401: ErrorOut, 422: ErrorOut},
    summary="Atur kanal WhatsApp / SMS",
    url_name="update_my_channels",
)
def update_my_channels(request: HttpRequest, payload: ChannelsIn) -> dict[str, bool]:
    """Opt in to (true) or out of (false) WhatsApp and SMS at your own phone number; a channel left out stays
    as it is. They are used only when a push goes unseen (an urgent offer not opened in time, the daily
    digest without a working push token) and carry no client data."""
    user = current_user(request)
    changes = payload.dict(exclude_unset=True)
    channel_preference_set(user=user, whatsapp=changes.get("whatsapp"), sms=changes.get("sms"))
    return channel_status_for(user=user)
