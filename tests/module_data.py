"""Data built once for a whole test module: in a transaction of its own, rolled back at the end, so that each test
runs in a savepoint inside it (pytest-django's `db`). Passwords are hashed with a fast hasher while it is built."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import transaction
from django.test import override_settings

T = TypeVar("T")


def built_for_module(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """For a module-scoped fixture: `yield from built_for_module(django_db_blocker, build)`."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    atomic = transaction.atomic()
    with django_db_blocker.unblock(), fast:
        atomic.__enter__()
        try:
            built = build()
        except BaseException:
            atomic.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
