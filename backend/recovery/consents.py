"""Consent events: given or withdrawn, per scope (data collection, contacting family, referral).

Append-only; the latest event per (client, scope) is in force (selectors.consent_in_force). A minor (under 18
on the day) can only be given consent for by a guardian: a family member linked to the client with the
guardian role. With only a birth year we cannot tell an 18-year-old from a 17-year-old, so a client who may
still be under 18 counts as a minor (record the birth date to settle it). Withdrawing is always accepted,
from the client or a guardian: stopping processing never needs more than asking.

Withdrawing data-collection consent stops all processing of the client (UU 27/2022; DOMAIN.md, Privacy): the
row is marked `consent_withdrawn_at`, which takes the client out of every phone and every scope but the area
coordinators' (backend/access/policy.py), out of every sweep, and refuses every write (409 `consent_withdrawn`)
until a new data-collection consent is recorded. While withdrawn, only that consent, or further withdrawals, are
accepted here. An erased client (backend/privacy/erasure.py) takes no consent at all: 409 `client_erased`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.common.errors import (
    ClientErased,
    ConsentWithdrawnError,
    ErrorDetail,
    FieldErrors,
    ValidationFailed,
)
from backend.common.events import publish
from backend.recovery.codes import village_today
from backend.recovery.events import ConsentWithdrawn
from backend.recovery.models import Client, ClientFamilyLink, Consent, ConsentScope, FamilyRole
from backend.recovery.texts import text_clean
from backend.sync.changelog import change_record

ADULT_AGE = 18


def client_is_minor(*, client: Client, on: date | None = None) -> bool:
    """Under 18 on `on` (today); with only a birth year: if they may still be under 18."""
    day = on or village_today(client.village)
    if client.birth_date:
        born = client.birth_date
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return age < ADULT_AGE
    if client.birth_year:
        return day.year - client.birth_year <= ADULT_AGE
    return True  # unknown age: ask for a guardian rather than risk a minor's consent


def _guardian_required(field: str) -> ValidationFailed:
    return ValidationFailed(
        _("Klien di bawah umur: persetujuan harus diberikan oleh wali yang terhubung."),
        code="guardian_consent_required",
        details=[ErrorDetail(field, "guardian_consent_required", _("Wali yang terhubung diperlukan."))],
    )


def _guardian_not_linked() -> ValidationFailed:
    """Consent given "by a guardian" who is not a guardian linked to the client (whatever the client's age)."""
    return ValidationFailed(
        _("Wali tidak ditemukan: pilih anggota keluarga berperan wali yang terhubung dengan klien."),
        code="guardian_not_linked",
        details=[
            ErrorDetail("guardian_id", "guardian_not_linked", _("Bukan wali yang terhubung dengan klien."))
        ],
    )


def consent_record(
    *,
    actor: User,
    client: Client,
    scope: str,
    given: bool,
    given_by: str = "client",
    guardian_id: uuid.UUID | None = None,
    note: str = "",
) -> Consent:
    """Record one consent event for `client` (already scope-checked by the caller)."""
    if scope not in ConsentScope.values:
        raise ValidationFailed(details=[ErrorDetail("scope", "invalid_choice", _("Cakupan tidak dikenal."))])
    if given_by not in ("client", "guardian"):
        raise ValidationFailed(
            details=[ErrorDetail("given_by", "invalid_choice", _("Pilih client atau guardian."))]
        )
    errors = FieldErrors()
    note = text_clean(note, field="note", max_length=1000, errors=errors)
    errors.raise_if_any()
    with transaction.atomic():
        # The client row lock orders events of one client, so "latest" is never a tie.
        locked = Client.objects.select_for_update().get(id=client.id)
        if locked.erased_at is not None:
            raise ClientErased()
        reopens = scope == ConsentScope.DATA_COLLECTION and given
        if locked.consent_withdrawn_at is not None and given and not reopens:
            raise ConsentWithdrawnError()
        if given_by == "guardian" or (given and client_is_minor(client=locked)):
            if given_by != "guardian":
                raise _guardian_required("given_by")
            is_guardian = (
                guardian_id
                and ClientFamilyLink.objects.filter(
                    client_id=client.id,
                    member_id=guardian_id,
                    member__role=FamilyRole.GUARDIAN,
                    unlinked_at__isnull=True,
                ).exists()
            )
            if not is_guardian:
                # A minor's consent needs a guardian; an adult's consent said to come from a guardian names one
                # who is not linked: the message says which, not "under age" to an adult.
                raise (
                    _guardian_required("guardian_id")
                    if client_is_minor(client=locked)
                    else _guardian_not_linked()
                )
        now = timezone.now()
        last = (
            Consent.objects.filter(client_id=client.id)
            .order_by("-recorded_at")
            .values_list("recorded_at", flat=True)
            .first()
        )
        if last is not None and last >= now:
            now = last + timedelta(microseconds=1)
        consent = Consent.objects.create(
            client_id=client.id,
            scope=scope,
            given=given,
            given_by=given_by,
            guardian_id=guardian_id if given_by == "guardian" else None,
            recorded_by=actor,
            recorded_at=now,
            note=note,
        )
        withdrawn_at = locked.consent_withdrawn_at
        if scope == ConsentScope.DATA_COLLECTION:
            withdrawn_at = None if given else (withdrawn_at or now)
        Client.objects.filter(id=client.id).update(
            updated_at=timezone.now(), consent_withdrawn_at=withdrawn_at
        )
        client.consent_withdrawn_at = withdrawn_at
        change_record(
            entity="client", entity_id=client.id, village_code=locked.village_id, client_id=client.id
        )
        if not given:
            # Others react inside this transaction (a withdrawn referral calls off the cases staff have not taken).
            publish(ConsentWithdrawn(client_id=client.id, scope=scope, actor=actor))
    return consent
