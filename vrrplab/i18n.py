"""The language people read: gettext catalogues (vrrplab/locale/), French and English.

Every user-facing string is written in English inside `_()` (or `ngettext`) and
translated through the catalogue of the chosen language; Babel extracts them
(`babel.cfg`) and compiles the catalogues (see docs/i18n.md). results.json stays
in English: the words are chosen when something is shown, so `vrrplab report
RUN_DIR --lang fr` shows an old run in French.

The language: `--lang fr|en`, else the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG:
fr_FR.UTF-8 gives French), else English.
"""

from __future__ import annotations

import gettext as _gettext
import os
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "vrrplab"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "fr")  # English is the source language: no catalogue needed
DEFAULT = "en"
DECIMAL_MARKS = {"fr": ","}  # numbers in prose: 0.612 s in English, 0,612 s in French

_translations: _gettext.NullTranslations = _gettext.NullTranslations()
_language = DEFAULT


def language_from_environment(environ: dict | None = None) -> str:
    """The first of LANGUAGE, LC_ALL, LC_MESSAGES, LANG that names a language we have."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in (environ.get(name) or "").split(":"):
            code = value.split(".")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code in ("c", "posix"):
                return DEFAULT
    return DEFAULT


def set_language(language: str | None) -> str:
    """Use `language` (None: from the environment) from now on; return the one chosen."""
    global _translations, _language
    chosen = language or language_from_environment()
    if chosen not in LANGUAGES:
        raise ValueError(_("language must be one of {languages}, not {chosen!r}")
                         .format(languages=", ".join(LANGUAGES), chosen=chosen))
    _language = chosen
    _translations = _gettext.translation(DOMAIN, LOCALE_DIR, [chosen], fallback=True)
    return chosen


def language() -> str:
    return _language


@contextmanager
def using(language: str):
    """Speak `language` inside the block, then the language chosen before (results.json
    is written in English whatever the reader chose)."""
    before = _language
    set_language(language)
    try:
        yield
    finally:
        set_language(before)


def number(value: float, digits: int | None = None) -> str:
    """`value` with `digits` decimals (None: as short as it goes, like `:g`), with the
    language's decimal mark: "0.612" in English, "0,612" in French. For prose only:
    commands and config lines keep the dot."""
    text = f"{value:g}" if digits is None else f"{value:.{digits}f}"
    mark = DECIMAL_MARKS.get(_language)
    return text.replace(".", mark) if mark else text


def translations() -> _gettext.NullTranslations:
    """The active catalogue (for Jinja2's i18n extension)."""
    return _translations


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; `_()` translates it where shown."""
    return message


class Message:
    """Words chosen when they are shown: an English template (marked N_ where it is
    written) and its values. str() is the English (logs, results.json); localized() is
    the reader's language. A value may be a Message itself; a float keeps its format spec
    (`{took:.3f}`) and takes the language's decimal mark."""

    def __init__(self, template: str, /, **values):
        self.template, self.values = template, values

    def __str__(self) -> str:
        return self._render(False)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.values!r})"

    def localized(self) -> str:
        return self._render(True)

    def _render(self, translate: bool) -> str:
        text = _(self.template) if translate and self.template else self.template
        if not self.values:
            return text
        return text.format(**{k: _shown(v, translate) for k, v in self.values.items()})


class Joined(Message):
    """Messages (or plain words) one after another, `separator` (a Message or words)
    between them."""

    def __init__(self, separator: str | Message, parts):
        super().__init__("")
        self.separator, self.parts = separator, list(parts)

    def _render(self, translate: bool) -> str:
        separator = str(_shown(self.separator, translate))
        return separator.join(str(_shown(p, translate)) for p in self.parts)


class _Prose(float):
    """A float that formats with the language's decimal mark."""

    def __format__(self, spec: str) -> str:
        return float.__format__(self, spec).replace(".", DECIMAL_MARKS.get(_language, "."))


def _shown(value, translate: bool):
    if isinstance(value, Message):
        return value.localized() if translate else str(value)
    if translate and isinstance(value, float) and not isinstance(value, bool):
        return _Prose(value)
    return value


def localized(thing) -> str:
    """An error or a Message in the reader's language; anything else as str() says it."""
    render = getattr(thing, "localized", None)
    return render() if callable(render) else str(thing)


SCENARIO_TEXTS = ("description", "lesson")


def extract_scenario(fileobj, keywords, comment_tags, options):
    """Babel extraction method (babel.cfg) for a scenario's YAML file: its description and
    lesson, the English texts `list`, `run` and the summary show through `_()`."""
    import yaml

    text = fileobj.read().decode("utf-8")
    try:
        data, root = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError:
        return
    if not isinstance(data, dict) or root is None:
        return
    lines = {key.value: value.start_mark.line + 1 for key, value in root.value}
    for name in SCENARIO_TEXTS:
        if isinstance(data.get(name), str) and data[name]:
            yield lines.get(name, 1), None, data[name], [f"scenario {data.get('name')}: {name}"]
