"""The French catalogue: every marked string has its translation, the committed .mo is the
.po compiled, and the language comes from --lang or else the locale (docs/i18n.md).

The messages are extracted here as `pybabel extract -F babel.cfg` would, in memory: a
string marked in the code (`_`, `ngettext`, `N_`) or a template, with no French or a
fuzzy one in vrrplab.po, fails the first test, which names it and where it is.
"""

from __future__ import annotations

import gettext
import io
import os
import re
import string
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

babel = pytest.importorskip("babel", reason="Babel is a test dependency: pip install -e '.[test]'")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.frontend import parse_mapping_cfg  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

from vrrplab import i18n  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "vrrplab"
PO = PACKAGE / "locale/fr/LC_MESSAGES/vrrplab.po"
MO = PO.with_suffix(".mo")
PERCENT_FIELD = re.compile(r"%\((\w+)\)[sdif]")


def _extracted() -> dict:
    """msgid (a str, or (singular, plural)) -> where it is marked, as babel.cfg says."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    tops = {pattern.split("/")[0] for pattern, _method in method_map}

    def only_mapped(dirpath: str) -> bool:  # walk the mapped folders, not .venv or reports/
        rel = Path(dirpath).relative_to(ROOT)
        return rel.parts[0] in tops and not rel.name.startswith((".", "_"))

    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, directory_filter=only_mapped):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def _catalogue():
    with open(PO, "rb") as po:
        return read_po(po, locale="fr", domain="vrrplab")


def _fields(text: str) -> set[str]:
    """The replacement fields of a str.format template ({x}, {x:.3f}, {x!r}) or of a
    %-template, as Jinja2's {% trans %} makes them (%(x)s)."""
    if PERCENT_FIELD.search(text):
        return set(PERCENT_FIELD.findall(text))
    return {f"{name}!{conv or ''}" for _lit, name, _spec, conv in string.Formatter().parse(text)
            if name is not None}


EXTRACTED = _extracted()


def test_the_extraction_finds_the_marked_strings():
    assert "language must be one of {languages}, not {chosen!r}" in EXTRACTED


def test_every_marked_string_has_its_french():
    catalogue = _catalogue()
    missing = []
    for message, where in sorted(EXTRACTED.items(), key=lambda kv: kv[1][0]):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(msgid)
        strings = ([] if entry is None else
                   list(entry.string) if isinstance(entry.string, tuple) else [entry.string])
        if entry is None or entry.fuzzy or not strings or not all(strings):
            why = "fuzzy" if entry is not None and entry.fuzzy else "no French"
            missing.append(f"{where[0]}: {why}: {msgid!r}")
    assert not missing, ("strings with no French in vrrplab.po (docs/i18n.md: pybabel update, "
                         "translate, pybabel compile):\n" + "\n".join(missing))


def test_every_translation_keeps_the_fields_of_its_message():
    """A translation that drops or renames a {field} would break .format() in French."""
    wrong = []
    for entry in _catalogue():
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        # a plural's singular may say "une" where the English says {n}
        expected = set().union(*map(_fields, ids))
        for text in strings:
            if not _fields(text) <= expected or (len(ids) == 1 and _fields(text) != expected):
                wrong.append(f"{entry.id!r}: {text!r}")
    assert not wrong, "translations whose {fields} differ from the message's:\n" + "\n".join(wrong)


def test_the_catalogue_holds_only_what_the_code_marks():
    """A message no longer in the code: `pybabel update` was not run (docs/i18n.md)."""
    marked = {m[0] if isinstance(m, tuple) else m for m in EXTRACTED}
    stale = [entry.id for entry in _catalogue() if entry.id and
             (entry.id[0] if isinstance(entry.id, tuple) else entry.id) not in marked]
    assert not stale, "in vrrplab.po, not in the code: run pybabel update:\n" + "\n".join(
        map(repr, stale))


def test_the_committed_mo_is_the_po_compiled():
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue())
    fresh = gettext.GNUTranslations(io.BytesIO(compiled.getvalue()))
    with open(MO, "rb") as mo:
        committed = gettext.GNUTranslations(mo)
    assert committed._catalog == fresh._catalog, "vrrplab.mo is stale: run pybabel compile"


def test_the_mo_files_ship_with_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["vrrplab"]
    assert any(fnmatch(str(MO.relative_to(PACKAGE)), p) for p in patterns)


@pytest.mark.parametrize("environ, expected", [
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "fr_CA.UTF-8"}, "fr"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),  # no German: English
    ({}, "en"),
    ({"LANGUAGE": "fr", "LANG": "en_US.UTF-8"}, "fr"),  # LANGUAGE comes first
    ({"LANGUAGE": "de:fr", "LANG": "en_US.UTF-8"}, "fr"),  # its first language we have
    ({"LANGUAGE": "en", "LC_ALL": "fr_FR.UTF-8"}, "en"),
    ({"LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "C"}, "fr"),
])
def test_language_from_environment(environ, expected):
    assert i18n.language_from_environment(environ) == expected


def test_set_language_from_the_environment(monkeypatch):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.set_language(None) == "fr"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.set_language(None) == "en"


def test_french_once_chosen_and_english_again():
    message = "language must be one of {languages}, not {chosen!r}"
    assert i18n.set_language("fr") == "fr"
    assert i18n.language() == "fr"
    assert i18n._(message).startswith("la langue doit être")
    with i18n.using("en"):
        assert i18n._(message) == message
    assert i18n._(message) != message  # back to French after the block
    i18n.set_language("en")
    assert i18n._(message) == message


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language must be one of en, fr, not 'de'"):
        i18n.set_language("de")


def test_numbers_take_the_language_decimal_mark():
    assert i18n.number(0.6123, 3) == "0.612"
    assert i18n.number(1.0) == "1" and i18n.number(0.01) == "0.01"
    with i18n.using("fr"):
        assert i18n.number(0.6123, 3) == "0,612"
        assert i18n.number(0.01) == "0,01"
        assert i18n.number(12, 1) == "12,0"


def test_no_test_leaves_a_language_behind():
    """tests/conftest.py sets English around every test, whatever the machine's locale."""
    assert i18n.language() == "en"
    assert os.environ.get("LANGUAGE") == "en"
