"""The feed's cursor: what it carries, how it is written (opaque base64 to the phone) and read back, and the
fingerprint of the caller's scope it carries. The formats are explained in the package's docstring."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from backend.access.policy import scope_fingerprint
from backend.accounts.models import User
from backend.common.errors import ValidationFailed
from backend.mobile.feed.entities import ENTITIES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SCOPE_HEX = 12


def _us(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    kind: str  # "s" (snapshot) | "c" (changes)
    txid: int  # the horizon of a snapshot, or the last served log row's txid
    phase: int = 0  # snapshot: index into entities.ENTITIES
    last: str = ""  # snapshot: last id served in that phase; changes: last log row id
    # The visit window's start the phone's set was last aligned to (see `pages.aged_visits`), and the last visit
    # served a `leave` at that time (a sweep cut by the page limit goes on from there). None: "now", i.e. an
    # old cursor without it (nothing to sweep).
    window_start: datetime | None = None
    window_last: str = ""
    # The fingerprint of the caller's scope when the cursor was made (`scope_fingerprint_of`); "" = unknown.
    scope: str = ""

    def encode(self) -> str:
        ws = "" if self.window_start is None else str(_us(self.window_start))
        if self.kind == "s":
            raw = f"s:{self.txid}:{self.phase}:{self.last}:{ws}:{self.scope}"
        else:
            raw = f"{self.txid}:{self.last}:{ws}:{self.window_last}:{self.scope}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uuid_text(raw: str) -> str:
    if raw and str(uuid.UUID(raw)) != raw:
        raise ValueError
    return raw


def _bigint(raw: str) -> int:
    """A txid or log id: PostgreSQL's bigint, so a forged cursor never reaches the database as a DataError."""
    value = int(raw)
    if not 0 <= value < 2**63:
        raise ValueError
    return value


def _window_decode(raw: str) -> datetime | None:
    return _EPOCH + timedelta(microseconds=int(raw)) if raw else None


def _scope_decode(raw: str) -> str:
    if raw and (len(raw) != _SCOPE_HEX or any(c not in "0123456789abcdef" for c in raw)):
        raise ValueError
    return raw


def cursor_decode(raw: str) -> Cursor:
    """Decode a cursor; cursors of the earlier formats (without the visit window or the scope) are accepted."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        parts = text.split(":")
        if parts[0] == "s" and len(parts) in (4, 5, 6):
            parts += [""] * (6 - len(parts))
            phase = int(parts[2])
            if not 0 <= phase < len(ENTITIES):
                raise ValueError
            return Cursor(
                "s",
                _bigint(parts[1]),
                phase,
                _uuid_text(parts[3]),
                _window_decode(parts[4]),
                scope=_scope_decode(parts[5]),
            )
        if len(parts) in (2, 4, 5):
            parts += [""] * (5 - len(parts))
            window, window_last = _window_decode(parts[2]), _uuid_text(parts[3])
            if window is None and window_last:
                raise ValueError
            txid, last_id = _bigint(parts[0]), _bigint(parts[1])
            return Cursor("c", txid, 0, str(last_id), window, window_last, _scope_decode(parts[4]))
        raise ValueError
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed(
            _("Cursor tidak valid: mulai sinkronisasi dari awal."), code="invalid_cursor"
        ) from None


def scope_fingerprint_of(user: User) -> str:
    """What the caller may see, hashed (access.scope_fingerprint): a change answers a `reset`."""
    return scope_fingerprint(user, length=_SCOPE_HEX)
