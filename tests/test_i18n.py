"""Every string a person reads has a Swedish translation, and Swedish pages speak Swedish."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
METHODS = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2"),
           ("portal/templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"portal/templates/**.html": {},
                                                            "portal/templates/**.txt": {}},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def test_every_source_string_has_a_swedish_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog
                  if m.id and m.string and all(m.string) and not m.fuzzy}
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"{len(missing)} strings lack Swedish (run make extract): {missing[:15]}"


def test_placeholders_survive_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    errors = [(m.id, list(errs)) for m, errs in catalog.check() if errs]
    assert errors == []
