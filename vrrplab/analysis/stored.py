"""results.json read back: bounded, its schema version and the fields `report` reads checked.

`vrrplab report RUN_DIR` redraws a run from its results.json alone, and that file may
come from anywhere (another machine, another version, a hand edit). It is read by
`boundedio.read_json` (a regular file, MAX_RESULTS_BYTES, UTF-8, nesting), its
`schema` must be the one `analysis.results` writes, and every field the summary, the
plot and report.html read is checked for its type (`SHAPE`) with the loader's
`Checker`: `FILE: FIELD: expected ..., got ...`, exit 2, never a traceback. Fields
nothing reads are not checked: a newer vrrplab may add some.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from vrrplab.analysis.results import SCHEMA_VERSION
from vrrplab.boundedio import Problem, read_json
from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message
from vrrplab.loader.yamlio import Checker

# a 600 s run (the loader's longest) probing two targets every millisecond writes about
# 25 MB, mostly probe instants; anything much larger was not written by a run
MAX_RESULTS_BYTES = 64 * 1024 * 1024
RESULTS_MAX_DEPTH = 16  # results.json is 6 levels deep


class _Of:
    """Every value of a mapping (`DictOf`) or item of a list (`ListOf`) has this shape."""

    def __init__(self, shape: Any):
        self.shape = shape


class DictOf(_Of):
    pass


class ListOf(_Of):
    pass


# leaves: what a value must be; "?" after a key: it may be absent
NUM, INT, STR, BOOL = "number", "integer", "string", "boolean"
NUM_OR_NULL, STR_OR_NULL, INT_OR_NULL = "number|null", "string|null", "integer|null"
ANY_MAPPING = "mapping"
ANY_LIST = "list"

_TIMING = {"measured_s?": NUM_OR_NULL, "basis?": STR_OR_NULL, "figure?": STR_OR_NULL,
           "figure_s?": NUM_OR_NULL, "lower_s?": NUM_OR_NULL, "upper_s?": NUM_OR_NULL,
           "verdict?": STR_OR_NULL, "judged?": BOOL}
_IMPACT = {"lost_probes": INT, "delayed_probes": INT, "data_gap_s?": NUM_OR_NULL,
           "last_reply_s?": NUM_OR_NULL, "answered_after_s?": NUM_OR_NULL}
_FAULT_GATEWAY = {"vip": STR, "vrid": INT, "client": STR, "expected_before": STR_OR_NULL,
                  "expected_master": STR_OR_NULL, "lost_probes": INT, "data_gap_s": NUM_OR_NULL}
_PROBES = DictOf({"sent": ListOf(NUM), "recv": ListOf(NUM_OR_NULL)})
# a run that did not start (speakers.fit): its summary reads only these
SKIPPED_SHAPE = {"scenario": STR, "speaker": STR, "verdict": STR,
                 "skipped_because": ListOf({"feature": STR, "routers": ListOf(STR), "kind": STR})}
SHAPE = {
    "scenario": STR, "speaker": STR, "verdict": STR, "interrupted?": BOOL,
    "lesson?": STR_OR_NULL, "description?": STR_OR_NULL, "errors?": ANY_LIST,
    "vrrp": {"version": INT, "advert_int_s": NUM, "vip": STR, "vrid": INT,
             "routers": DictOf({"priority": INT}),
             "gateways?": ListOf({"vip": STR, "vrid": INT, "client": STR,
                                  "priorities": DictOf(INT)})},
    "probe": {"source": STR, "interval_s": NUM},
    "probes": _PROBES,
    "clients?": DictOf({"probes": _PROBES}),
    "faults": ListOf({
        "name": STR, "kind": STR, "target": STR, "at_s": NUM, "takeover_s": NUM_OR_NULL,
        "bound_s": NUM_OR_NULL, "bound_kind": STR, "expected_master": STR_OR_NULL,
        "new_master": STR_OR_NULL, "per_target": DictOf(_IMPACT), "master_changes?": INT,
        "timing?": (None, _TIMING), "gateways?": DictOf(_FAULT_GATEWAY),
        "attack?": (None, ANY_MAPPING), "foreign_adverts?": ANY_MAPPING}),
    "checks": ListOf({"name": STR, "ok": BOOL, "detail": STR, "judged?": BOOL}),
    "timeline": {"adverts": ListOf({"t": NUM, "router": STR, "vrid": INT, "priority": INT}),
                 "arp": ListOf({"t": NUM, "ip": STR, "mac": STR, "gratuitous": BOOL})},
    "snapshots": ListOf({"macs": DictOf(STR_OR_NULL), "states?": ANY_MAPPING,
                         "vips?": ANY_MAPPING}),
    "config_warnings?": DictOf(ListOf(STR)),
    "given_configs?": (None, {"files": DictOf({"path": STR, "copy": STR}),
                              "findings": ListOf({"severity": STR, "message": STR,
                                                  "said?": STR}),
                              "scripts?": ListOf({"router": STR, "path": STR, "copy": STR}),
                              "checks_tried?": ListOf({"router": STR, "name": STR,
                                                       "exit": INT_OR_NULL, "said": STR})}),
    "latency?": (None, {"samples?": INT, "p99_s?": NUM_OR_NULL, "max_s?": NUM_OR_NULL}),
}

_EXPECTED = {NUM: N_("a number"), INT: N_("an integer"), STR: N_("a string"),
             BOOL: N_("true or false"), NUM_OR_NULL: N_("a number or null"),
             STR_OR_NULL: N_("a string or null"), INT_OR_NULL: N_("an integer or null"),
             ANY_MAPPING: N_("a mapping"), ANY_LIST: N_("a list")}


def _is(leaf: str, value: Any) -> bool:
    if value is None:
        return leaf.endswith("|null")
    kind = leaf.split("|")[0]
    if kind == NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, {STR: str, BOOL: bool, ANY_MAPPING: dict, ANY_LIST: list}[kind])


def check_shape(c: Checker, value: Any, shape: Any, field: str) -> None:
    """Report (in `c`) where `value` is not `shape`; a list's first bad item only."""
    if isinstance(shape, tuple):  # one of: None (null) or a shape
        if value is None and None in shape:
            return
        shape = next(s for s in shape if s is not None)
    if isinstance(shape, str):
        if not _is(shape, value):
            c.fail(field, _EXPECTED[shape], value)
    elif isinstance(shape, dict):
        if not isinstance(value, dict):
            c.fail(field, N_("a mapping"), value)
            return
        for key, inner in shape.items():
            name, optional = key.rstrip("?"), key.endswith("?")
            where = f"{field}.{name}" if field else name
            if name in value:
                check_shape(c, value[name], inner, where)
            elif not optional:
                c.fail(where, N_("this field (required)"))
    elif isinstance(shape, DictOf):
        if not isinstance(value, dict):
            c.fail(field, N_("a mapping"), value)
            return
        for key, inner in value.items():
            check_shape(c, inner, shape.shape, f"{field}.{key}")
    elif isinstance(shape, ListOf):
        if not isinstance(value, list):
            c.fail(field, N_("a list"), value)
            return
        if isinstance(shape.shape, str):  # probe instants: millions, checked without a call each
            bad = next((i for i, v in enumerate(value) if not _is(shape.shape, v)), None)
            if bad is not None:
                c.fail(f"{field}[{bad}]", _EXPECTED[shape.shape], value[bad])
            return
        before = len(c.problems)
        for i, item in enumerate(value):
            check_shape(c, item, shape.shape, f"{field}[{i}]")
            if len(c.problems) > before:
                return


def results_problems(doc: Any, path: Path | str) -> list[Message]:
    """What in a results.json document the report could not read, one Problem each."""
    c = Checker(path)
    if not isinstance(doc, dict):
        c.fail("", N_("a results.json document (a mapping with schema, scenario, faults, "
                      "checks...)"), doc)
        return c.problems
    schema = doc.get("schema")
    if type(schema) is not int or schema != SCHEMA_VERSION:
        got = schema if "schema" in doc else Message(N_("nothing"))
        c.fail("schema", Message(N_("{version} (the results.json schema this vrrplab writes "
                                    "and reads)"), version=SCHEMA_VERSION), got)
        return c.problems  # another schema: its fields mean other things
    check_shape(c, doc, SKIPPED_SHAPE if doc.get("verdict") == "skipped" else SHAPE, "")
    return c.problems


def load_results(path: Path) -> dict:
    """A run's results.json (or its folder), checked; InputError (exit 2) if not readable."""
    if path.is_dir():
        path = path / "results.json"
    doc = read_json(path, MAX_RESULTS_BYTES, RESULTS_MAX_DEPTH)
    c = Checker(path)
    c.problems = results_problems(doc, path)
    c.raise_if_any()
    return doc


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """What the shape does not catch (a value out of its range, a name the document does
    not define) while the report reads the document: one line naming the file, exit 2."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError,
            OverflowError) as exc:
        if path.is_dir():
            path = path / "results.json"
        raise InputError(Problem(N_("{file}: cannot be reported: {problem}"), file=str(path),
                                 problem=f"{type(exc).__name__}: {exc}"[:120])) from None
