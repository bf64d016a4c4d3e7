"""manage.py import_users FILE.csv [--dry-run] [--report refused.csv] (see backend/accounts/imports.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.accounts.imports import refused_rows_write_csv, users_import_csv
from backend.common.errors import ValidationFailed


class Command(BaseCommand):
    help = (
        "Impor pengguna dari CSV (kolom nama,no_hp,peran,kode_wilayah,kode_fasilitas[,password]); "
        "baris yang ditolak dilaporkan dengan nomor baris dan alasannya."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Periksa saja, tanpa menyimpan.")
        parser.add_argument("--report", type=Path, help="Tulis baris yang ditolak ke file CSV ini.")
        parser.add_argument("--encoding", default="utf-8-sig")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open(encoding=options["encoding"], newline="") as stream:
                result = users_import_csv(stream=stream, dry_run=options["dry_run"])
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        except ValidationFailed as exc:
            raise CommandError(f"{path}: {exc.message}") from exc
        for r in result.refused:
            self.stderr.write(f"baris {r.line} ({r.phone or '-'}): {r.reason}")
        if options["report"]:
            with options["report"].open("w", encoding="utf-8", newline="") as out:
                refused_rows_write_csv(refused=result.refused, stream=out)
        prefix = "[uji coba, tidak disimpan] " if result.dry_run else ""
        self.stdout.write(
            f"{prefix}{result.rows} baris: {result.users_created} pengguna baru, "
            f"{result.roles_added} peran ditambahkan, {result.unchanged} tidak berubah, "
            f"{len(result.refused)} ditolak"
        )
