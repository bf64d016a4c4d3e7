"""The in-scope checks before a client's rights are acted on: who may erase a client's personal data.

The area's coordinators and system admins (as for the subject-access export, subject_access.py): other roles who
see the client answer 403 `coordinator_required`, anyone else 404. A client who withdrew consent is still in
their coordinators' view, so an erasure usually follows a withdrawal.
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext_lazy as _

from backend.access.policy import is_coordinator_of
from backend.accounts.models import User
from backend.common.errors import PermissionDenied
from backend.privacy.erasure import client_erase
from backend.privacy.models import ErasureLog
from backend.reads.clients import client_get_full_for


def client_erase_for(*, user: User, client_id: uuid.UUID, basis: str, request_reference: str) -> ErasureLog:
    """Erase the client's personal data if `user` may (see the module docstring): backend/privacy/erasure.py."""
    client = client_get_full_for(user=user, client_id=client_id)
    if not is_coordinator_of(user=user, village_code=client.village_id):
        raise PermissionDenied(
            _("Penghapusan data klien hanya dilakukan oleh koordinator wilayah klien."),
            code="coordinator_required",
        )
    return client_erase(actor=user, client=client, basis=basis, request_reference=request_reference)
