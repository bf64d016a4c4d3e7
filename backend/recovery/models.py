"""Recovery records: clients and the history of their status. (Families, consent, screening, visits: below.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.recovery.lifecycle import ClientStatus


class Sex(models.TextChoices):
    MALE = "male", _("Laki-laki")
    FEMALE = "female", _("Perempuan")


class UseRoute(models.TextChoices):
    """The main route of use (PP 25/2011 art. 18 recap, IPWL)."""

    ORAL = "oral", _("Ditelan atau diminum")
    SMOKED = "smoked", _("Diisap atau dibakar")
    INHALED = "inhaled", _("Dihirup")
    SNIFFED = "sniffed", _("Disedot lewat hidung")
    INJECTED = "injected", _("Disuntik")
    OTHER = "other", _("Lainnya")


class Client(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Readable and unique per regency, e.g. KTG-2026-00042.
    code = models.CharField(_("kode klien"), max_length=24, unique=True)
    name = models.CharField(_("nama atau alias"), max_length=150)
    name_normalized = models.CharField(max_length=150, db_index=True, editable=False)
    sex = models.CharField(_("jenis kelamin"), max_length=6, choices=Sex.choices)
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("tahun lahir"), null=True, blank=True)
    phone = models.CharField(_("nomor HP"), max_length=16, blank=True)
    village = models.ForeignKey(
        "villages.Region", verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="clients"
    )
    address = models.CharField(_("alamat"), max_length=300, blank=True)
    substances = models.JSONField(_("zat yang digunakan"), default=list, blank=True)
    # For the IPWL recap (PP 25/2011 art. 18): how long and how the client has used, as told at registration.
    use_duration_years = models.PositiveSmallIntegerField(_("lama penggunaan (tahun)"), null=True, blank=True)
    use_route = models.CharField(
        _("cara penggunaan utama"), max_length=10, choices=UseRoute.choices, blank=True
    )
    notes = models.TextField(_("catatan"), blank=True)
    # NIK is never stored in clear, nor any part of it: only a keyed hash (HMAC-SHA256, settings.NIK_HMAC_KEY).
    # Its last 4 digits are the serial; with the village, birth date and sex they rebuild the whole NIK.
    nik_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ClientStatus.choices,
        default=ClientStatus.IDENTIFIED,
        db_index=True,
    )
    assigned_volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("pendamping"), related_name="assigned_clients", blank=True
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registered_clients"
    )
    # The latest time the client was seen: a stored visit or a `reached` contact attempt (the latest of them).
    # Not indexed, on purpose: every upload moves it for each client seen (clients_seen), and with no index on
    # it, and room left on the table's pages (fillfactor, migration 0015), that UPDATE is HOT: no entry in any
    # of the table's indexes. No query searches or orders clients by it (the follow-up reads it per client).
    last_contact_at = models.DateTimeField(_("kontak terakhir"), null=True, blank=True)
    # A contact attempt found the phone number wrong: it needs correcting (an edit of the phone clears it).
    phone_flagged = models.BooleanField(_("nomor HP perlu diperbaiki"), default=False)
    # Data-collection consent withdrawn (UU 27/2022 art. 40): processing stops. Set and cleared with the consent
    # event (consents.py); kept on the row so every scope, sweep and rule can leave the client out in one filter.
    consent_withdrawn_at = models.DateTimeField(
        _("persetujuan ditarik"), null=True, blank=True, db_index=True
    )
    # Erased on a valid request (UU 27/2022 art. 43; backend/privacy/erasure.py): the row stays, anonymised, so
    # that past reports keep their numbers; nothing about the person is left, and nothing opens it again.
    erased_at = models.DateTimeField(_("dihapus"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("klien")
        verbose_name_plural = _("klien")
        indexes = [
            models.Index(fields=["village", "status"], name="client_village_status_idx"),
            models.Index(fields=["name_normalized", "birth_year", "village"], name="client_dedup_idx"),
            # Coordinators' area filter is a code-prefix match (village_id LIKE '62.06.%'): needs pattern ops. It
            # carries the id and the creation time, so a scope's "clients of this area" and the ids of a page of
            # GET /clients (newest first) are index-only scans (access.village_code_q, reads/paging.py).
            models.Index(
                fields=["village"],
                name="client_village_prefix_idx",
                opclasses=["varchar_pattern_ops"],
                include=["id", "created_at"],
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ClientCodeCounter(models.Model):
    """The last number given per code prefix (regency abbreviation) and year: KTG-2026-00042 -> ("KTG", 2026, 42).

    Incremented with one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, so concurrent registrations never get
    the same number. Keyed by the prefix, not the regency, so two regencies sharing an abbreviation share a
    counter and their codes still never collide.
    """

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="client_code_counter_unique")]


class ClientStatusChange(models.Model):
    """One accepted lifecycle transition: kept forever as the client's status history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=ClientStatus.choices)
    to_status = models.CharField(max_length=20, choices=ClientStatus.choices)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]
        # Status as of a date (monthly reports, timeline) reads a client's history in time order.
        indexes = [models.Index(fields=["client", "at"], name="status_change_client_at_idx")]


class FamilyRole(models.TextChoices):
    SUPPORTER = "supporter", _("Pendukung")
    GUARDIAN = "guardian", _("Wali")
    EMERGENCY_CONTACT = "emergency_contact", _("Kontak darurat")


class FamilyMember(models.Model):
    # Made on the phone (UUID), so a retried upload is recognised.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("nama"), max_length=150)
    relationship = models.CharField(_("hubungan"), max_length=40)
    phone = models.CharField(_("nomor HP"), max_length=16, blank=True)
    role = models.CharField(
        _("peran"), max_length=20, choices=FamilyRole.choices, default=FamilyRole.SUPPORTER
    )
    may_contact = models.BooleanField(_("boleh dihubungi"), default=False)
    village = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)


class ClientFamilyLink(models.Model):
    """A family member linked to a client. Unlinking keeps the row (unlinked_at set): link history is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="family_links")
    member = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="client_links")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "member"],
                condition=models.Q(unlinked_at__isnull=True),
                name="one_active_family_link",
            )
        ]


class ConsentScope(models.TextChoices):
    DATA_COLLECTION = "data_collection", _("Pengumpulan data")
    CONTACT_FAMILY = "contact_family", _("Menghubungi keluarga")
    REFERRAL = "referral", _("Rujukan")


class Consent(models.Model):
    """Consent events, append-only: the latest event per (client, scope) is in force."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(max_length=20, choices=ConsentScope.choices)
    given = models.BooleanField()  # False = withdrawn
    given_by = models.CharField(max_length=10, choices=[("client", _("Klien")), ("guardian", _("Wali"))])
    guardian = models.ForeignKey(
        FamilyMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "scope", "recorded_at"], name="consent_latest_idx")]


class Screening(models.Model):
    """One WHO ASSIST v3.0 questionnaire, its answers as given and the server's scores."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # made on the phone
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="screenings")
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField(default=timezone.now)
    answers = models.JSONField()
    scores = models.JSONField()  # {substance: {"score": int, "risk": "low|moderate|high", "action": ...}}
    highest_risk = models.CharField(max_length=10)
    action = models.CharField(max_length=20, blank=True)  # the strongest recommended action overall
    q8 = models.PositiveSmallIntegerField(null=True, blank=True)  # injecting (asked once, not per substance)
    injected_recently = models.BooleanField(default=False)
    needs_escalation = models.BooleanField(default=False)
    # The escalation the result started, or why none was (e.g. "consent_required": the need is still recorded).
    escalation_id = models.UUIDField(null=True, blank=True)
    escalation_blocked_reason = models.CharField(max_length=40, blank=True)
    # sha256 of the canonical answers + q8: a resend with the same id but other answers is not a resend.
    answers_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class VisitType(models.TextChoices):
    HOME_VISIT = "home_visit", _("Kunjungan rumah")
    FAMILY_SESSION = "family_session", _("Sesi keluarga")
    PHONE_CALL = "phone_call", _("Panggilan telepon")
    GROUP_SESSION = "group_session", _("Sesi kelompok")
    ACCOMPANIMENT = "accompaniment", _("Pendampingan ke fasilitas")
    POST_REHAB_SUPPORT = "post_rehab_support", _("Dukungan pascarehabilitasi")


class Visit(models.Model):
    id = models.UUIDField(
        primary_key=True, editable=False
    )  # made on the phone: a retried upload is recognised
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="visits")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits_logged"
    )
    occurred_at = models.DateTimeField(_("waktu kunjungan (perangkat)"))
    received_at = models.DateTimeField(_("diterima server"), default=timezone.now)
    type = models.CharField(_("jenis"), max_length=20, choices=VisitType.choices)
    participants = models.JSONField(default=list, blank=True)  # ["client", "<family member uuid>", ...]
    location = models.PointField(geography=True, null=True, blank=True)
    location_accuracy_m = models.FloatField(null=True, blank=True)
    outcome = models.CharField(_("hasil"), max_length=40, blank=True)
    notes = models.TextField(_("catatan"), blank=True)
    next_visit_on = models.DateField(_("rencana kunjungan berikut"), null=True, blank=True)
    screening = models.OneToOneField(
        Screening, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit"
    )
    # sha256 of the canonical payload: a resend with the same id but other content is not a duplicate.
    payload_hash = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client", "occurred_at"], name="visit_client_time_idx")]


class ContactChannel(models.TextChoices):
    PHONE_CALL = "phone_call", _("Telepon")
    HOME_VISIT = "home_visit", _("Kunjungan rumah")
    VIA_FAMILY = "via_family", _("Melalui keluarga")
    VIA_VILLAGE_OFFICIAL = "via_village_official", _("Melalui aparatur desa")
    MESSAGE = "message", _("Pesan")


class ContactResult(models.TextChoices):
    """Coded, never free text: what the programme counts and reacts to (DOMAIN.md, "Keeping contact")."""

    REACHED = "reached", _("Terhubung")
    NO_ANSWER = "no_answer", _("Tidak ada jawaban")
    WRONG_NUMBER = "wrong_number", _("Nomor salah")
    REFUSED = "refused", _("Menolak")
    MOVED_AWAY = "moved_away", _("Pindah")
    IN_HOSPITAL = "in_hospital", _("Dirawat di rumah sakit")
    IN_PRISON = "in_prison", _("Di lembaga pemasyarakatan")
    DECEASED = "deceased", _("Meninggal")


class ContactAttempt(models.Model):
    """One try to reach a client, recorded on the phone (often offline) and uploaded like a visit."""

    id = models.UUIDField(primary_key=True, editable=False)  # made on the phone: a resend is recognised
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contact_attempts")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("waktu upaya kontak (perangkat)"))
    received_at = models.DateTimeField(_("diterima server"), default=timezone.now)
    channel = models.CharField(_("saluran"), max_length=24, choices=ContactChannel.choices)
    result = models.CharField(_("hasil"), max_length=16, choices=ContactResult.choices)
    note = models.CharField(_("catatan singkat"), max_length=280, blank=True)
    # sha256 of the canonical payload: a resend with the same id but other content is not a duplicate.
    payload_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("upaya kontak")
        verbose_name_plural = _("upaya kontak")
        indexes = [models.Index(fields=["client", "occurred_at"], name="contact_client_time_idx")]


def clients_seen(*, contacts: Iterable[tuple[uuid.UUID, datetime]]) -> None:
    """Clients were seen at these times (client id, time of a stored visit or `reached` attempt): each one's
    `last_contact_at` becomes the latest, unless a later contact is known (GREATEST skips a NULL). One UPDATE, in
    the transaction that stores the contacts.

    A client row another transaction holds (an edit, a status change) is skipped, not waited for: an upload of
    500 visits must not queue behind edits of its clients, nor they behind it. Such a client's `last_contact_at`
    catches up with their next contact, or with the next follow-up sweep, which reads the contacts themselves
    (backend/followup/facts.py) and hands back here what lags."""
    pairs = list(contacts)
    if not pairs:
        return
    table = connection.ops.quote_name(Client._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH seen AS (SELECT s.client_id, max(s.at) AS latest "
            "FROM unnest(%s::uuid[], %s::timestamptz[]) AS s(client_id, at) GROUP BY s.client_id), "
            f"free AS (SELECT c.id FROM {table} c JOIN seen ON seen.client_id = c.id "
            "ORDER BY c.id FOR NO KEY UPDATE OF c SKIP LOCKED) "
            f"UPDATE {table} c SET last_contact_at = GREATEST(c.last_contact_at, seen.latest) "
            "FROM seen JOIN free ON free.id = seen.client_id WHERE c.id = seen.client_id",
            [[c for c, _t in pairs], [t for _c, t in pairs]],
        )


class CorrectionEntity(models.TextChoices):
    CLIENT = "client", _("Klien")
    FAMILY_MEMBER = "family_member", _("Anggota keluarga")


class ClientCorrection(models.Model):
    """One field of a client's record (or of a family member linked to them) changed by an edit: what it was,
    what it became, who changed it, when and why (UU 27/2022 art. 6 and 30: the right to have one's data
    corrected, and the controller's record of it). Written by backend/recovery/corrections.py only.

    The history is itself personal data: read by those who see the client's full record (access policy), part
    of the subject-access export, and blanked by an erasure (`erased_at`). Append-only in the database
    (migration 0012): a row is never deleted, and the only UPDATE allowed is the erasure's, which blanks the
    values and the reason and sets `erased_at`. Values never kept: the NIK (only whether one was on file) and a
    family member's phone (a third party's number, shown only under their consent: only that it changed).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="corrections")
    entity = models.CharField(
        max_length=16, choices=CorrectionEntity.choices, default=CorrectionEntity.CLIENT
    )
    # The family member changed (entity family_member); a plain id: the history outlives the member's data.
    member_id = models.UUIDField(null=True, blank=True)
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # The record's version after the edit: the fields of one edit share it.
    version = models.PositiveIntegerField()
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="correction_client_at_idx")]
