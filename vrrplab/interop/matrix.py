"""The interop matrix: a cell per run, interop.json and interop.md. Pure (no process).

`entry(cell, outcome, logs, ...)` is one cell as interop.json lists it, from what its run
left (bench's `launch.Outcome`: results.json parsed, or why there is none) and its
speakers' logs (the failure's reason, evidence.py). `document` is interop.json (schema
below and in docs/ARCHITECTURE.md), `markdown` interop.md: one table per scenario x
VRRP version, rows r1's speaker, columns r2's, each cell its verdict and the first
fault's takeover against its RFC bound; a failure's or a skip's reason as a numbered
note under its table. `exit_code` is the command's: see `command.py`.

The reasons are stored in English (`reason`) and shown in the reader's language
(`reason_localized`, kept out of interop.json's comparison: a baseline in French is
the same finding).

Leaves to others: running the cells (command.py), the evidence (evidence.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vrrplab.bench.execute import INTERRUPTED_CODES
from vrrplab.bench.launch import Outcome
from vrrplab.errors import (
    EXIT_CHECK_FAILED,
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_PASS,
)
from vrrplab.features import FEATURES, describe_missing
from vrrplab.i18n import N_, Joined, Message, _, number
from vrrplab.interop import evidence
from vrrplab.interop.plan import Cell

SCHEMA = 1
PASS, FAIL, SKIPPED, ERROR, INTERRUPTED, NOT_RUN = (
    "pass", "fail", "skipped", "error", "interrupted", "not run")
VERDICTS = {PASS: N_("pass"), FAIL: N_("FAIL"), SKIPPED: N_("skipped"), ERROR: N_("error"),
            INTERRUPTED: N_("run interrupted"), NOT_RUN: N_("not started")}
RUNNING = "running"  # interop.json's verdict while cells remain
BAD = (FAIL, ERROR)  # what a CI job is told about (exit 1)


@dataclass
class Shown:
    """A cell's reason in both languages: English for interop.json, the reader's for the
    progress line and interop.md."""

    english: str | None
    localized: str | None


def _words(message) -> Shown:
    if message is None:
        return Shown(None, None)
    if isinstance(message, Message):
        return Shown(str(message), message.localized())
    return Shown(str(message), str(message))


def first_takeover(results: dict) -> dict | None:
    """The first fault that has a takeover: {fault, kind, takeover_s, bound_s, ratio}."""
    for fault in results.get("faults") or []:
        if isinstance(fault, dict) and isinstance(fault.get("takeover_s"), (int, float)):
            bound = fault.get("bound_s")
            ratio = (fault["takeover_s"] / bound
                     if isinstance(bound, (int, float)) and bound > 0 else None)
            return {"fault": fault.get("name"), "kind": fault.get("kind"),
                    "takeover_s": fault["takeover_s"], "bound_s": bound,
                    "ratio": None if ratio is None else round(ratio, 3)}
    return None


def _faults(results: dict) -> list[dict]:
    out = []
    for fault in results.get("faults") or []:
        if not isinstance(fault, dict):
            continue
        timing = fault.get("timing") if isinstance(fault.get("timing"), dict) else {}
        out.append({"name": fault.get("name"), "kind": fault.get("kind"),
                    "takeover_s": fault.get("takeover_s"), "bound_s": fault.get("bound_s"),
                    "new_master": fault.get("new_master"),
                    "expected_master": fault.get("expected_master"),
                    "timing_verdict": timing.get("verdict"), "error": fault.get("error")})
    return out


def entry(cell: Cell, outcome: Outcome | None, logs: dict[str, str] | None = None,
          elapsed_s: float = 0.0, run_dir: str | None = None,
          views: dict | None = None) -> dict:
    """One cell of interop.json. `outcome` None: not run (interrupted before it started).
    `logs`, `views`: the speakers' logs and FRR's last views (evidence.read_logs,
    read_views)."""
    base = {"scenario": cell.scenario, "version": cell.version, "r1": cell.r1, "r2": cell.r2,
            "speaker": cell.speaker, "elapsed_s": round(elapsed_s, 3), "exit_code": None,
            "run_dir": run_dir, "log": None, "run_id": None, "speaker_versions": {},
            "takeover": None, "faults": [], "failed_checks": [], "errors": [],
            "adapted": [], "skipped_because": [], "evidence": [], "reason": None}
    if outcome is None:
        why = Message(N_("not run: interrupted before it started"))
        return {**base, "verdict": NOT_RUN, "reason": str(why),
                "reason_localized": why.localized()}
    base.update(exit_code=outcome.exit_code, log=outcome.log)
    results = outcome.results
    if results is None:
        verdict = INTERRUPTED if outcome.exit_code in INTERRUPTED_CODES else ERROR
        why = outcome.error or _("no results.json")
        return {**base, "verdict": verdict, "reason": why, "reason_localized": why}
    verdict = results.get("verdict")
    verdict = verdict if verdict in (PASS, FAIL, SKIPPED, INTERRUPTED) else ERROR
    drops = evidence.drops(results, logs or {}, views) if verdict == FAIL else []
    if verdict == SKIPPED:
        missing = [m for m in results.get("skipped_because") or [] if isinstance(m, dict)]
        shown = _words(Joined(Message(N_("; ")), [describe_missing(m) for m in missing])
                       if missing else None)
    elif verdict == FAIL:
        shown = _words(evidence.reason(results, logs or {}, views))
    elif verdict == INTERRUPTED:
        shown = _words(Message(N_("interrupted ({signal})"), signal=results.get("signal")))
    else:
        shown = Shown(None, None)
    adapted = [a for a in results.get("adapted") or [] if isinstance(a, dict)]
    return {**base, "verdict": verdict, "run_id": results.get("run_id"),
            "speaker_versions": dict(results.get("speaker_versions") or {}),
            "takeover": first_takeover(results), "faults": _faults(results),
            "failed_checks": evidence.failed_checks(results),
            "errors": [str(e) for e in results.get("errors") or []],
            "adapted": adapted,
            "skipped_because": list(results.get("skipped_because") or []),
            "evidence": [d.as_dict() for d in drops],
            "reason": shown.english, "reason_localized": shown.localized}


def counts(cells: list[dict]) -> dict[str, int]:
    return {v: sum(c["verdict"] == v for c in cells) for v in VERDICTS}


def regressions(cells: list[dict], baseline: dict | None) -> list[dict]:
    """Cells that failed (or left no results) where the baseline's same cell passed or was
    skipped, or that the baseline lacks; without a baseline, every failed cell."""
    bad = [c for c in cells if c["verdict"] in BAD]
    if baseline is None:
        return bad
    before = {(c.get("scenario"), c.get("version"), c.get("r1"), c.get("r2")): c.get("verdict")
              for c in baseline.get("cells") or [] if isinstance(c, dict)}
    return [c for c in bad
            if before.get((c["scenario"], c["version"], c["r1"], c["r2"])) not in BAD]


def exit_code(cells: list[dict], interrupted: bool, env_broken: bool,
              baseline: dict | None) -> int:
    """130 interrupted; 3 a run found the machine unfit; 1 a cell failed (with a baseline:
    a cell that did not fail in it); else 0 (every cell passed, was skipped, or failed as
    it already did in the baseline)."""
    if interrupted:
        return EXIT_INTERRUPTED
    if env_broken:
        return EXIT_ENVIRONMENT
    return EXIT_CHECK_FAILED if regressions(cells, baseline) else EXIT_PASS


def document(*, vrrplab_version: str, started_at: str, finished_at: str, duration_s: float,
             params: dict, machine: dict, command: str, cells: list[dict], interrupted: bool,
             code: int | None, baseline: dict | None, baseline_path: str | None) -> dict:
    """interop.json (schema 1). `code` None: still running (rewritten after each cell)."""
    stored = [{k: v for k, v in c.items() if not k.endswith("_localized")} for c in cells]
    new = regressions(cells, baseline) if baseline is not None else None
    verdict = (INTERRUPTED if interrupted else RUNNING if code is None
               else FAIL if any(c["verdict"] in BAD for c in cells) else PASS)
    return {
        "schema": SCHEMA, "vrrplab": vrrplab_version, "command": command,
        "started_at": started_at, "finished_at": finished_at,
        "duration_s": round(duration_s, 1), "machine": machine, "params": params,
        "interrupted": interrupted, "verdict": verdict, "exit_code": code,
        "counts": counts(cells), "cells": stored,
        "baseline": None if baseline is None else {
            "file": baseline_path,
            "new_failures": [_cell_name(c) for c in new or []],
        },
    }


def problems(doc) -> list[str]:
    """What is wrong with a document read back as interop.json (a --baseline)."""
    if not isinstance(doc, dict):
        return ["expected a JSON object"]
    found = []
    if doc.get("schema") != SCHEMA:
        found.append(f"schema: expected {SCHEMA}, got {doc.get('schema')!r}")
    cells = doc.get("cells")
    if not isinstance(cells, list) or not all(
            isinstance(c, dict) and {"scenario", "version", "r1", "r2", "verdict"} <= set(c)
            for c in cells):
        found.append("cells: expected a list of {scenario, version, r1, r2, verdict, ...}")
    return found


def _cell_name(cell: dict) -> str:
    return f"{cell['scenario']} v{cell['version']} r1={cell['r1']} r2={cell['r2']}"


# -- interop.md -------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|&#~])")
_LONE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def escape(text: str) -> str:
    """One markdown table cell or line: `|` and markup escaped, controls shown, one line."""
    text = "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs"
                   else " " if ch in "\n\t" else "\\" + ascii(ch)[1:-1].lstrip("\\")
                   for ch in text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LONE_UNDERSCORE.sub(r"\\_", text)


def takeover_text(takeover: dict | None) -> str | None:
    """'0.602 / 0.609 s' (the first fault's takeover over its RFC bound), or None."""
    if not takeover:
        return None
    if isinstance(takeover.get("bound_s"), (int, float)):
        return _("{takeover} / {bound} s").format(takeover=number(takeover["takeover_s"], 3),
                                                  bound=number(takeover["bound_s"], 3))
    return _("{takeover} s").format(takeover=number(takeover["takeover_s"], 3))


def cell_text(cell: dict) -> str:
    """The verdict and the first takeover against its bound: 'pass 0.602 / 0.609 s'."""
    words = _(VERDICTS[cell["verdict"]])
    figure = takeover_text(cell.get("takeover"))
    return f"{words} {figure}" if figure else words


def progress(k: int, n: int, cell: dict) -> str:
    """One plain line per run."""
    values = dict(k=k, n=n, scenario=cell["scenario"], version=cell["version"],
                  r1=cell["r1"], r2=cell["r2"], shown=cell_text(cell),
                  why=cell.get("reason_localized") or "",
                  seconds=number(cell.get("elapsed_s") or 0.0, 1))
    if values["why"]:
        return _("run {k} of {n}: {scenario} VRRPv{version} r1={r1} r2={r2}: {shown}: {why} "
                 "[{seconds} s]").format(**values)
    return _("run {k} of {n}: {scenario} VRRPv{version} r1={r1} r2={r2}: {shown} "
             "[{seconds} s]").format(**values)


def _tables(doc: dict, cells: list[dict]) -> list[str]:
    params = doc["params"]
    kinds = params["speakers"]
    groups: dict[tuple[str, int], list[dict]] = {}
    for cell in cells:
        groups.setdefault((cell["scenario"], cell["version"]), []).append(cell)
    lines: list[str] = []
    for (scenario, version), group in groups.items():
        by_pair = {(c["r1"], c["r2"]): c for c in group}
        lines += ["", "## " + escape(_("{scenario}, VRRPv{version}").format(
            scenario=scenario, version=version)), "",
            "| " + escape(_("r1 \\ r2")) + " | " + " | ".join(escape(k) for k in kinds) + " |",
            "|" + "---|" * (len(kinds) + 1)]
        notes: list[str] = []
        for r1 in kinds:
            row = [f"**{escape(r1)}**"]
            for r2 in kinds:
                cell = by_pair.get((r1, r2))
                if cell is None:
                    row.append("-")
                    continue
                text = escape(cell_text(cell))
                if cell["verdict"] in (FAIL, ERROR):
                    text = f"**{text}**"
                why = cell.get("reason_localized") or cell.get("reason")
                if why:
                    notes.append(_("r1 {r1}, r2 {r2}: {why}").format(r1=r1, r2=r2, why=why))
                    text += f" [{len(notes)}]"
                row.append(text)
            lines.append("| " + " | ".join(row) + " |")
        if notes:
            lines.append("")
            lines += [f"{n}. {escape(note)}" for n, note in enumerate(notes, 1)]
        adapted = adaptations(group)
        if adapted:
            lines += ["", escape(_("Adapted to the speakers:"))]
            lines += [f"- {escape(a)}" for a in adapted]
    return lines


def adaptations(cells: list[dict]) -> list[str]:
    """What speakers.fit changed in these cells, once per change and speaker kind, with
    how many cells it concerns: "run without a sync group on every router, as frr has
    none (5 cells)"."""
    counted: dict[tuple, int] = {}
    for cell in cells:  # a known finding is no change: a failed cell's reason says it
        for key in {(a.get("change"), a.get("feature"), a.get("kind"))
                    for a in cell.get("adapted") or []
                    if isinstance(a, dict) and a.get("change") != "known"}:
            counted[key] = counted.get(key, 0) + 1
    lines = []
    for (change, feature, kind), n in counted.items():
        if change == "use_vmac":
            text = Message(N_("every router answers with the virtual MAC (use_vmac), as {kind} "
                              "always does ({n} cells)"), kind=kind, n=n)
        else:
            text = Message(N_("run without {feature} on every router, as {kind} has none "
                              "({n} cells)"), kind=kind, n=n,
                           feature=Message(FEATURES[feature]) if feature in FEATURES
                           else str(feature))
        lines.append(text.localized())
    return lines


def markdown(doc: dict, cells: list[dict]) -> str:
    """interop.md: where and when, the speakers' versions, a matrix per scenario x
    version, what the cells mean. `cells`: the document's, with `reason_localized`."""
    machine = doc.get("machine") or {}
    versions = sorted({v for c in cells for v in (c.get("speaker_versions") or {}).values()})
    c = doc["counts"]
    lines = ["# " + escape(_("vrrplab interop: every pair of speakers")), "",
             escape(_("Command:")) + " `" + doc["command"].replace("`", "'") + "`",
             "",
             escape(_("Machine: {host} ({system}, {cpus} CPUs); started {started}, "
                      "{minutes} min.").format(host=machine.get("host", "?"),
                                              system=machine.get("system", "?"),
                                              cpus=machine.get("cpus", "?"),
                                              started=doc["started_at"],
                                              minutes=number(doc["duration_s"] / 60, 1))),
             "",
             escape(_("Speakers: {versions}.").format(versions=", ".join(versions) or "-")),
             "",
             escape(_("Cells: {passed} pass, {failed} fail, {skipped} skipped, {errors} error, "
                      "{not_run} not run.").format(passed=c[PASS], failed=c[FAIL],
                                                   skipped=c[SKIPPED], errors=c[ERROR],
                                                   not_run=c[NOT_RUN] + c[INTERRUPTED]))]
    lines += _tables(doc, cells)
    lines += ["", escape(_("Rows: r1's speaker; columns: r2's. Each cell is one vrrplab run "
                           "SCENARIO --speaker r1=ROW,r2=COLUMN --vrrp-version N: its verdict "
                           "and the first fault's takeover against its RFC bound (takeover / "
                           "bound). A numbered note says why a cell failed, from the speakers' "
                           "logs and the run's checks, or why it was skipped."))]
    baseline = doc.get("baseline")
    if baseline is not None:
        new = baseline["new_failures"]
        lines += ["", escape(_("Baseline {file}: new failures: {cells}.").format(
            file=baseline["file"], cells=", ".join(new) if new else "-"))]
    if doc.get("interrupted"):
        lines += ["", escape(_("Interrupted: the cells not run are marked so."))]
    return "\n".join(lines) + "\n"
