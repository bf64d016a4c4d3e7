"""manage.py load_demo: the demo regions, facilities and users (idempotent; safe to run on every `make run`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from backend.accounts.demo import load_demo_users
from villages.demo import load_demo_geography


class Command(BaseCommand):
    help = "Memuat data demo: wilayah, fasilitas dan pengguna demo (idempoten)."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            regions, facilities = load_demo_geography()
            users = load_demo_users()
        self.stdout.write(f"[pulih] demo data: {regions} regions, {facilities} facilities, {users} users")
