"""vrrplab lint FILE...: read the routers' keepalived.conf, judge them, say it with lines.

Static (no root): each file read (`speakers.keepalived_read`), judged alone and as a
pair (`lint.rules`). With root and keepalived installed, also `keepalived -t -f FILE`
(config test mode, outside any lab: it parses and checks, runs nothing); its lines
`(FILE: Line N) ...` become warnings at that line, `(INSTANCE) ...` at the instance's;
what only says this machine lacks the lab's interfaces is left out. A file that includes
files outside its folder is not handed to keepalived (it would print them), nor one whose
includes make a cycle (keepalived repeats itself thousands of times); at most
MAX_KEEPALIVED_LINES lines a file, each said once. Exit 0 no error,
1 errors found, 2 a file unreadable (InputError, raised by the reader).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vrrplab.boundedio import Problem, one_line
from vrrplab.errors import EXIT_CHECK_FAILED, EXIT_PASS
from vrrplab.i18n import N_, _, localized
from vrrplab.lint.rules import file_rules, pair_rules
from vrrplab.speakers.keepalived_read import (
    ERROR,
    NOTE,
    WARNING,
    Config,
    Finding,
    Where,
    read_config,
)

SEVERITIES = (ERROR, WARNING, NOTE)
SCRIPT_MAX_BYTES = 64 * 1024  # a health-check script read to see what it pings
KEEPALIVED_TIMEOUT_S = 30
MAX_KEEPALIVED_LINES = 20  # per file: an include cycle makes keepalived say thousands
_LOCATED = re.compile(r"^\((?:(?P<file>.+): )?Line (?P<line>\d+)\) (?P<text>.*)$")
_INSTANCE = re.compile(r"^\((?P<name>[^)]+)\) (?P<text>.*)$")
# keepalived -t run here, not in the lab: the lab's interfaces are not on this machine
_HOST_ONLY = re.compile(r"doesn't exist|Non-existent interface|Unknown interface|loopback "
                        r"interface|does not support multicast|unicast peers", re.I)
# ... or lacks the student's script files: said, as a note
_HOST_NOTE = re.compile(r"not found/accessible", re.I)


@dataclass
class LintResult:
    configs: list[Config]
    findings: list[Finding]
    keepalived_checked: bool

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    @property
    def exit_code(self) -> int:
        return EXIT_CHECK_FAILED if self.count(ERROR) else EXIT_PASS


def script_text(path: str) -> str | None:
    """A script file a config names, if it is a small regular UTF-8 file here; else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        raw = os.read(fd, SCRIPT_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(raw) > SCRIPT_MAX_BYTES:
        return None
    return raw.decode("utf-8", errors="replace")


def keepalived_available() -> bool:
    return shutil.which("keepalived") is not None and os.geteuid() == 0


# keepalived's lines a finding of vrrplab's already says (its code, in the same file)
_COVERED = (("SECURITY VIOLATION", "script-security"),
            ("advertisement interval", "advert-int-v2-fraction"),
            ("does not support authentication", "auth-v3"),
            ("virtual router id must be set", "missing-setting"),
            ("No VIP specified", "no-vip"),
            ("preempt delay will not work with initial state MASTER", "preempt-delay-master"),
            ("missing '}'s or extra '{'s", "unclosed-block"),
            ("defaulting to BACKUP", "bad-state"),
            ("nopreempt will not work with initial state MASTER", "nopreempt-master"))


def keepalived_findings(config: Config, known: set[tuple[str, int]],
                        codes: set[str] = frozenset()) -> list[Finding]:
    """What `keepalived -t -f FILE` says of one file, as warnings at their lines."""
    try:
        done = subprocess.run(["keepalived", "-t", "-f", config.path], capture_output=True,
                              text=True, timeout=KEEPALIVED_TIMEOUT_S, errors="replace")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Finding(WARNING, Where(config.path, 1), "keepalived-t",
                        Problem(N_("keepalived -t could not check this file: {reason}"),
                                reason=str(exc)))]
    out: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    more = 0
    for line in (done.stdout + done.stderr).splitlines():
        line = line.strip()
        if not line or _HOST_ONLY.search(line) or any(
                words in line and code in codes for words, code in _COVERED):
            continue
        where = Where(config.path, 1)
        text = line
        located, named = _LOCATED.match(line), _INSTANCE.match(line)
        if located:
            where = Where(located["file"] or config.path, int(located["line"]))
            text = located["text"]
        elif named and config.instance(named["name"]):
            where = config.instance(named["name"]).where
        if ((where.file, where.line) in known and located) or \
                (where.file, where.line, text) in seen:
            continue  # vrrplab's own finding at that line says it already, or said twice
        seen.add((where.file, where.line, text))
        if len(out) >= MAX_KEEPALIVED_LINES:
            more += 1
            continue
        out.append(Finding(NOTE if _HOST_NOTE.search(text) else WARNING, where, "keepalived-t",
                           Problem(N_("keepalived -t says: {text}"), text=text)))
    if more:
        out.append(Finding(NOTE, Where(config.path, 1), "keepalived-t",
                           Problem(N_("keepalived -t said {count} more lines"), count=more)))
    return out


def lint_paths(paths: list[Path], keepalived: bool | None = None,
               shown: list[str] | None = None) -> LintResult:
    """Read and judge the routers' files (in router order). InputError if one is unreadable.

    `keepalived`: run `keepalived -t` too (None: when root and keepalived is installed).
    `shown`: each file's name in the findings (default: its path as given).
    """
    configs = [read_config(p, name) for p, name in zip(paths, shown or [None] * len(paths))]
    findings: list[Finding] = []
    for config in configs:
        findings += file_rules(config, script_text)
    findings += pair_rules(configs)
    checked = keepalived_available() if keepalived is None else keepalived
    if checked:
        known = {(f.where.file, f.where.line) for f in findings if f.where}
        for config in configs:
            if any(f.code == "include-outside" for f in config.findings):
                findings.append(Finding(NOTE, Where(config.path, 1), "keepalived-t", Problem(
                    N_("keepalived -t not run on this file: it includes files outside its "
                       "folder"))))
                continue
            if any(f.code == "include-cycle" for f in config.findings):
                findings.append(Finding(NOTE, Where(config.path, 1), "keepalived-t", Problem(
                    N_("keepalived -t not run on this file: its includes make a cycle"))))
                continue
            codes = {f.code for f in findings if f.where and f.where.file == config.path}
            findings += keepalived_findings(config, known, codes)
    order = {s: n for n, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (f.where.file if f.where else "", f.where.line if f.where
                                 else 0, order[f.severity]))
    return LintResult(configs, findings, checked)


def as_text(result: LintResult) -> str:
    """One line per finding, `FILE:LINE: severity: sentence [scenario]`, then the count."""
    words = {ERROR: _("error"), WARNING: _("warning"), NOTE: _("note")}
    lines = []
    for f in result.findings:
        place = one_line(str(f.where)) if f.where else "-"
        line = f"{place}: {words[f.severity]}: {localized(f.message)}"
        if f.scenario:
            line += " " + _("(see: vrrplab run {scenario})").format(scenario=f.scenario)
        lines.append(line)
    lines.append(_("{files} file(s): {errors} error(s), {warnings} warning(s), {notes} "
                   "note(s)").format(files=len(result.configs), errors=result.count(ERROR),
                                     warnings=result.count(WARNING),
                                     notes=result.count(NOTE)))
    if not result.keepalived_checked:
        lines.append(_("keepalived -t not run (as root with keepalived installed it is): "
                       "static checks only"))
    return "\n".join(lines)


def as_json(result: LintResult) -> str:
    return json.dumps({
        "files": [c.path for c in result.configs],
        "keepalived_checked": result.keepalived_checked,
        "counts": {s: result.count(s) for s in SEVERITIES},
        "exit_code": result.exit_code,
        "findings": [f.as_dict() for f in result.findings],
    }, indent=2, ensure_ascii=False)


def lint_command(paths: list[Path], json_output: bool = False,
                 keepalived: bool | None = None) -> tuple[str, int]:
    """The command's output and exit code (the CLI prints and exits; tests call this)."""
    result = lint_paths(paths, keepalived)
    return (as_json(result) if json_output else as_text(result)), result.exit_code
