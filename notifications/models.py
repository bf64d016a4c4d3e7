"""Devices (FCM tokens) and the inbox. A Notification row is also the push outbox: it is written in the same
transaction as the event that caused it, and `push_state` says whether FCM still has to be told."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    token = models.CharField(max_length=4096, unique=True)
    platform = models.CharField(max_length=16, default="android")
    app_version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("perangkat")
        verbose_name_plural = _("perangkat")


class PushState(models.TextChoices):
    PENDING = "pending", _("Menunggu dikirim")
    SENDING = "sending", _("Sedang dikirim")  # claimed by a worker until push_next_attempt_at (a lease)
    SENT = "sent", _("Terkirim")
    FAILED = "failed", _("Gagal")
    SKIPPED = "skipped", _("Tidak dikirim")  # no device, or push disabled


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    # The event that caused it: with the recipient, unique, so one event never notifies (or pushes) twice.
    event_key = models.CharField(max_length=160)
    title = models.CharField(max_length=200)
    body = models.TextField()
    # Ids the app needs to open the right screen. Never a client's name, NIK or health detail.
    data = models.JSONField(default=dict)
    priority = models.CharField(max_length=8, default="normal")  # normal | high
    ttl_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    push_state = models.CharField(max_length=8, choices=PushState.choices, default=PushState.PENDING)
    push_attempts = models.PositiveSmallIntegerField(default=0)
    push_next_attempt_at = models.DateTimeField(default=timezone.now)
    push_last_error = models.CharField(max_length=200, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], name="notification_once_per_event")
        ]
        indexes = [
            models.Index(fields=["push_state", "push_next_attempt_at"], name="notification_outbox_idx"),
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
        ]


# --- The second channel: WhatsApp and SMS when a push goes unseen (notifications/channels) ------------------


class ChannelPreference(models.Model):
    """Which second channels a staff member agreed to be reached on, at their own phone number (User.phone).
    No row means no opt-in: nothing goes out by WhatsApp or SMS unless the person chose it in the app."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="channel_preference",
    )
    whatsapp_opt_in = models.BooleanField(default=False)
    sms_opt_in = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("preferensi kanal")
        verbose_name_plural = _("preferensi kanal")

    def opted_in(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_opt_in", False))


class ChannelMessageState(models.TextChoices):
    PENDING = "pending", _("Menunggu dikirim")
    SENDING = "sending", _("Sedang dikirim")  # claimed by a worker until next_attempt_at (a lease)
    SENT = "sent", _("Terkirim")
    FAILED = "failed", _("Gagal")
    SKIPPED = "skipped", _("Tidak dikirim")  # opened or answered in time, opted out, expired, no phone


class ChannelMessage(models.Model):
    """One WhatsApp or SMS message to a staff member, and what became of it (its own outbox row).

    The text is neutral and fixed per `kind` (notifications.texts.CHANNEL_TEXTS): nothing about any client is
    stored or sent. `last_error` holds a code only (e.g. WA_131026, HTTP_503, ConnectError), never a
    provider's message text, which may echo the phone number back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_messages"
    )
    channel = models.CharField(max_length=16)  # whatsapp | sms
    kind = models.CharField(max_length=40)  # urgent_offer_unanswered | daily_digest
    # What it is about, e.g. "urgent:<notification id>" or "digest:2026-11-24": with recipient and channel,
    # unique, so a rerun of a sweep never sends twice on a channel.
    event_key = models.CharField(max_length=200)
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="channel_messages"
    )
    state = models.CharField(
        max_length=8, choices=ChannelMessageState.choices, default=ChannelMessageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Not sent by then, not sent at all (an offer's deadline, the end of a digest's day).
    expires_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    last_error = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pesan kanal kedua")
        verbose_name_plural = _("pesan kanal kedua")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel", "event_key"], name="channel_message_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="channel_message_outbox_idx")]
