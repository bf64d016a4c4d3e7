"""manage.py import_facilities: load health facilities from CSV (upsert by `code`; see villages/services.py).

Columns: code,name,type,is_ipwl,village_code,address,phone,lat,lng,inpatient_beds,outpatient_capacity_per_month
[,working_area] (kecamatan codes separated by ';'; a puskesmas without one serves its own kecamatan)
(type: puskesmas, rsud, rsj, klinik_bnn, ipwl, yayasan). Villages must be imported first; a row without lat/lng
is placed at its village's centroid. Bad rows are listed (and written to --report) and not saved.
"""

from __future__ import annotations

import csv
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from villages.management.commands.import_regions import print_summary
from villages.services import facilities_import


class Command(BaseCommand):
    help = "Impor fasilitas kesehatan (puskesmas, RSUD, RSJ, klinik BNN, IPWL, yayasan) dari CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", help="CSV fasilitas ('-' untuk stdin)")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--report", help="Tulis baris yang ditolak ke CSV ini")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            stream = (
                sys.stdin
                if options["csv_path"] == "-"
                else open(options["csv_path"], encoding="utf-8-sig", newline="")
            )  # noqa: SIM115
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        with stream:
            reader = csv.DictReader(stream)
            if not {"code", "name", "type", "village_code"} <= set(reader.fieldnames or []):
                raise CommandError("Kolom CSV wajib: code, name, type, village_code.")
            rows = [(reader.line_num, row) for row in reader]
        with tqdm(
            total=len(rows), unit="fasilitas", disable=options["verbosity"] < 1, file=sys.stderr
        ) as bar:
            report = facilities_import(rows, batch_size=options["batch_size"], progress=bar.update)
        print_summary(self, report, time.monotonic() - started, options)
