"""Fill English msgstr entries in locale/en/LC_MESSAGES/django.po from scripts/translations_en.py.

Usage: .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=tests && .venv/bin/python scripts/po_fill.py
Prints the msgids that still have no English text, so none is forgotten.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from translations_en import EN  # noqa: E402

PO = Path(__file__).resolve().parent.parent / "locale/en/LC_MESSAGES/django.po"


def _unquote(block: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).replace('\\"', '"').replace("\\n", "\n")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> int:
    text = PO.read_text()
    entries = re.split(r"\n\n", text)
    missing = []
    out = []
    for entry in entries:
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)', entry + "\n", re.M)
        if not m or entry.lstrip().startswith('msgid ""\nmsgstr ""\n"'):
            out.append(entry)
            continue
        msgid = _unquote(m.group(1))
        if msgid == "":
            out.append(entry)
            continue
        entry = entry.replace("#, fuzzy\n", "")
        english = EN.get(msgid)
        if english is None:
            missing.append(msgid)
            out.append(entry)
            continue
        start = entry.index("msgstr ")
        out.append(entry[:start] + "msgstr " + _quote(english))
    PO.write_text("\n\n".join(out).rstrip("\n") + "\n")
    for msgid in missing:
        print(f"no English for: {msgid!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
