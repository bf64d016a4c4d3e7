"""What each kind of notification says: the inbox text, and the generic push text.

Two texts per kind, on purpose:
- the **inbox** text (stored on the row, read over the API after sign-in) may name the client by their
  pseudonymous CODE and give a time;
- the **push** text travels through Google's servers, so it is generic per kind and carries no client code,
  name, NIK or health detail. The app opens the inbox entry (by the ids in `data`) to show the rest.

Bahasa Indonesia is the source language; the recipient's language (User.language) picks the translation.
Times in params may be aware datetimes: they are shown in the time zone named by the `tz` param (the area's),
WIB (Asia/Jakarta) when none is given, with its Indonesian abbreviation (WIB/WITA/WIT).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class KindText:
    title: Any  # lazy str
    body: Any  # lazy str with {named} fields
    push_title: Any
    push_body: Any


_OPEN_APP = _("Buka aplikasi Pulih untuk melihat rinciannya.")

KINDS: dict[str, KindText] = {
    # To staff: a new case is offered to them; they must answer before the SLA runs out.
    "escalation_offered": KindText(
        title=_("Tawaran kasus baru"),
        body=_("Kasus {client_code} ditawarkan kepada Anda. Mohon jawab sebelum {deadline}."),
        push_title=_("Tawaran kasus baru"),
        push_body=_("Buka aplikasi Pulih untuk menjawab tawaran sebelum batas waktu."),
    ),
    # To staff whose offer ran out unanswered (it moved on to the next candidate).
    "escalation_offer_expired": KindText(
        title=_("Tawaran kasus berakhir"),
        body=_("Tawaran kasus {client_code} berakhir karena tidak dijawab tepat waktu."),
        push_title=_("Tawaran kasus berakhir"),
        push_body=_OPEN_APP,
    ),
    # To the volunteer/official who escalated.
    "escalation_accepted": KindText(
        title=_("Eskalasi diterima"),
        body=_("Eskalasi kasus {client_code} telah diterima oleh petugas."),
        push_title=_("Pembaruan eskalasi"),
        push_body=_OPEN_APP,
    ),
    "escalation_declined": KindText(
        title=_("Tawaran eskalasi ditolak"),
        body=_("Tawaran kasus {client_code} ditolak; kasus diteruskan ke petugas berikutnya."),
        push_title=_("Pembaruan eskalasi"),
        push_body=_OPEN_APP,
    ),
    # To the BNN coordinator: no one accepted, or no one eligible within the radius.
    "escalation_to_coordinator": KindText(
        title=_("Kasus perlu ditugaskan"),
        body=_("Tidak ada petugas yang menerima kasus {client_code}. Mohon tugaskan secara manual."),
        push_title=_("Kasus perlu ditugaskan"),
        push_body=_OPEN_APP,
    ),
    "escalation_scheduled": KindText(
        title=_("Janji temu dijadwalkan"),
        body=_("Janji temu untuk kasus {client_code} dijadwalkan pada {appointment_at}."),
        push_title=_("Pembaruan eskalasi"),
        push_body=_OPEN_APP,
    ),
    "escalation_outcome": KindText(
        title=_("Hasil eskalasi dicatat"),
        body=_("Hasil untuk kasus {client_code} telah dicatat. Lihat tindak lanjut di aplikasi."),
        push_title=_("Pembaruan eskalasi"),
        push_body=_OPEN_APP,
    ),
    # To the staff member handling a case: the client withdrew referral consent; only closing the case is left.
    "escalation_consent_withdrawn": KindText(
        title=_("Persetujuan rujukan ditarik"),
        body=_(
            "Klien kasus {client_code} menarik persetujuan rujukan. Hentikan penanganan dan tutup kasus ini."
        ),
        push_title=_("Pembaruan eskalasi"),
        push_body=_OPEN_APP,
    ),
    # To the staff member handling a case: the client withdrew data-collection consent; Pulih stops processing
    # them and the client leaves the phone. The push says only that a case changed.
    "client_consent_withdrawn": KindText(
        title=_("Persetujuan pengumpulan data ditarik"),
        body=_(
            "Klien kasus {client_code} menarik persetujuan pengumpulan data. Data klien tidak lagi diproses di "
            "Pulih; hentikan penanganan dan tutup kasus ini."
        ),
        push_title=_("Pembaruan eskalasi"),
        push_body=_OPEN_APP,
    ),
    "task_assigned": KindText(
        title=_("Tugas baru"),
        body=_("Tugas baru untuk kasus {client_code}, tenggat {due_at}."),
        push_title=_("Tugas baru"),
        push_body=_OPEN_APP,
    ),
    # To system admins: a field worker's offline set passed SYNC_MAX_SET_SIZE (their role assignments need a look).
    "sync_set_oversize": KindText(
        title=_("Data sinkron terlalu besar"),
        body=_(
            "Data luring {user_name} berisi {set_size} baris (batas {limit}). Periksa penugasan perannya."
        ),
        push_title=_("Data sinkron terlalu besar"),
        push_body=_OPEN_APP,
    ),
    # To a field worker, once in their morning (backend/tasks/digest.py): counts only, one entry for all tasks.
    "task_digest": KindText(
        title=_("Tugas hari ini"),
        body=_("Anda memiliki {due_today} tugas dengan tenggat hari ini dan {overdue} tugas yang terlambat."),
        push_title=_("Tugas hari ini"),
        push_body=_OPEN_APP,
    ),
    "task_overdue": KindText(
        title=_("Tugas terlambat"),
        body=_("Tugas untuk kasus {client_code} telah melewati tenggat {due_at}."),
        push_title=_("Tugas terlambat"),
        push_body=_OPEN_APP,
    ),
    # To the coordinators of the regency (and the admin of a facility holding an open case): tier 3 of the
    # follow-up, the village could not reach the client.
    "followup_tier3": KindText(
        title=_("Klien belum dapat dihubungi"),
        body=_("Klien {client_code} belum dapat dihubungi selama {days} hari. Mohon bantu menindaklanjuti."),
        push_title=_("Tindak lanjut diperlukan"),
        push_body=_OPEN_APP,
    ),
    # To the coordinators of the regency: a client refused to be contacted; follow-up pauses until a date.
    "followup_refused": KindText(
        title=_("Klien menolak dihubungi"),
        body=_("Klien {client_code} menolak dihubungi. Tindak lanjut dihentikan sampai {until}."),
        push_title=_("Pembaruan tindak lanjut"),
        push_body=_OPEN_APP,
    ),
}


def kind_text(kind: str) -> KindText:
    """The texts of `kind`; an unknown kind is a programming error (ValueError)."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown notification kind {kind!r}; known: {sorted(KINDS)}") from None


def required_params(kind: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(str(kind_text(kind).body)) if name}


def format_time(value: datetime, tz_name: str | None) -> str:
    """`value` in the area's time zone, e.g. "24-11-2026 14:30 WITA" (zoneinfo names Indonesia's zones so)."""
    local = timezone.localtime(value, ZoneInfo(tz_name or "Asia/Jakarta"))
    return local.strftime("%d-%m-%Y %H:%M %Z")


def render_inbox(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of the inbox entry, in the active language. Missing params are a programming error."""
    text = kind_text(kind)
    missing = required_params(kind) - params.keys()
    if missing:
        raise ValueError(f"notification kind {kind!r} needs params {sorted(missing)}")
    tz_name = params.get("tz")
    values = {
        key: format_time(value, tz_name) if isinstance(value, datetime) else str(value)
        for key, value in params.items()
    }
    return str(text.title), str(text.body).format(**values)


def render_push(kind: str) -> tuple[str, str]:
    """(title, body) of the push, in the active language: generic, nothing about the client."""
    text = kind_text(kind)
    return str(text.push_title), str(text.push_body)


# The second channel (WhatsApp, SMS): the whole message, the same for everyone. It goes through Meta or a
# phone company to a number that may be shared, read over a shoulder or on a lock screen, so it says nothing
# at all about any client (not even a code) or what the task is: only that the app has something waiting.
# WhatsApp sends the template approved with these words (WHATSAPP_TEMPLATE_URGENT / _DIGEST).
CHANNEL_TEXTS: dict[str, Any] = {
    "urgent_offer_unanswered": _("Ada tugas mendesak di Pulih. Buka aplikasi."),
    "daily_digest": _("Ada tugas Pulih yang perlu Anda kerjakan hari ini. Buka aplikasi."),
}


def render_channel(kind: str) -> str:
    """The second-channel text of `kind` in the active language; an unknown kind is a ValueError."""
    try:
        return str(CHANNEL_TEXTS[kind])
    except KeyError:
        raise ValueError(f"unknown channel message kind {kind!r}; known: {sorted(CHANNEL_TEXTS)}") from None
