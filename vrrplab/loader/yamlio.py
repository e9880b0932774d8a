"""Reading YAML safely, and the `Checker` that collects each file's problems.

`read_yaml` reads through `vrrplab.boundedio` (a regular file of at most
`MAX_FILE_BYTES`, UTF-8) and refuses duplicate keys and tags it cannot build; `Checker` turns wrong values into `FILE: FIELD: expected ...,
got ...` lines. Also the names both halves of the loader (topology, scenario)
check against.

Each problem is a `Problem` (an `i18n.Message`): English in str() (what
`InputError.problems` holds), the reader's language in localized(). The
"expected ..." phrases are templates marked `N_` with named values; the file,
the field's path and the value the file gave are never translated.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml

from vrrplab.boundedio import Problem, read_text
from vrrplab.errors import InputError
from vrrplab.i18n import N_, Joined, Message

LOWER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # scenario, topology and fault names
LOWER_NAME_TEXT = N_("a lowercase name of letters, digits and - (at most 64 characters)")
ONE_LINE = re.compile(r"[^\n\r]*")
A_NAME, A_STRING = N_("a name"), N_("a string")  # what Checker.table and .string expect
MAX_FILE_BYTES = 1024 * 1024  # a topology or scenario is a page or two of YAML
MAX_PROBLEMS = 10  # a file's problems shown; then "and N more" (a wrong file has hundreds)
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


def _phrase(text: str | Message) -> Message:
    """An expected-phrase: a Message, or a constant marked N_ where it is written."""
    return text if isinstance(text, Message) else Message(text)


def problems_of(exc: InputError) -> list[Message]:
    """An InputError's problems as Messages (InputError.problems is their English)."""
    message = exc.message
    return list(message.parts) if isinstance(message, Joined) else [message]


# --- YAML -------------------------------------------------------------------

class _Refused(yaml.constructor.ConstructorError):
    """A ConstructorError whose problem is ours: PyYAML gets its English, read_yaml the
    Message."""

    def __init__(self, message: Message, mark):
        super().__init__(None, None, str(message), mark)
        self.message = message


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
            raise _Refused(Message(N_("expected a valid {tag}, got {value}"), tag=tag,
                                   value=show(value)), node.start_mark) from None


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
            raise _Refused(Message(N_("expected a plain key (a name), got {value}"),
                                   value=show(key)), key_node.start_mark) from None
        if duplicate:
            raise _Refused(Message(N_("duplicate key {key}"), key=repr(key)), key_node.start_mark)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: Path) -> Any:
    text = read_text(path, MAX_FILE_BYTES)  # a regular file, bounded, UTF-8: boundedio
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        line = text[:exc.position].count("\n") + 1
        got = f"U+{exc.character:04X}" if isinstance(exc.character, int) else show(exc.character)
        raise InputError(Message(N_("{file}: line {line}: invalid YAML: expected printable "
                                    "characters, got {value}"), file=str(path), line=line,
                                 value=got)) from None
    except yaml.YAMLError as exc:
        # PyYAML's own words stay English; ours (a _Refused) are Messages
        mark = getattr(exc, "problem_mark", None)
        problem: str | Message = getattr(exc, "message", None) or \
            getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context:
            problem = Joined(", ", [context, problem])
        if "constructor for the tag" in str(problem):
            problem = Message(N_("{problem} (vrrplab reads plain YAML: no tags such as "
                                 "!!python)"), problem=problem)
        if mark:
            raise InputError(Problem(N_("{file}: line {line}, column {column}: invalid YAML: "
                                        "{problem}"), file=str(path), line=mark.line + 1,
                                     column=mark.column + 1, problem=problem)) from None
        raise InputError(Problem(N_("{file}: invalid YAML: {problem}"), file=str(path),
                                 problem=problem)) from None
    except RecursionError:
        raise InputError(Message(N_("{file}: invalid YAML: expected at most a few hundred "
                                    "levels of nesting, got more"), file=str(path))) from None
    except Exception as exc:  # noqa: BLE001 (the last line of defence: bad input is exit 2)
        raise InputError(Problem(N_("{file}: invalid YAML: {problem}"), file=str(path),
                                 problem=f"{type(exc).__name__}: {show(str(exc))}")) from None


# --- checking ---------------------------------------------------------------

class Checker:
    """Collects validation problems for one file, each naming its field.

    An expected-phrase (`fail`, and the `what` of `string`, `table`, `parse`) is a
    constant marked N_ or a Message; `got` is the file's value, shown as it is.
    """

    def __init__(self, path: Path | str | Message):
        self.path = path
        self.problems: list[Message] = []  # Problems: str() is the English line
        self.missing: set[str] = set()  # reported as required: nothing more to say on them

    def say(self, field: str, text: str | Message) -> None:
        where = field or Message(N_("top level"))
        self.problems.append(Problem(N_("{file}: {field}: {problem}"), file=_shown_path(self.path),
                                     field=where, problem=_phrase(text)))

    def fail(self, field: str, expected: str | Message, got: Any = MISSING) -> None:
        if field in self.missing:
            return
        if got is MISSING:
            self.say(field, Message(N_("expected {expected}"), expected=_phrase(expected)))
        else:
            self.say(field, Message(N_("expected {expected}, got {value}"),
                                    expected=_phrase(expected), value=_got(got)))

    def mapping(self, value: Any, field: str, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = (), what: str | None = None) -> dict:
        """Check `value` is a mapping with exactly the allowed keys; {} if not.

        `what` (the top level: N_("a vrrplab scenario")): a mapping with none of the
        allowed keys, nor a key close to one, is not that kind of file at all; one line
        says so, rather than one per key (its lines, for /etc/shadow).
        """
        if what and isinstance(value, dict) and value and not self._resembles(value, required
                                                                             + optional):
            self.problems.append(Problem(N_("{file}: expected {what} (keys {keys}...), got none "
                                            "of its keys"), file=_shown_path(self.path),
                                         what=Message(what), keys=", ".join(required)))
            self.missing.update(f"{field}.{key}" if field else key for key in required)
            return {}
        if not isinstance(value, dict):
            if value is None and not field:
                self.fail(field, Message(N_("a mapping with {keys}, got an empty file"),
                                         keys=", ".join(required)))
            elif required:
                self.fail(field, Message(N_("a mapping with {keys}"), keys=", ".join(required)),
                          value)
            else:
                self.fail(field, N_("a mapping"), value)
            self.missing.update(f"{field}.{key}" if field else key for key in required)
            return {}
        allowed = tuple(map(str, required + optional))
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                name = key if isinstance(key, str) else show(key)
                if hint:
                    unknown = Message(N_("unknown key (did you mean {hint}? expected one of: "
                                         "{keys})"), hint=repr(hint[0]), keys=", ".join(allowed))
                else:
                    unknown = Message(N_("unknown key (expected one of: {keys})"),
                                      keys=", ".join(allowed))
                self.say(f"{field}.{name}" if field else name, unknown)
        for key in required:
            if key not in value:
                where = f"{field}.{key}" if field else key
                self.fail(where, N_("this field (required)"))
                self.missing.add(where)
        return value

    @staticmethod
    def _resembles(value: dict, allowed: tuple[str, ...]) -> bool:
        """Some key of `value` is allowed, or close to an allowed one (a typo)."""
        keys = [str(key) for key in value]
        return any(key in allowed or difflib.get_close_matches(key, allowed, n=1)
                   for key in keys[:MAX_PROBLEMS])

    def table(self, value: Any, field: str, pattern: re.Pattern | None = None,
              what: str | Message = A_NAME) -> dict:
        """A mapping of names (segments, nodes, instances) to their specs.

        Names that are not strings are reported and left out; strings that do not
        match `pattern` are reported and kept, so that what refers to them still
        finds them.
        """
        if not isinstance(value, dict):
            self.fail(field, N_("a mapping of names to settings"), value)
            return {}
        entries = {}
        for key, spec in value.items():
            if not isinstance(key, str) or (pattern and not pattern.fullmatch(key)):
                self.fail(f"{field}.{key if isinstance(key, str) else show(key)}", what, key)
            if isinstance(key, str):
                entries[key] = spec
        return entries

    def string(self, value: Any, field: str, pattern: re.Pattern | None = None,
               what: str | Message = A_STRING) -> str | None:
        if not isinstance(value, str) or (pattern and not pattern.fullmatch(value)):
            self.fail(field, what, value)
            return None
        return value

    def number(self, value: Any, field: str, low: float, high: float,
               integer: bool = False) -> float | int | None:
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or not low <= value <= high:
            if integer:
                self.fail(field, Message(N_("an integer from {low:g} to {high:g}"), low=low,
                                         high=high), value)
            else:
                self.fail(field, Message(N_("a number from {low:g} to {high:g}"), low=low,
                                         high=high), value)
            return None
        return value

    def choice(self, value: Any, field: str, choices: tuple) -> Any:
        """One of `choices`, of the same type too (2.0 is not the version 2)."""
        if not any(type(value) is type(ch) and value == ch for ch in choices):
            self.fail(field, Message(N_("one of {choices}"), choices=", ".join(map(str, choices))),
                      value)
            return None
        return value

    def boolean(self, value: Any, field: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(field, N_("true or false"), value)
            return None
        return value

    def parse(self, kind: type, value: Any, field: str, what: str | Message) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError
            return kind(value)
        except ValueError:
            self.fail(field, what, value)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(capped(self.problems, self.path))


def capped(problems: list[Message], path: Path | str | Message) -> list[Message]:
    """The first MAX_PROBLEMS of a file's problems, then how many more there are."""
    if len(problems) <= MAX_PROBLEMS + 1:
        return problems
    return problems[:MAX_PROBLEMS] + [Problem(N_("{file}: and {n} more problems"),
                                              file=_shown_path(path),
                                              n=len(problems) - MAX_PROBLEMS)]


def _shown_path(path: Path | str | Message) -> str | Message:
    return path if isinstance(path, Message) else str(path)


def _got(got: Any) -> str | Message:
    """What the file gave, as `got` shows it; a Message says what was found instead."""
    return got if isinstance(got, Message) else show(got)


def _given(spec: dict, key: str, default: Any) -> Any:
    """`spec[key]`, or `default` when the key is absent or null (`key:` with nothing)."""
    value = spec.get(key)
    return default if value is None else value
