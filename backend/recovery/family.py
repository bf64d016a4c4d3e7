"""Family members and their links to clients. Link and unlink are kept as history (ClientFamilyLink rows are
never deleted: unlinking sets unlinked_at/by). Members are made on the phone with their own UUID, so a retried
upload finds the member it already made instead of making a second one.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.audit.services import access_log_record
from backend.common.errors import Conflict, ErrorDetail, FieldErrors, NotFound, ValidationFailed
from backend.recovery.corrections import REASON_MAX_LENGTH, corrections_record, member_values
from backend.recovery.models import Client, ClientFamilyLink, CorrectionEntity, FamilyMember, FamilyRole
from backend.recovery.records import family_member_record
from backend.recovery.selectors import consent_in_force
from backend.recovery.services import phone_or_blank
from backend.recovery.texts import text_clean
from backend.sync.changelog import change_record


def _member_visible(*, client: Client, member: FamilyMember, clients_in_full_view: QuerySet[Client]) -> bool:
    """An existing member may be linked to `client` (whose full record the caller has) again, if they were
    linked to it before, or by someone with the full record of a client the member is linked to now
    (`clients_in_full_view`: access.client_full_qs_for of the caller). Not through the minimal view (a staff
    member only offered a case sees no family) nor another client's ended link: either would let the caller
    pull the member, phone and all, onto a client of their own."""
    links = ClientFamilyLink.objects.filter(member_id=member.id)
    if links.filter(client_id=client.id).exists():
        return True
    linked = links.filter(unlinked_at__isnull=True).values("client_id")
    return clients_in_full_view.filter(id__in=linked).exists()


def _record_change(client: Client, member: FamilyMember) -> None:
    change_record(
        entity="family_member", entity_id=member.id, village_code=client.village_id, client_id=client.id
    )


def family_member_link(
    *,
    actor: User,
    client: Client,
    member_id: uuid.UUID,
    fields: dict[str, Any],
    clients_in_full_view: QuerySet[Client],
) -> tuple[FamilyMember, ClientFamilyLink, bool]:
    """Create the member (if new) and link it to `client` (whose full record the caller checked `actor` sees).
    Returns (member, link, created_link). An existing member links only through `clients_in_full_view` (the
    caller's access.client_full_qs_for), see `_member_visible`.

    Idempotent: a member already linked to this client is returned as it is (the retry of an upload).
    """
    with transaction.atomic():
        Client.objects.select_for_update().filter(
            id=client.id
        ).first()  # one link change per client at a time
        member = FamilyMember.objects.filter(id=member_id).first()
        if member is None:
            member = _member_create(actor=actor, client=client, member_id=member_id, fields=fields)
        else:
            active = ClientFamilyLink.objects.filter(
                client=client, member=member, unlinked_at__isnull=True
            ).first()
            if active:
                return member, active, False
            if not _member_visible(client=client, member=member, clients_in_full_view=clients_in_full_view):
                raise NotFound(_("Anggota keluarga tidak ditemukan."), code="family_member_not_found")
        link = ClientFamilyLink.objects.create(client=client, member=member, linked_by=actor)
        _record_change(client, member)
    return member, link, True


def _member_fields(*, fields: dict[str, Any], errors: FieldErrors, creating: bool) -> dict[str, Any]:
    """The member fields sent, validated (all problems in `errors`). A new member needs a name and a relationship;
    an edit changes only the fields sent, and may not blank them."""
    out: dict[str, Any] = {}
    for name, max_length in (("name", 150), ("relationship", 40)):
        if creating or fields.get(name) is not None:
            out[name] = text_clean(
                fields.get(name), field=name, max_length=max_length, errors=errors, required=True
            )
    if creating or fields.get("role") is not None:
        out["role"] = fields.get("role") or FamilyRole.SUPPORTER
        if out["role"] not in FamilyRole.values:
            errors.add("role", "invalid_choice", _("Peran tidak dikenal."))
    if creating or "phone" in fields:
        out["phone"] = phone_or_blank(fields.get("phone"), errors)
    if creating or fields.get("may_contact") is not None:
        out["may_contact"] = bool(fields.get("may_contact"))
    return out


def _member_create(
    *, actor: User, client: Client, member_id: uuid.UUID, fields: dict[str, Any]
) -> FamilyMember:
    errors = FieldErrors()
    values = _member_fields(fields=fields, errors=errors, creating=True)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            return FamilyMember.objects.create(
                id=member_id, village_id=client.village_id, created_by=actor, **values
            )
    except IntegrityError:
        raise ValidationFailed(
            details=[ErrorDetail("id", "id_conflict", _("Id ini sudah dipakai."))], code="id_conflict"
        ) from None


def family_member_update(
    *,
    actor: User,
    client: Client,
    member_id: uuid.UUID,
    version: int,
    changes: dict[str, Any],
    reason: str | None = None,
) -> tuple[FamilyMember, ClientFamilyLink]:
    """Edit a member linked to `client` (already scope-checked): only the fields sent change.

    404 when the member is not (or no longer) linked to this client: the link is what puts the member in the
    caller's scope. `version` must be the member's current one, else 409 `stale_version` with `current` (logged
    as a read of the client's record, after the transaction is undone). Every client the member is linked to
    hears of it (their phones hold the member under each of them). What changed is kept in the client's
    correction history (corrections.py), with `reason`.
    """
    try:
        return _family_member_update_locked(
            actor=actor, client=client, member_id=member_id, version=version, changes=changes, reason=reason
        )
    except Conflict as exc:
        if exc.code == "stale_version":  # the answer carries the member as it is (phone too): a read of it
            access_log_record(
                user=actor, client_id=client.id, endpoint="PATCH /clients/{id}/family-members/{member_id}"
            )
        raise


def _family_member_update_locked(
    *,
    actor: User,
    client: Client,
    member_id: uuid.UUID,
    version: int,
    changes: dict[str, Any],
    reason: str | None,
) -> tuple[FamilyMember, ClientFamilyLink]:
    errors = FieldErrors()
    values = _member_fields(fields=changes, errors=errors, creating=False)
    why = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH, errors=errors)
    with transaction.atomic():
        link = (
            ClientFamilyLink.objects.filter(client=client, member_id=member_id, unlinked_at__isnull=True)
            .order_by("-linked_at")
            .first()
        )
        if link is None:
            raise NotFound(_("Anggota keluarga tidak ditemukan."), code="family_member_not_found")
        member = FamilyMember.objects.select_for_update().get(id=member_id)
        if version != member.version:
            allowed = consent_in_force(client_id=client.id, scope="contact_family")
            raise Conflict(
                _("Data anggota keluarga sudah diubah orang lain. Muat ulang lalu coba lagi."),
                code="stale_version",
                extra={"current": family_member_record(member=member, link=link, contact_allowed=allowed)},
            )
        errors.raise_if_any()
        before = member_values(member=member)
        for name, value in values.items():
            setattr(member, name, value)
        member.version += 1
        member.updated_at = timezone.now()
        member.save()
        corrections_record(
            actor=actor,
            client=client,
            before=before,
            after=member_values(member=member),
            reason=why,
            version=member.version,
            entity=CorrectionEntity.FAMILY_MEMBER,
            member_id=member.id,
        )
        linked = ClientFamilyLink.objects.filter(
            member_id=member.id, unlinked_at__isnull=True
        ).select_related("client")
        for other in linked:
            _record_change(other.client, member)
    return member, link


def family_member_unlink(*, actor: User, client: Client, member_id: uuid.UUID) -> ClientFamilyLink:
    """End the active link (kept as history). 404 when the member is not linked to this client."""
    with transaction.atomic():
        link = (
            ClientFamilyLink.objects.select_for_update()
            .select_related("member")
            .filter(client=client, member_id=member_id, unlinked_at__isnull=True)
            .first()
        )
        if link is None:
            raise NotFound(_("Anggota keluarga tidak ditemukan."), code="family_member_not_found")
        link.unlinked_at = timezone.now()
        link.unlinked_by = actor
        link.save(update_fields=["unlinked_at", "unlinked_by"])
        _record_change(client, link.member)
    return link
