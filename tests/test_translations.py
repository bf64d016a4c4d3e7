"""The English catalogue, locale/en/LC_MESSAGES/django.po, is the only source of English text.

Bahasa Indonesia is the source language (the msgid); these tests fail when a text would reach an English
reader untranslated: an entry without msgstr, a fuzzy entry (compilemessages leaves it out of the .mo), a
placeholder lost in translation, or a text marked for translation in the code or a template that is not in
the catalogue at all (run makemessages, then write its English msgstr).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/en/LC_MESSAGES/django.po"
SOURCE_DIRS = ("backend", "api", "notifications", "villages")
SKIP_DIRS = {".venv", "tests", "migrations", "__pycache__"}

# django.utils.translation function -> positions of (msgctxt, msgid) among its arguments.
GETTEXT_FUNCTIONS = {
    name + suffix: positions
    for name, positions in {
        "gettext": (None, 0),
        "ngettext": (None, 0),  # the singular; the plural is checked against msgid_plural
        "pgettext": (0, 1),
        "npgettext": (0, 1),
    }.items()
    for suffix in ("", "_lazy")
} | {"gettext_noop": (None, 0)}
PLURAL_POSITION = {"ngettext": 1, "ngettext_lazy": 1, "npgettext": 2, "npgettext_lazy": 2}

TEMPLATE_TAG = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<text>.*?)(?P=q)(?P<rest>[^%]*)%\}""", re.S
)


# --- the catalogue ---------------------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(token: str, where: str) -> str:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"{where}: not a quoted string: {token!r}")

    def unescape(match: re.Match[str]) -> str:
        if match.group(1) not in _ESCAPES:
            raise ValueError(f"{where}: unknown escape \\{match.group(1)}")
        return _ESCAPES[match.group(1)]

    return re.sub(r"\\(.)", unescape, token[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A strict reader of the .po format as makemessages writes it (no third-party dependency)."""
    entries: list[Entry] = []
    current: Entry | None = None
    keyword: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        line = raw.strip()
        if not line:
            current, keyword = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#~"):
            current.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if keyword is None:
                raise ValueError(f"{where}: continuation line outside an entry")
            text = _unquote(line, where)
        else:
            keyword, _sep, token = line.partition(" ")
            text = _unquote(token.strip(), where)
        if keyword == "msgid":
            current.msgid += text
        elif keyword == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + text
        elif keyword == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        elif keyword == "msgstr":
            current.msgstr[0] = current.msgstr.get(0, "") + text
        elif keyword and (m := re.fullmatch(r"msgstr\[(\d+)\]", keyword)):
            index = int(m.group(1))
            current.msgstr[index] = current.msgstr.get(index, "") + text
        else:
            raise ValueError(f"{where}: unexpected line {raw!r}")
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    """The live (not obsolete) entries of the English catalogue, header left out."""
    return [entry for entry in parse_po(PO) if not entry.obsolete and entry.msgid != ""]


def test_the_catalogue_has_a_header_and_no_entry_twice():
    entries = [entry for entry in parse_po(PO) if not entry.obsolete]
    assert entries and entries[0].msgid == "" and "charset=UTF-8" in entries[0].msgstr.get(0, "")
    seen: dict[tuple[str | None, str], int] = {}
    twice = []
    for entry in entries:
        if entry.key in seen:
            twice.append((entry.msgid, seen[entry.key], entry.line))
        seen[entry.key] = entry.line
    assert twice == []


def test_every_msgid_has_an_english_msgstr(catalogue):
    untranslated = [
        (entry.line, entry.msgid)
        for entry in catalogue
        if not entry.msgstr or not all(text.strip() for text in entry.msgstr.values())
    ]
    assert untranslated == [], "write the English msgstr in locale/en/LC_MESSAGES/django.po"


def test_no_entry_is_fuzzy(catalogue):
    # compilemessages leaves fuzzy entries out of the .mo: an English reader would get Bahasa Indonesia.
    fuzzy = [(entry.line, entry.msgid) for entry in catalogue if "fuzzy" in entry.flags]
    assert fuzzy == [], "check the msgstr, then delete the fuzzy flag (and any '#| msgid' line)"


_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")
_BRACES = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")


def _placeholders(text: str, percent: bool) -> list[str]:
    found = sorted("{" + name + "}" for name in _BRACES.findall(text))
    if percent:
        named = (f"%({name}){kind}" if name else f"%{kind}" for name, kind in _PERCENT.findall(text))
        found += sorted(p for p in named if p != "%%")
    return found


def test_every_translation_keeps_the_placeholders_of_its_msgid(catalogue):
    lost = []
    for entry in catalogue:
        # %-placeholders count where makemessages saw a format (python-format) or a named one is plain to see.
        percent = "python-format" in entry.flags or "%(" in entry.msgid
        expected = set(_placeholders(entry.msgid + (entry.msgid_plural or ""), percent))
        for msgstr in entry.msgstr.values():
            got = _placeholders(msgstr, percent)
            # A plural form may leave out the count; a singular text must keep every placeholder.
            if entry.msgid_plural is None and got != _placeholders(entry.msgid, percent):
                lost.append((entry.line, entry.msgid, msgstr))
            elif entry.msgid_plural is not None and not set(got) <= expected:
                lost.append((entry.line, entry.msgid, msgstr))
    assert lost == []


# --- the sources -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marked:
    where: str
    msgctxt: str | None
    msgid: str | None  # None: not a string literal, which makemessages cannot extract
    msgid_plural: str | None = None


def _python_sources() -> list[Path]:
    files = []
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def _translation_aliases(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local names bound to gettext functions (`gettext_lazy as _`), and names bound to the module itself."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in GETTEXT_FUNCTIONS:
                    functions[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "translation"}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "django.utils.translation":
                    modules.add(alias.asname or alias.name)
    return functions, modules


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := _dotted(node.value)):
        return f"{base}.{node.attr}"
    return None


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    if position is None:
        return None
    if position < len(call.args):
        return call.args[position]
    return next((kw.value for kw in call.keywords if kw.arg == keyword), None)


def marked_in_python() -> list[Marked]:
    marked = []
    for path in _python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        functions, modules = _translation_aliases(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = None
            if isinstance(node.func, ast.Name):
                name = functions.get(node.func.id)
            elif isinstance(node.func, ast.Attribute) and _dotted(node.func.value) in modules:
                name = node.func.attr if node.func.attr in GETTEXT_FUNCTIONS else None
            if name is None:
                continue
            context_at, msgid_at = GETTEXT_FUNCTIONS[name]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            keyword = "singular" if name in PLURAL_POSITION else "message"
            msgid_node = _argument(node, msgid_at, keyword)
            context_node = _argument(node, context_at, "context")
            plural_node = _argument(node, PLURAL_POSITION.get(name), "plural")
            marked.append(
                Marked(
                    where=where,
                    msgctxt=_literal(context_node) if context_node is not None else None,
                    msgid=_literal(msgid_node),
                    msgid_plural=_literal(plural_node) if plural_node is not None else None,
                )
            )
    return marked


def marked_in_templates() -> list[Marked]:
    marked = []
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*.html")):
            text = path.read_text(encoding="utf-8")
            for match in TEMPLATE_TAG.finditer(text):
                context = re.search(r"""context\s+(["'])(.*?)\1""", match.group("rest"))
                where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
                marked.append(Marked(where, context.group(2) if context else None, match.group("text")))
    return marked


def test_the_source_scan_sees_the_marked_texts():
    # Guards the scan itself: texts known to be marked in the code and in a template are found.
    found = {(m.msgctxt, m.msgid) for m in marked_in_python() + marked_in_templates()}
    assert (None, "Wajib diisi.") in found
    assert (None, "Bahasa Indonesia") in found
    assert (None, "Hasil impor") in found


def test_every_text_marked_for_translation_is_a_literal():
    # `_(f"...")` or `_(text % values)` cannot be extracted by makemessages: the text would stay Indonesian.
    not_literal = [m.where for m in marked_in_python() if m.msgid is None]
    assert not_literal == []


def test_every_text_marked_for_translation_is_in_the_catalogue(catalogue):
    known = {entry.key: entry for entry in catalogue}
    missing = []
    for m in marked_in_python() + marked_in_templates():
        if m.msgid is None:
            continue
        entry = known.get((m.msgctxt, m.msgid))
        if entry is None or (m.msgid_plural is not None and entry.msgid_plural != m.msgid_plural):
            missing.append(f"{m.where}: {m.msgid!r}")
    assert missing == [], (
        "run `.venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=.local` "
        "and write the English msgstr in locale/en/LC_MESSAGES/django.po"
    )
