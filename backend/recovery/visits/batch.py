"""The one write path of support visits, behind `POST /sync/visits` and the single-visit services.

Visits are made on phones, often offline, and uploaded later in batches; the phone makes the id (a UUID), so a
retried upload is recognised. The write path is built for batches of up to 500 and for two copies of one batch
arriving at the same moment:

1. every item is checked in plain Python (`visit_clean`): no query per item;
2. the caller's scope, the clients, their family links, the screenings and the visits already stored are read
   for the whole batch in a handful of queries;
3. new visits go in with one `INSERT ... ON CONFLICT DO NOTHING RETURNING id`: a row another request inserted
   first is simply not returned, and is then re-read and answered as `duplicate` (same content) or rejected as
   `id_conflict`; nothing is created twice and no unique violation reaches the request;
4. an edit (same id, the stored `version`, other content) is a conditional UPDATE on (id, version): of two
   concurrent edits of one version exactly one wins, the other is answered `stale_version` with the record.

`payload_hash` is the sha256 of the item's canonical JSON (cleaned values, without `version`), so a resent item
is recognised whatever order its keys or participants came in.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.accounts.scope import scope_for
from backend.audit.services import access_log_record_many
from backend.common.errors import ErrorDetail, PermissionDenied
from backend.common.events import publish
from backend.recovery.batches import batch_clean
from backend.recovery.events import VisitsLogged
from backend.recovery.models import Client, ClientFamilyLink, ConsentScope, Screening, Visit, clients_seen
from backend.recovery.visits.consent import consents_in_force_many
from backend.recovery.visits.rows import (
    COLUMNS,
    StoredVisit,
    insert_row,
    rows_insert,
    visit_row,
    visit_stored,
    visits_by_id,
)
from backend.recovery.visits.rules import FIELD_ROLES, VisitData, visit_as_dict, visit_clean
from backend.sync.changelog import change_record_many

logger = logging.getLogger(__name__)
# What the access log names the reads of a batch (the stored visit a stale edit is answered with).
AUDIT_ENDPOINT = "POST /sync/visits"


@dataclass
class VisitResult:
    index: int
    id: str | None
    status: str  # created | duplicate | updated | rejected
    version: int | None = None
    error: dict[str, Any] | None = None
    current: dict[str, Any] | None = None  # the stored record, on stale_version
    data: VisitData | None = field(default=None, repr=False)

    def reject(
        self, code: str, message: Any, field_name: str, details: list[ErrorDetail] | None = None
    ) -> None:
        self.status = "rejected"
        self.error = {
            "code": code,
            "message": str(message),
            "field": field_name,
            "details": [d.as_dict() for d in details or []],
        }

    def reject_screening_taken(self) -> None:
        """The screening named by the visit is already linked to another visit (found early or at insert)."""
        message = _("Skrining ini sudah tertaut dengan kunjungan lain.")
        self.reject(
            "validation_error",
            message,
            "screening_id",
            [ErrorDetail("screening_id", "screening_taken", message)],
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status}
        if self.version is not None:
            out["version"] = self.version
        if self.error is not None:
            out["error"] = self.error
        if self.current is not None:
            out["current"] = self.current
        return out


# --- steps 2 to 4: the batch (step 1, the cleaning, is rules.visit_clean) ---------------------------------


def visit_actor_check(*, actor: User) -> None:
    """Field visits are logged by volunteers and village officials only (staff and coordinators do not)."""
    scope = scope_for(actor)
    if not scope.roles & FIELD_ROLES:
        raise PermissionDenied(
            _("Hanya agen pemulihan dan aparatur desa yang mencatat kunjungan."), code="not_a_field_worker"
        )


def visits_apply(
    *,
    actor: User,
    items: list[Any],
    clients_in_full_view: QuerySet[Client],
    mode: str = "upsert",
    endpoint: str = AUDIT_ENDPOINT,
) -> list[VisitResult]:
    """Apply a batch of uploaded visits; one result per item, in order. `mode`: upsert | create | update.
    `clients_in_full_view`: the clients whose visits `actor` may log (the caller's access.client_full_qs_for);
    a visit of any other client is answered `not_found`, as for a client that does not exist.

    Runs in one transaction (the caller's, if any): when this returns and that transaction commits, every
    accepted visit is durable. A rejected item never stops the others. A `stale_version` answer carries the
    stored visit (notes included): a read of the client's record, logged as `endpoint`.
    """
    visit_actor_check(actor=actor)
    now = timezone.now()
    results, firsts = _clean_all(items, now)
    todo = [r for r in firsts if r.status == "pending"]
    client_ids = {r.data.client_id for r in todo}  # type: ignore[union-attr]
    clients = (
        dict(
            clients_in_full_view.filter(
                id__in=RawSQL("SELECT unnest(%s::uuid[])", [list(client_ids)])
            ).values_list("id", "village_id")
        )
        if client_ids
        else {}
    )
    with_family = any(len(r.data.participants) > 1 or "client" not in r.data.participants for r in todo)  # type: ignore[union-attr]
    # (client, member) -> the member agreed to be contacted.
    links: dict[tuple[uuid.UUID, uuid.UUID], bool] = (
        {
            (cid, mid): may_contact
            for cid, mid, may_contact in ClientFamilyLink.objects.filter(
                client_id__in=clients, unlinked_at__isnull=True
            ).values_list("client_id", "member_id", "member__may_contact")
        }
        if with_family
        else {}
    )
    consents = consents_in_force_many(
        client_ids=clients,
        scopes=[ConsentScope.DATA_COLLECTION] + ([ConsentScope.CONTACT_FAMILY] if with_family else []),
    )
    screening_ids = {r.data.screening_id for r in todo if r.data.screening_id}  # type: ignore[union-attr]
    screenings = (
        {
            sid: (cid, vid)
            for sid, cid, vid in Screening.objects.filter(id__in=screening_ids).values_list(
                "id", "client_id", "visit__id"
            )
        }
        if screening_ids
        else {}
    )
    existing = visits_by_id([r.data.id for r in todo])  # type: ignore[union-attr]
    inserts, updates = [], []
    for r in todo:
        d: VisitData = r.data  # type: ignore[assignment]
        if not _check_refs(r, d, clients, links, screenings):
            continue
        stored = existing.get(d.id)
        if stored is None:
            if mode == "update":
                r.reject("not_found", _("Kunjungan tidak ditemukan."), "id")
            else:
                inserts.append(r)
        else:
            _classify_existing(r, d, stored, actor, clients, mode, updates)
    # Only what would be written needs consent: a resend of a stored visit is still answered `duplicate`.
    inserts = [r for r in inserts if _check_consent(r, r.data, consents, links)]  # type: ignore[arg-type]
    updates = [r for r in updates if _check_consent(r, r.data, consents, links)]  # type: ignore[arg-type]
    with transaction.atomic():
        created = _insert(inserts, actor, now)
        updated = _update(updates, actor, now)
        written = created + updated
        change_record_many(
            entity="visit",
            rows=[(v.id, clients[v.client_id], v.client_id) for v in written],
        )
        clients_seen(contacts=[(v.client_id, v.occurred_at) for v in written])  # a visit is a contact
        if created:
            # New visits are facts others react to (a visit completes the field tasks it fulfils).
            publish(VisitsLogged(visits=tuple(created), logged_by_id=actor.id))
        if shown := [uuid.UUID(r.current["client_id"]) for r in results if r.current is not None]:
            access_log_record_many(user=actor, client_ids=shown, endpoint=endpoint)
    _copy_repeats(results)
    return results


def _clean_all(items: list[Any], now: datetime) -> tuple[list[VisitResult], list[VisitResult]]:
    return batch_clean(
        items, now, clean=visit_clean, answer=VisitResult, invalid_message=_("Data kunjungan tidak valid.")
    )


def _check_consent(
    r: VisitResult, d: VisitData, consents: set, links: dict[tuple[uuid.UUID, uuid.UUID], bool]
) -> bool:
    """A visit is data collected about the client: data_collection must be in force. A family member takes part
    only if they may be contacted about the client: they agreed, and the client's contact_family is in force."""
    if (d.client_id, ConsentScope.DATA_COLLECTION) not in consents:
        message = _("Persetujuan pengumpulan data dari klien belum ada atau sudah ditarik.")
        r.reject(
            "consent_required",
            message,
            "client_id",
            [ErrorDetail("client_id", "consent_required", message)],
        )
        return False
    members = [uuid.UUID(p) for p in d.participants if p != "client"]
    if members and (d.client_id, ConsentScope.CONTACT_FAMILY) not in consents:
        message = _("Persetujuan klien untuk menghubungi keluarga belum ada atau sudah ditarik.")
        r.reject(
            "consent_required",
            message,
            "participants",
            [ErrorDetail("participants", "consent_required", message)],
        )
        return False
    if any(not links.get((d.client_id, m), False) for m in members):
        message = _("Anggota keluarga ini tidak bersedia dihubungi.")
        r.reject(
            "family_contact_not_allowed",
            message,
            "participants",
            [ErrorDetail("participants", "family_contact_not_allowed", message)],
        )
        return False
    return True


def _check_refs(r: VisitResult, d: VisitData, clients: dict, links: dict, screenings: dict) -> bool:
    """The client in scope, the participants linked to it, the screening of it and still free."""
    if d.client_id not in clients:
        # Out of scope and unknown answer alike: existence is never revealed.
        r.reject("not_found", _("Klien tidak ditemukan."), "client_id")
        return False
    for p in d.participants:
        if p != "client" and (d.client_id, uuid.UUID(p)) not in links:
            r.reject(
                "validation_error",
                _("Peserta bukan anggota keluarga yang tertaut dengan klien ini."),
                "participants",
                [
                    ErrorDetail(
                        "participants",
                        "not_linked",
                        _("Peserta bukan anggota keluarga yang tertaut dengan klien ini."),
                    )
                ],
            )
            return False
    if d.screening_id:
        owner, linked_visit = screenings.get(d.screening_id, (None, None))
        if owner != d.client_id:
            r.reject(
                "validation_error",
                _("Skrining tidak ditemukan untuk klien ini."),
                "screening_id",
                [ErrorDetail("screening_id", "not_found", _("Skrining tidak ditemukan untuk klien ini."))],
            )
            return False
        if linked_visit is not None and linked_visit != d.id:
            r.reject_screening_taken()
            return False
    return True


def _classify_existing(
    r: VisitResult, d: VisitData, stored: StoredVisit, actor: User, clients: dict, mode: str, updates: list
) -> None:
    if stored.client_id not in clients:
        r.reject("not_found", _("Kunjungan tidak ditemukan."), "id")
    elif stored.payload_hash == d.payload_hash:
        r.status, r.version = "duplicate", stored.version
    elif d.version is None or mode == "create":
        r.reject("id_conflict", _("Id kunjungan sudah dipakai untuk data lain."), "id")
    elif d.version != stored.version:
        r.reject("stale_version", _("Kunjungan sudah diubah di tempat lain."), "version")
        r.current = visit_as_dict(stored)
    elif stored.logged_by_id != actor.id:
        r.reject("forbidden", _("Hanya pencatat kunjungan yang boleh mengubahnya."), "id")
    elif stored.client_id != d.client_id:
        r.reject(
            "validation_error",
            _("Klien sebuah kunjungan tidak dapat diganti."),
            "client_id",
            [ErrorDetail("client_id", "immutable", _("Klien sebuah kunjungan tidak dapat diganti."))],
        )
    else:
        updates.append(r)


def _insert(inserts: list[VisitResult], actor: User, now: datetime) -> list[Visit]:
    """Insert new visits in one statement; rows a concurrent request stored first are re-read and answered."""
    if not inserts:
        return []
    actor_id, now_text = str(actor.id), now.isoformat()
    rows = {r.data.id: insert_row(r.data, actor_id, now_text) for r in inserts}  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            inserted = rows_insert(list(rows.values()))
    except (IntegrityError, DataError):
        # A client or screening removed meanwhile, or a value PostgreSQL refuses that the rules let through:
        # fall back to one savepoint per row to find the culprit; the other rows are still stored.
        inserted = set()
        for r in inserts:
            try:
                with transaction.atomic():
                    inserted |= rows_insert([rows[r.data.id]])  # type: ignore[union-attr]
            except IntegrityError:
                r.reject("not_found", _("Klien atau skrining tidak ditemukan."), "client_id")
            except DataError:
                logger.warning("visit %s refused by the database", r.data.id, exc_info=True)  # type: ignore[union-attr]
                r.reject(
                    "validation_error",
                    _("Data kunjungan tidak valid."),
                    "body",
                    [ErrorDetail("body", "invalid", _("Data kunjungan tidak dapat disimpan."))],
                )
    lost = [r for r in inserts if r.status == "pending" and r.data.id not in inserted]  # type: ignore[union-attr]
    now_stored = visits_by_id([r.data.id for r in lost])  # type: ignore[union-attr]
    created = []
    for r in inserts:
        if r.status != "pending":
            continue
        d: VisitData = r.data  # type: ignore[assignment]
        if d.id in inserted:
            r.status, r.version = "created", 1
            created.append(visit_stored(d, actor, now))
        elif (other := now_stored.get(d.id)) is None:
            r.reject_screening_taken()
        elif other.payload_hash == d.payload_hash:
            r.status, r.version = "duplicate", other.version
        else:
            r.reject("id_conflict", _("Id kunjungan sudah dipakai untuk data lain."), "id")
    return created


def _update(updates: list[VisitResult], actor: User, now: datetime) -> list[Visit]:
    """Edits: a conditional UPDATE on (id, version) each, so of two edits of one version exactly one wins."""
    done = []
    for r in sorted(updates, key=lambda r: r.data.id):  # type: ignore[union-attr]  # id order: see rows.rows_insert
        d: VisitData = r.data  # type: ignore[assignment]
        v = visit_row(d, actor, now)
        fields = {
            c: getattr(v, c)
            for c in COLUMNS
            if c not in ("id", "client_id", "logged_by_id", "received_at", "version")
        }
        try:
            with transaction.atomic():
                count = Visit.objects.filter(id=d.id, version=d.version).update(
                    version=F("version") + 1, **fields
                )
        except DataError:
            logger.warning("visit %s edit refused by the database", d.id, exc_info=True)
            r.reject(
                "validation_error",
                _("Data kunjungan tidak valid."),
                "body",
                [ErrorDetail("body", "invalid", _("Data kunjungan tidak dapat disimpan."))],
            )
            continue
        except IntegrityError:
            r.reject_screening_taken()
            continue
        stored = Visit.objects.get(id=d.id)
        if count == 1:
            r.status, r.version = "updated", stored.version
            done.append(stored)
        elif stored.payload_hash == d.payload_hash:
            r.status, r.version = "duplicate", stored.version
        else:
            r.reject("stale_version", _("Kunjungan sudah diubah di tempat lain."), "version")
            r.current = visit_as_dict(stored)
    return done


def _copy_repeats(results: list[VisitResult]) -> None:
    """An id sent twice in one batch: same content answers like the first; other content is an id_conflict."""
    first: dict[uuid.UUID, VisitResult] = {}
    for r in results:
        if r.data is None:
            continue
        if r.status != "repeat":
            first.setdefault(r.data.id, r)
            continue
        f = first[r.data.id]
        if f.data.payload_hash != r.data.payload_hash:  # type: ignore[union-attr]
            r.reject("id_conflict", _("Id kunjungan sudah dipakai untuk data lain."), "id")
        elif f.status in ("created", "updated", "duplicate"):
            r.status, r.version = "duplicate", f.version
        else:
            r.status, r.error, r.current = f.status, f.error, f.current
