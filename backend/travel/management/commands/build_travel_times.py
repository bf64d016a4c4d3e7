"""Recompute a province's village x facility travel times from its loaded network (after facilities change).

manage.py build_travel_times --province 62
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.travel.services import travel_times_build


class Command(BaseCommand):
    help = "Hitung ulang tabel waktu tempuh desa x fasilitas satu provinsi."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--province", required=True)

    def handle(self, *args: Any, province: str, **options: Any) -> None:
        self.stdout.write(travel_times_build(province_code=province).summary())
