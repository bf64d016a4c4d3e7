"""Load a province's road, ferry and river network from an OpenStreetMap extract, then rebuild its travel times.

manage.py import_travel_network kalimantan-tengah.osm.pbf --province 62
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.travel.services import network_load, travel_times_build


class Command(BaseCommand):
    help = "Impor jaringan jalan, feri dan sungai satu provinsi dari ekstrak OpenStreetMap (.osm / .osm.pbf)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--province", required=True, help="Kode Kemendagri provinsi, mis. 62.")
        parser.add_argument("--no-build", action="store_true", help="Jangan hitung ulang tabel waktu tempuh.")

    def handle(self, *args: Any, path: Path, province: str, no_build: bool, **options: Any) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if not province.isdigit() or len(province) != 2:
            raise CommandError("--province takes a two-digit province code, e.g. 62")
        edges, vertices = network_load(path=path, province_code=province)
        self.stdout.write(f"province {province}: {edges} edges, {vertices} vertices loaded")
        if edges == 0:
            raise CommandError("no road, ferry or river way in the extract: nothing to route over")
        if not no_build:
            self.stdout.write(travel_times_build(province_code=province).summary())
