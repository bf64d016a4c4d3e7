"""Write docs/DPIA.md, the register of personal data (backend/privacy/register.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.privacy.register import register_markdown, unclassified


class Command(BaseCommand):
    help = (
        "Write docs/DPIA.md: every personal-data field Pulih stores, its purpose, who sees it, where it goes."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "DPIA.md"))

    def handle(self, *args: Any, **options: Any) -> None:
        if problems := unclassified():
            raise CommandError("Fields the register does not classify:\n" + "\n".join(problems))
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(register_markdown(), encoding="utf-8")
        self.stdout.write(f"{path}: written")
