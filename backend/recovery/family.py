"""Family members and their links to clients. Link and unlink are kept as history (ClientFamilyLink rows are
never deleted: unlinking sets unlinked_at/by). Members are made on the phone with their own UUID, so a retried
upload finds the member it already made instead of making a second one.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.errors import ErrorDetail, FieldErrors, NotFound, ValidationFailed
from backend.recovery.models import Client, ClientFamilyLink, FamilyMember, FamilyRole
from backend.recovery.selectors import client_qs_for
from backend.recovery.services import phone_or_blank
from backend.sync.services import change_record


def _member_visible(*, actor: User, member: FamilyMember) -> bool:
    """An existing member may be linked by someone who can see a client it is (or was) linked to."""
    linked = ClientFamilyLink.objects.filter(member_id=member.id).values("client_id")
    return client_qs_for(user=actor).filter(id__in=linked).exists()


def _record_change(client: Client, member: FamilyMember) -> None:
    change_record(
        entity="family_member", entity_id=member.id, village_code=client.village_id, client_id=client.id
    )


def family_member_link(
    *, actor: User, client: Client, member_id: uuid.UUID, fields: dict[str, Any]
) -> tuple[FamilyMember, ClientFamilyLink, bool]:
    """Create the member (if new) and link it to `client`. Returns (member, link, created_link).

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
            if not _member_visible(actor=actor, member=member):
                raise NotFound(_("Anggota keluarga tidak ditemukan."), code="family_member_not_found")
        link = ClientFamilyLink.objects.create(client=client, member=member, linked_by=actor)
        _record_change(client, member)
    return member, link, True


def _member_create(
    *, actor: User, client: Client, member_id: uuid.UUID, fields: dict[str, Any]
) -> FamilyMember:
    errors = FieldErrors()
    for required in ("name", "relationship"):
        if not (fields.get(required) or "").strip():
            errors.add(required, "required", _("Wajib diisi."))
    role = fields.get("role") or FamilyRole.SUPPORTER
    if role not in FamilyRole.values:
        errors.add("role", "invalid_choice", _("Peran tidak dikenal."))
    phone = phone_or_blank(fields.get("phone"), errors)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            return FamilyMember.objects.create(
                id=member_id,
                name=fields["name"].strip(),
                relationship=fields["relationship"].strip(),
                phone=phone,
                role=role,
                may_contact=bool(fields.get("may_contact")),
                village_id=client.village_id,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationFailed(
            details=[ErrorDetail("id", "id_conflict", _("Id ini sudah dipakai."))], code="id_conflict"
        ) from None


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
