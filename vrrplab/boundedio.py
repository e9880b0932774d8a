"""The one bounded reader for every file vrrplab reads, and the escaping of what it read.

Every input (a topology or scenario's YAML through `loader.yamlio`, results.json,
the bundled speaker's JSON config, the run registry's entries) goes through
`read_text` or `read_json`: a regular file only (a FIFO or /dev/zero is refused
without a byte read: the open never blocks, the type is checked on the open file),
at most `max_bytes` of it, UTF-8 checked; JSON at most `max_depth` levels deep,
checked before the parser recurses. Any problem is an `InputError` (exit 2) of one
line naming the file; nothing here raises anything else, and nothing of the file
is echoed beyond a short escaped excerpt.

What a file says and vrrplab prints (a scenario's description, its lesson, names)
is escaped here too: `one_line` for a problem's values, `for_terminal` for text on
a terminal (an ESC, a window-title sequence, a bidi override never reach it raw).
What the file means (its fields) is its reader's business: `loader`, `analysis.stored`,
`bundled.config`, `lab.sandbox`.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

from vrrplab.errors import InputError
from vrrplab.i18n import N_, Joined, Message

EXCERPT_CHARS = 40  # what of a file a problem may quote
JSON_MAX_DEPTH = 64  # results.json is 6 levels deep, a speaker config 4, a registry entry 1
# a string, or an unclosed one up to the end: each quote starts one linear scan (a
# string that never closes must not make every later quote scan the rest again)
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\Z)', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_KEEP_ON_TERMINAL = ("Zs",)  # spaces of any width (a French non-breaking space) are harmless


# --- escaping -------------------------------------------------------------------------

def one_line(text: str) -> str:
    """Each problem stays one printable line, whatever characters the file had: every
    character str.isprintable refuses (controls, line breaks, odd spaces) as its escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def for_terminal(text: str) -> str:
    """Text for a terminal, lines kept: controls (ESC...), format characters (bidi
    overrides), line and paragraph separators escaped; newlines and spaces stay."""
    if text.isprintable():
        return text
    return "".join(ch if ch == "\n" or ch.isprintable()
                   or unicodedata.category(ch) in _KEEP_ON_TERMINAL else _escape(ch)
                   for ch in text)


def _escape(ch: str) -> str:
    return ascii(ch)[1:-1]


def _printable(value: Any) -> Any:
    """`value` with every string in it (a Message's values too) one printable line.

    The words are the catalogue's (a French non-breaking space is no line break);
    what came from the file or the system (names, values, paths) is escaped.
    """
    if isinstance(value, Joined):
        return Joined(_printable(value.separator), [_printable(p) for p in value.parts])
    if isinstance(value, Message):
        return Message(value.template, **{k: _printable(v) for k, v in value.values.items()})
    return one_line(value) if isinstance(value, str) else value


class Problem(Message):
    """One problem, one printable line: `FILE: FIELD: expected ..., got ...`."""

    def __init__(self, template: str, /, **values):
        super().__init__(template, **{k: _printable(v) for k, v in values.items()})


def excerpt(data: bytes | str, start: int = 0) -> str:
    """A few characters of a file from `start`, escaped: what a problem may quote of it."""
    if isinstance(data, bytes):
        data = data[start:start + EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    else:
        data = data[start:]
    cut = data[:EXCERPT_CHARS]
    return repr(cut + ("..." if len(data) > EXCERPT_CHARS else ""))


# --- reading --------------------------------------------------------------------------

def read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` of a regular file, or an InputError saying why not."""
    file = str(path)
    try:
        # O_NONBLOCK: a FIFO opens at once (and is then refused); no controlling terminal
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        # TRANSLATORS: {reason} is the system's own words (No such file or directory)
        raise InputError(Problem(N_("{file}: cannot read: {reason}"), file=file,
                                 reason=str(exc.strerror or exc))) from None
    except ValueError:  # a NUL in the name
        raise InputError(Problem(N_("{file}: cannot read: not a valid file name"),
                                 file=file)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or /dev/zero would never end
            raise InputError(Problem(N_("{file}: cannot read: not a regular file"), file=file))
        with os.fdopen(fd, "rb", closefd=False) as stream:
            raw = stream.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(Problem(N_("{file}: cannot read: {reason}"), file=file,
                                 reason=str(exc.strerror or exc))) from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise InputError(Problem(N_("{file}: expected a file of at most {kib} KiB, got more"),
                                 file=file, kib=max_bytes // 1024))
    return raw


def decode(raw: bytes, path: Path | str) -> str:
    """UTF-8 text, or an InputError naming the line and the first byte that is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(Problem(N_("{file}: line {line}: expected UTF-8 text, got the byte "
                                    "{byte}"), file=str(path), line=line,
                                 byte=f"0x{raw[exc.start]:02x}")) from None


def read_text(path: Path, max_bytes: int) -> str:
    """A regular file of at most `max_bytes`, as UTF-8 text."""
    return decode(read_bytes(path, max_bytes), path)


def _no_constant(name: str) -> Any:
    """NaN, Infinity, -Infinity: Python's json reads them, JSON has no such numbers."""
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: Path, max_bytes: int, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """A JSON document from a regular file: bounded in size and depth, UTF-8 checked.

    Depth is counted on the bytes before parsing (brackets outside strings), so a
    deeply nested file is one clear line, never a RecursionError.
    """
    raw = read_bytes(path, max_bytes)
    text = decode(raw, path)
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
        if deepest > max_depth:
            raise InputError(Problem(N_("{file}: invalid JSON: expected at most {depth} levels "
                                        "of nesting, got more"), file=str(path), depth=max_depth))
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        # the json module's own words (Expecting value) stay English, as PyYAML's do
        if exc.pos >= len(text.rstrip()):
            raise InputError(Problem(N_("{file}: line {line}, column {column}: invalid JSON: "
                                        "{problem} (the file ends there)"), file=str(path),
                                     line=exc.lineno, column=exc.colno,
                                     problem=exc.msg)) from None
        raise InputError(Problem(N_("{file}: line {line}, column {column}: invalid JSON: "
                                    "{problem}, got {excerpt}"), file=str(path), line=exc.lineno,
                                 column=exc.colno, problem=exc.msg,
                                 excerpt=excerpt(text, exc.pos))) from None
    except (RecursionError, ValueError) as exc:  # the last line of defence: bad input is exit 2
        raise InputError(Problem(N_("{file}: invalid JSON: {problem}"), file=str(path),
                                 problem=one_line(str(exc))[:100] or type(exc).__name__)
                         ) from None
