"""Reading YAML safely, and the `Checker` that collects each file's problems.

`read_yaml` refuses duplicate keys, tags it cannot build and files over
`MAX_FILE_BYTES`; `Checker` turns wrong values into `FILE: FIELD: expected ...,
got ...` lines. Also the names both halves of the loader (topology, scenario)
check against.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml

from vrrplab.errors import InputError

LOWER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # scenario, topology and fault names
LOWER_NAME_TEXT = "a lowercase name of letters, digits and - (at most 64 characters)"
ONE_LINE = re.compile(r"[^\n\r]*")
MAX_FILE_BYTES = 1024 * 1024  # a topology or scenario is a page or two of YAML
MISSING = object()

_SHORT = reprlib.Repr()  # a bad value is quoted, never dumped whole (aliases can nest deep)
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 80, 80, 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxdict = 6
_SHORT.maxlevel = 3


def show(value: Any) -> str:
    """A bad value as it appears after `got`: its repr, cut short if long."""
    try:
        text = _SHORT.repr(value)
    except Exception:  # noqa: BLE001 (a repr must never hide the problem)
        return f"<a {type(value).__name__}>"
    return text if len(text) <= 120 else text[:100] + "..."


def _one_line(text: str) -> str:
    """Each problem stays one printable line, whatever characters the file had."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# --- YAML -------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last).

    It also turns a scalar that its tag cannot build (`!!int abc`, a date such as
    2001-02-30) into a YAML error with its position, instead of a ValueError.
    """

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception:  # noqa: BLE001 (PyYAML's constructors raise what Python raises)
            tag = str(node.tag).rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a valid {tag}, got {show(value)}", node.start_mark) from None


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor`: its keys may be overridden, that is its purpose
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a plain key (a name), got {show(key)}",
                key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: Path) -> Any:
    try:
        if not path.is_file():  # a FIFO or /dev/zero would never end
            path.stat()  # the OSError that says why (no such file...), if there is one
            raise InputError(_one_line(f"{path}: cannot read: not a regular file"))
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputError(_one_line(f"{path}: expected a file of at most "
                                       f"{MAX_FILE_BYTES // 1024} KiB, got more"))
    except OSError as exc:
        raise InputError(_one_line(f"{path}: cannot read: {exc.strerror or exc}")) from None
    except ValueError:  # a NUL in the name
        raise InputError(_one_line(f"{path}: cannot read: not a valid file name")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: expected UTF-8 text, got the byte "
                         f"0x{raw[exc.start]:02x}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        line = text[:exc.position].count("\n") + 1
        got = f"U+{exc.character:04X}" if isinstance(exc.character, int) else show(exc.character)
        raise InputError(f"{path}: line {line}: invalid YAML: expected printable characters, "
                         f"got {got}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context:
            problem = f"{context}, {problem}"
        if "constructor for the tag" in problem:
            problem += " (vrrplab reads plain YAML: no tags such as !!python)"
        raise InputError(_one_line(f"{path}:{where} invalid YAML: {problem}")) from None
    except RecursionError:
        raise InputError(f"{path}: invalid YAML: expected at most a few hundred levels of "
                         f"nesting, got more") from None
    except Exception as exc:  # noqa: BLE001 (the last line of defence: bad input is exit 2)
        raise InputError(_one_line(f"{path}: invalid YAML: {type(exc).__name__}: "
                                   f"{show(str(exc))}")) from None


# --- checking ---------------------------------------------------------------

class Checker:
    """Collects validation problems for one file, each naming its field."""

    def __init__(self, path: Path | str):
        self.path = path
        self.problems: list[str] = []
        self.missing: set[str] = set()  # reported as required: nothing more to say on them

    def say(self, field: str, text: str) -> None:
        self.problems.append(_one_line(f"{self.path}: {field or 'top level'}: {text}"))

    def fail(self, field: str, expected: str, got: Any = MISSING) -> None:
        if field in self.missing:
            return
        got_text = "" if got is MISSING else f", got {show(got)}"
        self.say(field, f"expected {expected}{got_text}")

    def mapping(self, value: Any, field: str, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> dict:
        """Check `value` is a mapping with exactly the allowed keys; {} if not."""
        if not isinstance(value, dict):
            if value is None and not field:
                self.fail(field, "a mapping with " + ", ".join(required) + ", got an empty file")
            else:
                what = f"a mapping with {', '.join(required)}" if required else "a mapping"
                self.fail(field, what, value)
            self.missing.update(f"{field}.{key}" if field else key for key in required)
            return {}
        allowed = tuple(map(str, required + optional))
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                tip = f"did you mean {hint[0]!r}? " if hint else ""
                name = key if isinstance(key, str) else show(key)
                self.say(f"{field}.{name}" if field else name,
                         f"unknown key ({tip}expected one of: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                where = f"{field}.{key}" if field else key
                self.fail(where, "this field (required)")
                self.missing.add(where)
        return value

    def table(self, value: Any, field: str, pattern: re.Pattern | None = None,
              what: str = "a name") -> dict:
        """A mapping of names (segments, nodes, instances) to their specs.

        Names that are not strings are reported and left out; strings that do not
        match `pattern` are reported and kept, so that what refers to them still
        finds them.
        """
        if not isinstance(value, dict):
            self.fail(field, "a mapping of names to settings", value)
            return {}
        entries = {}
        for key, spec in value.items():
            if not isinstance(key, str) or (pattern and not pattern.fullmatch(key)):
                self.fail(f"{field}.{key if isinstance(key, str) else show(key)}", what, key)
            if isinstance(key, str):
                entries[key] = spec
        return entries

    def string(self, value: Any, field: str, pattern: re.Pattern | None = None,
               what: str = "a string") -> str | None:
        if not isinstance(value, str) or (pattern and not pattern.fullmatch(value)):
            self.fail(field, what, value)
            return None
        return value

    def number(self, value: Any, field: str, low: float, high: float,
               integer: bool = False) -> float | int | None:
        kind = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or not low <= value <= high:
            self.fail(field, f"{kind} from {low:g} to {high:g}", value)
            return None
        return value

    def choice(self, value: Any, field: str, choices: tuple) -> Any:
        """One of `choices`, of the same type too (2.0 is not the version 2)."""
        if not any(type(value) is type(ch) and value == ch for ch in choices):
            self.fail(field, "one of " + ", ".join(map(str, choices)), value)
            return None
        return value

    def boolean(self, value: Any, field: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(field, "true or false", value)
            return None
        return value

    def parse(self, kind: type, value: Any, field: str, what: str) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError
            return kind(value)
        except ValueError:
            self.fail(field, what, value)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def _given(spec: dict, key: str, default: Any) -> Any:
    """`spec[key]`, or `default` when the key is absent or null (`key:` with nothing)."""
    value = spec.get(key)
    return default if value is None else value
