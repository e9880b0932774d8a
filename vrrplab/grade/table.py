"""vrrplab grade's table: a row per student, from what their run left; markdown and CSV.

Pure (no process, no lab): a `Row` is built from a run's results.json (`graded`), from
the one line a refused run printed (`refused`, also for a pair missing a file:
`missing`), or from why a run left no results (`failed`: verdict `error`). `markdown`
renders grade.md (one table a teacher reads, each cell escaped), `write_csv` grade.csv
(the same columns through the csv module: numbers with a dot, one finding a line).

The words are the reader's (`i18n`): headers, verdicts, severities; the findings are the
`said` text results.json holds, in the language the run was asked for. Paths are the
student's: `r1.conf:20`, not the folder the teacher keeps them in.

Leaves to others: running the pairs and writing the files (command.py), what a finding
or a check says (lint, analysis).
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from vrrplab.analysis.report import checks_in_language
from vrrplab.i18n import N_, _, ngettext, number

PASS, FAIL, REFUSED, ERROR = "pass", "fail", "refused", "error"
VERDICTS = {PASS: N_("pass"), FAIL: N_("fail"), REFUSED: N_("refused"), ERROR: N_("error")}
SEVERITY_WORDS = {"error": N_("error"), "warning": N_("warning"), "note": N_("note")}
SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}
FIRST_FINDINGS = 3  # findings a row shows (the run's report.html has them all)
FIRST_CHECKS = 2  # failed checks a row names
NONE = "-"  # a figure the run did not give


@dataclass(frozen=True)
class Row:
    student: str  # the sub-folder's name
    verdict: str  # PASS | FAIL | REFUSED | ERROR
    takeovers: tuple[tuple[str, float | None], ...] = ()  # (fault, takeover_s), run order
    lost_pings: int | None = None  # the client's probes never answered, every fault
    lint_errors: int | None = None
    lint_warnings: int | None = None
    why: tuple[str, ...] = ()  # refused/error: the message; fail: the failed checks
    findings: tuple[str, ...] = ()  # the first findings: "r1.conf:20: warning: said"
    more_findings: int = 0  # findings beyond those
    report: str | None = None  # the run's report.html, relative to the grade's folder

    def takeover(self, fault: str) -> float | None:
        return dict(self.takeovers).get(fault)


def shorten(text: str, pair: Path | None) -> str:
    """`text` with the pair's folder taken off the paths it names: `r1.conf:3`, as the
    student wrote the file (the run names it from the teacher's folder)."""
    if pair is None:
        return text
    prefixes = {str(pair), str(pair.resolve())}
    relative = os.path.relpath(pair.resolve())
    if relative != "." and not relative.startswith(".."):
        prefixes.add(relative)
    for prefix in sorted(prefixes, key=len, reverse=True):
        text = text.replace(prefix.rstrip("/") + "/", "")
    return text


def _place(finding: dict, pair: Path | None) -> str:
    file, line = finding.get("file"), finding.get("line")
    if not file:
        return NONE
    shown = shorten(str(file), pair)
    if shown == str(file) and os.path.isabs(shown):  # outside the pair's folder
        shown = Path(shown).name
    return f"{shown}:{line}" if line is not None else shown


def finding_text(finding: dict, pair: Path | None) -> str:
    """One finding as lint says it: `FILE:LINE: severity: sentence` (the run's `said`)."""
    severity = finding.get("severity")
    word = _(SEVERITY_WORDS[severity]) if severity in SEVERITY_WORDS else str(severity)
    said = finding.get("said") or finding.get("message") or ""
    return f"{_place(finding, pair)}: {word}: {shorten(str(said), pair)}"


def graded(student: str, results: dict, pair: Path | None = None,
           report: str | None = None) -> Row:
    """The row of a run that wrote results.json (its verdict pass or fail; anything else,
    an interrupted run, is an error)."""
    faults = [f for f in results.get("faults") or [] if isinstance(f, dict)]
    takeovers = tuple((str(f.get("name")), f.get("takeover_s")) for f in faults)
    lost = [f["lost_probes"] for f in faults if isinstance(f.get("lost_probes"), int)]
    findings = [f for f in (results.get("given_configs") or {}).get("findings") or []
                if isinstance(f, dict)]
    ordered = sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.get("severity"), 3))
    verdict = results.get("verdict")
    why: list[str] = []
    if verdict == FAIL:
        checks, _same = checks_in_language(results)
        failed = [str(c.get("name")) for c in checks if isinstance(c, dict) and not c.get("ok")]
        why = [str(e) for e in results.get("errors") or []] + failed
        if len(why) > FIRST_CHECKS:
            why = why[:FIRST_CHECKS] + [_("and {n} more").format(n=len(why) - FIRST_CHECKS)]
    elif verdict != PASS:
        signal = results.get("signal")
        why = [_("the run was interrupted ({signal})").format(signal=signal) if signal
               else _("the run ended with verdict {verdict!r}").format(verdict=verdict)]
        verdict = ERROR
    return Row(student, verdict, takeovers, sum(lost) if faults else None,
               sum(f.get("severity") == "error" for f in findings),
               sum(f.get("severity") == "warning" for f in findings),
               tuple(shorten(w, pair) for w in why),
               tuple(finding_text(f, pair) for f in ordered[:FIRST_FINDINGS]),
               max(0, len(ordered) - FIRST_FINDINGS), report)


def refused(student: str, message: str, pair: Path | None = None) -> Row:
    """A pair `vrrplab run` refused before starting (exit 2): its one line."""
    return Row(student, REFUSED, why=(shorten(_unprefixed(message), pair),))


def missing(student: str, files: list[str]) -> Row:
    """A sub-folder without every router's file: refused, nothing run."""
    return Row(student, REFUSED, why=(_("missing {files}").format(files=", ".join(files)),))


def failed(student: str, message: str | None, pair: Path | None = None,
           report: str | None = None) -> Row:
    """A run that left no results.json (it crashed, or was stopped)."""
    return Row(student, ERROR, why=(shorten(_unprefixed(message or _("no results")), pair),),
               report=report)


def _unprefixed(message: str) -> str:
    return message[len("vrrplab: "):] if message.startswith("vrrplab: ") else message


def fault_columns(faults: list[str], rows: list[Row]) -> list[str]:
    """The scenario's faults, then any other a run reported, each once, in order."""
    names = list(faults)
    for row in rows:
        names += [name for name, _t in row.takeovers if name not in names]
    return list(dict.fromkeys(names))


def headers(faults: list[str]) -> list[str]:
    return ([_("student"), _("verdict")]
            + [_("takeover {fault} (s)").format(fault=f) for f in faults]
            + [_("lost pings"), _("lint errors"), _("lint warnings"), _("why"),
               _("findings"), _("report")])


def _count(value: int | None) -> str:
    return NONE if value is None else str(value)


def _findings(row: Row) -> list[str]:
    more = [ngettext("and {n} more (in the report)", "and {n} more (in the report)",
                     row.more_findings).format(n=row.more_findings)] if row.more_findings else []
    return list(row.findings) + more


def _cells(row: Row, faults: list[str], seconds) -> list:
    """The row's cells in headers' order; `seconds` formats a takeover; the texts as lists."""
    return ([row.student, _(VERDICTS[row.verdict])]
            + [NONE if row.takeover(f) is None else seconds(row.takeover(f)) for f in faults]
            + [_count(row.lost_pings), _count(row.lint_errors), _count(row.lint_warnings),
               list(row.why), _findings(row)])


_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|&#~])")
_LONE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def escape(text: str) -> str:
    """One markdown table cell: `|` and what would format or become HTML escaped with a
    backslash, an underscore too unless inside a word (track_script stays readable),
    line breaks made spaces, other controls and format characters (bidi overrides) shown
    as their escapes; spaces stay (a French no-break space before its colon)."""
    text = "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs"
                   else " " if ch in "\n\t" else "\\" + ascii(ch)[1:-1].lstrip("\\")
                   for ch in text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LONE_UNDERSCORE.sub(r"\\_", text)


def summary_line(rows: list[Row]) -> str:
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    shown = ", ".join(f"{_(VERDICTS[v])} {n}" for v, n in counts.items() if n)
    return ngettext("{n} pair: {counts}", "{n} pairs: {counts}", len(rows)).format(
        n=len(rows), counts=shown or NONE)


def markdown(rows: list[Row], faults: list[str], title: str, context: str,
             not_graded: list[str] | None = None) -> str:
    """grade.md: a title, one line of context, the table, what its columns mean."""
    faults = fault_columns(faults, rows)
    head = headers(faults)
    lines = [f"# {escape(title)}", "", escape(context), "", escape(summary_line(rows)), "",
             "| " + " | ".join(escape(h) for h in head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = _cells(row, faults, lambda s: number(s, 3))
        texts = [escape(c) if isinstance(c, str) else "<br>".join(escape(t) for t in c)
                 for c in cells]
        report = f"[{escape(_('report'))}]({_link(row.report)})" if row.report else NONE
        lines.append("| " + " | ".join(texts + [report]) + " |")
    lines += ["", escape(_("takeover: from the fault to the new master's first advert; lost "
                           "pings: the client's pings to the gateway never answered, every "
                           "fault together; lint: what vrrplab lint finds in the pair's files "
                           "(the first {n} here, all of them in the run's report).")
                         .format(n=FIRST_FINDINGS))]
    if not_graded:
        lines += ["", escape(ngettext(
            "Interrupted: {n} pair not graded: {students}.",
            "Interrupted: {n} pairs not graded: {students}.", len(not_graded)).format(
                n=len(not_graded), students=", ".join(not_graded)))]
    return "\n".join(lines) + "\n"


def _link(path: str) -> str:
    """A relative link's target: its parts percent-escaped where markdown would cut it."""
    return "/".join(re.sub(r"[^A-Za-z0-9._~-]", lambda m: "".join(
        f"%{b:02X}" for b in m.group(0).encode()), part) for part in path.split("/"))


def write_csv(rows: list[Row], faults: list[str], path: Path) -> None:
    """grade.csv: the same columns for a spreadsheet (takeovers in s with a dot, the why
    and findings one a line inside their cell, the report's path). UTF-8 with its byte
    order mark: without it Excel reads the file as Windows-1252 and the French comes out
    as "Ã©" (LibreOffice and Python's csv with utf-8-sig read it either way)."""
    faults = fault_columns(faults, rows)
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(headers(faults))
        for row in rows:
            cells = _cells(row, faults, lambda s: f"{s:.3f}")
            writer.writerow([_inert(c if isinstance(c, str) else "\n".join(c)) for c in cells]
                            + [row.report or ""])


_FORMULA = re.compile(r"^(?:[=+@\t\r]|-(?!\d|$))")


def _inert(cell: str) -> str:
    """A text cell a spreadsheet would take for a formula (a folder named "=HYPERLINK(...)",
    OWASP's CSV injection) gets a leading apostrophe: shown as written, never run."""
    return "'" + cell if _FORMULA.match(cell) else cell
