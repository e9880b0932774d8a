"""Read keepalived.conf as people write it, into a small model that maps onto vrrplab's.

The grammar is keepalived.conf(5)'s, the one `keepalived_conf.py` writes: comments from
`#` or `!` to the end of the line (outside quotes), words split at blanks, `{` and `}`
opening and closing blocks (on the keyword's line or the next one), double-quoted
strings read as keepalived 2.2 reads them (`\\\\` a backslash, `\\NNN` an octal byte;
`script_argv` then splits a script line into words as keepalived does, the inverse of
`keepalived_conf.script_word`), and `include FILE` (and its variants `includer`...)
relative to the including file, globbed, bounded: no cycle, `MAX_INCLUDE_DEPTH` levels,
`MAX_FILES` files, `MAX_BYTES` each, and only below the main file's folder (a student's
`include /etc/shadow` would otherwise print the teacher's secrets as unknown keywords).

What is read: global_defs (router_id, script_user, enable_script_security,
vrrp_version), vrrp_instance (state, interface, virtual_router_id, priority,
advert_int, version (keepalived's per-instance word: vrrp_version there is unknown to it),
nopreempt, preempt_delay, authentication, virtual_ipaddress,
track_script, track_interface, use_vmac, unicast_src_ip, unicast_peer), vrrp_script
(script, interval, weight, fall, rise, timeout) and vrrp_sync_group (group,
track_script, sync_group_tracking_weight), in any order. Every setting keeps its file
and line (`Where`) and its place in reading order (`Where.seq`: keepalived reads a
file in order, and a track_script naming a vrrp_script defined later is ignored).
Anything else is a `Finding` (its values escaped to one printable line), never a crash: keywords keepalived reads that vrrplab
does not model (a note), keywords neither knows (a warning: keepalived only logs
"Unknown keyword" and goes on), values that are not what the keyword wants.

An unreadable file (missing, not a regular file, too big, not UTF-8: `boundedio`) is an
InputError (exit 2) naming the file, and the include line when it was included.
`to_vrrp` maps the routers' configs onto `loader.model.Vrrp` (the renderer's input);
`lint/` judges them. No lab, no subprocess.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_interface
from pathlib import Path
from typing import Any

from vrrplab.boundedio import Problem, decode, read_bytes
from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message

MAX_BYTES = 256 * 1024  # a keepalived.conf is a few KiB; the lesson's is under 1 KiB
MAX_FILES = 64  # files read for one config, includes with it
MAX_INCLUDE_DEPTH = 8
MAX_BLOCK_DEPTH = 16  # { } nesting; keepalived's own grammar goes 3 deep
INCLUDE_WORDS = ("include", "includer", "includem", "includew", "includeb", "includea")

# severities, as `vrrplab lint` shows them
ERROR, WARNING, NOTE = "error", "warning", "note"


@dataclass(frozen=True)
class Where:
    """A place in the files read: `file:line`; `seq` orders places as keepalived reads them."""

    file: str
    line: int
    seq: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """One thing to tell the student about a line: severity, place, one sentence."""

    severity: str  # ERROR, WARNING or NOTE
    where: Where | None
    code: str  # a short stable name: "unknown-keyword", "vrid-differs"...
    message: Message  # English in str(), the reader's language in localized()
    scenario: str | None = None  # the catalogue's scenario that shows it, if one does

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "file": self.where.file if self.where else None,
                "line": self.where.line if self.where else None, "code": self.code,
                "message": str(self.message), "scenario": self.scenario}


@dataclass(frozen=True)
class Setting:
    """A value as read, and where."""

    value: Any
    where: Where


@dataclass
class TrackRef:
    """A track_script or track_interface line: the name, its own weight if given."""

    name: str
    where: Where
    weight: int | None = None
    reverse: bool = False


@dataclass
class Script:
    """A vrrp_script block."""

    name: str
    where: Where
    script: Setting | None = None  # the command line, as keepalived hands it to its runner
    interval: Setting | None = None
    weight: Setting | None = None
    reverse: bool = False
    fall: Setting | None = None
    rise: Setting | None = None
    timeout: Setting | None = None

    @property
    def argv(self) -> list[str]:
        return script_argv(self.script.value) if self.script else []


@dataclass
class Instance:
    """A vrrp_instance block."""

    name: str
    where: Where
    state: Setting | None = None
    interface: Setting | None = None
    vrid: Setting | None = None
    priority: Setting | None = None
    advert_int: Setting | None = None
    version: Setting | None = None
    nopreempt: Setting | None = None
    preempt_delay: Setting | None = None
    auth_type: Setting | None = None
    auth_pass: Setting | None = None  # as written (keepalived keeps its first 8 characters)
    vips: list[Setting] = field(default_factory=list)  # IPv4Interface / IPv6Interface
    track_scripts: list[TrackRef] = field(default_factory=list)
    track_interfaces: list[TrackRef] = field(default_factory=list)
    use_vmac: Setting | None = None  # the macvlan's name, "" when not given
    unicast_src_ip: Setting | None = None
    unicast_peers: list[Setting] = field(default_factory=list)


@dataclass
class SyncGroup:
    name: str
    where: Where
    group: list[Setting] = field(default_factory=list)  # instance names
    track_scripts: list[TrackRef] = field(default_factory=list)
    tracking_weight: Setting | None = None  # sync_group_tracking_weight


@dataclass
class Config:
    """One router's keepalived.conf, includes with it."""

    path: str
    files: list[str] = field(default_factory=list)
    router_id: Setting | None = None
    script_user: Setting | None = None
    enable_script_security: Setting | None = None
    version: Setting | None = None  # vrrp_version in global_defs
    scripts: dict[str, Script] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    sync_groups: list[SyncGroup] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def instance(self, name: str) -> Instance | None:
        return next((i for i in self.instances if i.name == name), None)

    def version_of(self, instance: Instance) -> int:
        """The instance's `version`, else global_defs' vrrp_version, else 2; IPv6 is 3."""
        if instance.vips and instance.vips[0].value.version == 6:
            return 3
        chosen = instance.version or self.version
        return chosen.value if chosen else 2

    def sync_group_of(self, instance: Instance) -> SyncGroup | None:
        return next((g for g in self.sync_groups
                     if any(s.value == instance.name for s in g.group)), None)


# --- words ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    word: str
    where: Where
    first: bool  # the first word of its line
    quoted: bool = False


def _unquote_escape(text: str, i: int) -> tuple[str, int]:
    """One backslash escape inside double quotes, from text[i] == '\\\\'."""
    octal = re.match(r"[0-7]{1,3}", text[i + 1:i + 4])
    if octal:
        return chr(int(octal.group(), 8)), i + 1 + len(octal.group())
    if text[i + 1:i + 2] == "\\":
        return "\\", i + 2
    return "\\", i + 1  # kept: the script's own reader sees it


def split_line(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """A line's words (word, quoted) and the problem, if any (an unclosed quote)."""
    words: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "#!":
            break
        elif ch in "{}":
            words.append((ch, False))
            i += 1
        elif ch == '"':
            out, i = [], i + 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    got, i = _unquote_escape(text, i)
                    out.append(got)
                else:
                    out.append(text[i])
                    i += 1
            if i >= n:
                return words, N_("a quote opened here is never closed")
            words.append(("".join(out), True))
            i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in "{}\"#!":
                i += 1
            words.append((text[start:i], False))
    return words, None


def script_argv(command: str) -> list[str]:
    """A script line's words as keepalived splits them: at unescaped blanks, `\\C` is C."""
    argv, word, escaped, started = [], [], False, False
    for ch in command:
        if escaped:
            word.append(ch)
            escaped, started = False, True
        elif ch == "\\":
            escaped, started = True, True
        elif ch in " \t":
            if started:
                argv.append("".join(word))
            word, started = [], False
        else:
            word.append(ch)
            started = True
    if started:
        argv.append("".join(word))
    return argv


# --- files ---------------------------------------------------------------------------

def _read_bounded(path: Path) -> str:
    """A regular file of at most MAX_BYTES as UTF-8, or one InputError line naming it."""
    return decode(read_bytes(path, MAX_BYTES), path)


class _Reader:
    """The files of one config as one stream of tokens, includes spliced in."""

    def __init__(self, root: Path | None = None) -> None:
        self.files: list[str] = []
        self.findings: list[Finding] = []
        self.seq = 0
        self.root = root  # includes are read only below this folder (the main file's)

    def note(self, severity: str, where: Where | None, code: str, template: str, **values):
        self.findings.append(Finding(severity, where, code, Problem(template, **values)))

    def tokens(self, path: Path, shown: str, chain: tuple[Path, ...] = ()) -> list[Token]:
        if len(self.files) >= MAX_FILES:
            raise InputError(Problem(N_("{file}: more than {count} files included"),
                                     file=shown, count=MAX_FILES))
        text = _read_bounded(path)
        self.files.append(shown)
        chain = chain + (path.resolve(),)
        out: list[Token] = []
        for number, line in enumerate(text.splitlines(), 1):
            words, problem = split_line(line)
            self.seq += 1
            where = Where(shown, number, self.seq)
            if problem:
                self.note(ERROR, where, "unclosed-quote", problem)
            if words and words[0][0] in INCLUDE_WORDS and not words[0][1]:
                out += self._include(path, where, [w for w, _ in words[1:]], chain)
                continue
            out += [Token(w, where, i == 0, q) for i, (w, q) in enumerate(words)]
        return out

    def _include(self, path: Path, where: Where, args: list[str],
                 chain: tuple[Path, ...]) -> list[Token]:
        if len(args) != 1:
            self.note(ERROR, where, "bad-include", N_("include expects one file name"))
            return []
        if len(chain) > MAX_INCLUDE_DEPTH:
            self.note(ERROR, where, "include-depth",
                      N_("include nested more than {depth} levels deep: not read"),
                      depth=MAX_INCLUDE_DEPTH)
            return []
        if glob.has_magic(args[0]):  # the folder's own [ ] or * are no pattern
            names = sorted(glob.glob(os.path.join(glob.escape(str(path.parent)), args[0])))
            if not names:
                self.note(WARNING, where, "include-missing",
                          N_("no file matches {name}: keepalived goes on without it"),
                          name=args[0])
        else:
            names = [os.path.join(str(path.parent), args[0])]
        out: list[Token] = []
        for name in names:
            name = os.path.normpath(name)
            target = Path(name)
            if not target.exists():
                self.note(WARNING, where, "include-missing",
                          N_("included file {name} does not exist: keepalived goes on "
                             "without it"), name=args[0])
                continue
            if self.root is not None and not target.resolve().is_relative_to(self.root):
                self.note(WARNING, where, "include-outside",
                          N_("include {name} is outside this config's folder: vrrplab does "
                             "not read it (keepalived would)"), name=args[0])
                continue
            if target.resolve() in chain:
                self.note(ERROR, where, "include-cycle",
                          N_("{name} includes itself (a cycle): not read again"), name=args[0])
                continue
            try:
                out += self.tokens(target, name, chain)
            except InputError as exc:
                raise InputError(Problem(N_("{where}: include: {problem}"), where=str(where),
                                         problem=exc.message)) from None
        return out


# --- blocks --------------------------------------------------------------------------

@dataclass
class Statement:
    words: list[Token]
    block: list["Statement"] | None = None

    @property
    def keyword(self) -> str:
        return self.words[0].word

    @property
    def args(self) -> list[str]:
        return [t.word for t in self.words[1:]]

    @property
    def where(self) -> Where:
        return self.words[0].where


def _parse(tokens: list[Token], reader: _Reader) -> list[Statement]:
    """Statements (a line's words) and their blocks, braces on any line."""
    top: list[Statement] = []
    stack: list[list[Statement]] = [top]
    current: Statement | None = None
    for token in tokens:
        body = stack[-1]
        if token.word == "{" and not token.quoted:
            owner = current or (body[-1] if body and body[-1].block is None else None)
            if owner is None:
                reader.note(ERROR, token.where, "stray-brace",
                            N_("a block opens here without a keyword before it"))
                owner = Statement([Token("{", token.where, True)])
                body.append(owner)
            if len(stack) > MAX_BLOCK_DEPTH:
                raise InputError(Problem(N_("{where}: blocks nested more than {depth} deep"),
                                         where=str(token.where), depth=MAX_BLOCK_DEPTH))
            owner.block = []
            stack.append(owner.block)
            current = None
        elif token.word == "}" and not token.quoted:
            current = None
            if len(stack) == 1:
                reader.note(ERROR, token.where, "stray-brace",
                            N_("this closing brace closes no block: keepalived reads the "
                               "rest of the file at the wrong level"))
            else:
                stack.pop()
        else:
            if token.first or current is None:
                current = Statement([token])
                body.append(current)
            else:
                current.words.append(token)
    if len(stack) > 1:
        opened = next(st for st in top if st.block is stack[1])
        reader.note(ERROR, opened.where, "unclosed-block",
                    N_("the {keyword} block opened here is never closed: a closing brace "
                       "is missing in it or after it"), keyword=opened.keyword)
    return top


# --- meaning -------------------------------------------------------------------------

# keywords keepalived reads that vrrplab does not model, by block (a note when met)
KNOWN_ELSEWHERE = {
    "global_defs": {
        "notification_email", "notification_email_from", "smtp_server",
        "smtp_connect_timeout", "smtp_helo_name", "lvs_id", "vrrp_skip_check_adv_addr",
        "vrrp_strict", "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_mcast_group4",
        "vrrp_mcast_group6", "vrrp_garp_master_delay", "vrrp_garp_master_refresh",
        "vrrp_garp_master_repeat", "vrrp_garp_master_refresh_repeat", "vrrp_priority",
        "checker_priority", "max_auto_priority", "dynamic_interfaces", "script_security",
        "vrrp_no_swap", "vrrp_iptables", "nftables", "enable_traps", "default_interface",
        "vrrp_check_unicast_src", "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert",
        "vrrp_startup_delay", "vrrp_notify_fifo", "notify_fifo", "vrrp_garp_lower_prio_delay",
        "vrrp_garp_lower_prio_repeat", "lvs_sync_daemon", "router_id_is_hostname",
        "include_check", "process_names", "vrrp_process_name", "checker_process_name",
    },
    "vrrp_instance": {
        "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify",
        "notify_master_rx_lower_pri", "smtp_alert", "garp_master_delay", "garp_master_refresh",
        "garp_master_repeat", "garp_master_refresh_repeat", "garp_lower_prio_delay",
        "garp_lower_prio_repeat", "lower_prio_no_advert", "higher_prio_send_advert",
        "dont_track_primary", "mcast_src_ip", "virtual_routes", "virtual_rules",
        "virtual_ipaddress_excluded", "accept", "no_accept", "preempt", "strict_mode",
        "skip_check_adv_addr", "track_file", "track_process", "track_bfd", "vmac_xmit_base",
        "native_ipv6", "debug", "linkbeat_use_polling", "unicast_ttl", "check_unicast_src",
        "kernel_rx_buf_size", "old_unicast_checksum", "track_src_ip",
    },
    "vrrp_script": {"user", "init_fail"},
    "vrrp_sync_group": {"notify_master", "notify_backup", "notify_fault", "notify_stop",
                        "notify", "smtp_alert", "global_tracking", "track_interface",
                        "track_file", "track_process", "track_bfd"},
    "": {"virtual_server", "virtual_server_group", "static_ipaddress", "static_routes",
         "static_rules", "vrrp_track_process", "track_file", "vrrp_track_file", "bfd_instance",
         "linkbeat_use_polling", "net_namespace", "instance", "use_pid_dir", "@", "$"},
}


class _Builder:
    def __init__(self, config: Config, reader: _Reader) -> None:
        self.config, self.reader = config, reader

    def note(self, severity, where, code, template, **values):
        self.reader.note(severity, where, code, template, **values)

    def unknown(self, st: Statement, block: str) -> None:
        if st.keyword in KNOWN_ELSEWHERE.get(block, ()) or (
                block == "" and st.keyword.startswith(("$", "@"))):
            self.note(NOTE, st.where, "not-modelled",
                      N_("{keyword}: read by keepalived, not judged by vrrplab"),
                      keyword=st.keyword)
        else:
            self.note(WARNING, st.where, "unknown-keyword",
                      N_("{keyword} is not a keyword vrrplab knows here: keepalived ignores "
                         "a keyword it does not know with only a log line (\"Unknown "
                         "keyword\"), so check its spelling and its block"),
                      keyword=st.keyword)

    def value(self, st: Statement, kind, low=None, high=None) -> Setting | None:
        """The statement's one argument as `kind` (int, float, str) in [low, high]."""
        if len(st.args) != 1:
            self.note(ERROR, st.where, "bad-value", N_("{keyword} expects one value, got {count}"),
                      keyword=st.keyword, count=len(st.args))
            if not st.args:
                return None
        text = st.args[0]
        try:
            got = kind(text)
            if kind is float and got != got:
                raise ValueError
        except ValueError:
            self.note(ERROR, st.where, "bad-value",
                      N_("{keyword} expects a number, got {value}: keepalived refuses the "
                         "line"), keyword=st.keyword, value=text)
            return None
        if (low is not None and got < low) or (high is not None and got > high):
            self.note(ERROR, st.where, "bad-value",
                      N_("{keyword} must be between {low} and {high}, got {value}"),
                      keyword=st.keyword, low=low, high=high, value=text)
            return None
        return Setting(got, st.where)

    def flag(self, st: Statement) -> Setting:
        if st.args:
            self.note(WARNING, st.where, "bad-value", N_("{keyword} takes no value"),
                      keyword=st.keyword)
        return Setting(True, st.where)

    def build(self, statements: list[Statement]) -> None:
        for st in statements:
            kw, name = st.keyword, (st.args[0] if st.args else "")
            if kw in ("global_defs", "vrrp_instance", "vrrp_script", "vrrp_sync_group"):
                if st.block is None:
                    self.note(ERROR, st.where, "missing-block",
                              N_("{keyword} without a block: its {{ ... }} is missing"),
                              keyword=kw)
                    continue
                if kw != "global_defs" and not name:
                    self.note(ERROR, st.where, "missing-name", N_("{keyword} needs a name"),
                              keyword=kw)
                    continue
                getattr(self, kw)(st, name)
            else:
                self.unknown(st, "")

    def global_defs(self, st: Statement, _name: str) -> None:
        c = self.config
        for sub in st.block or []:
            if sub.keyword == "router_id":
                c.router_id = self.value(sub, str)
            elif sub.keyword == "script_user":
                c.script_user = Setting(" ".join(sub.args), sub.where)
            elif sub.keyword == "enable_script_security":
                c.enable_script_security = self.flag(sub)
            elif sub.keyword == "vrrp_version":
                c.version = self.value(sub, int, 2, 3)
            else:
                self.unknown(sub, "global_defs")

    def vrrp_script(self, st: Statement, name: str) -> None:
        if name in self.config.scripts:
            self.note(WARNING, st.where, "duplicate",
                      N_("vrrp_script {name} is defined twice (first at {first})"),
                      name=name, first=str(self.config.scripts[name].where))
        script = self.config.scripts[name] = Script(name, st.where)
        for sub in st.block or []:
            kw = sub.keyword
            if kw == "script":
                script.script = Setting(" ".join(sub.args), sub.where)
            elif kw == "interval":
                script.interval = self.value(sub, float, 0)
            elif kw == "timeout":
                script.timeout = self.value(sub, float, 0)
            elif kw in ("fall", "rise"):
                setattr(script, kw, self.value(sub, int, 1))
            elif kw == "weight":
                script.reverse = "reverse" in sub.args[1:]
                sub = Statement(sub.words[:2])
                script.weight = self.value(sub, int, -253, 253)
            else:
                self.unknown(sub, "vrrp_script")

    def _tracks(self, sub: Statement, into: list[TrackRef]) -> None:
        for line in sub.block or []:
            ref = TrackRef(line.keyword, line.where)
            args = line.args
            if args[:1] == ["weight"]:
                got = self.value(Statement(line.words[1:3]), int, -254, 254)
                ref.weight = got.value if got else None
                ref.reverse = "reverse" in args[2:]
            elif args:
                self.note(WARNING, line.where, "bad-value",
                          N_("{name}: expected nothing or weight N after the name, got {rest}"),
                          name=line.keyword, rest=" ".join(args))
            into.append(ref)

    def vrrp_instance(self, st: Statement, name: str) -> None:
        if self.config.instance(name):
            self.note(ERROR, st.where, "duplicate",
                      N_("vrrp_instance {name} is defined twice"), name=name)
        inst = Instance(name, st.where)
        self.config.instances.append(inst)
        for sub in st.block or []:
            kw = sub.keyword
            if kw == "state":
                got = self.value(sub, str)
                if got and got.value not in ("MASTER", "BACKUP"):
                    self.note(WARNING, sub.where, "bad-state",
                              N_("state {value}: keepalived knows MASTER and BACKUP only, in "
                                 "capitals, and starts this instance BACKUP (\"unknown state, "
                                 "defaulting to BACKUP\")"), value=got.value)
                    got = None
                inst.state = got
            elif kw == "interface":
                inst.interface = self.value(sub, str)
            elif kw == "virtual_router_id":
                inst.vrid = self.value(sub, int, 1, 255)
            elif kw == "priority":
                inst.priority = self.value(sub, int, 1, 255)
            elif kw == "advert_int":
                inst.advert_int = self.value(sub, float, 0.01, 255)
            elif kw == "version":
                inst.version = self.value(sub, int, 2, 3)
            elif kw == "vrrp_version":
                self.note(WARNING, sub.where, "misplaced-keyword",
                          N_("vrrp_version belongs in global_defs: in a vrrp_instance keepalived "
                             "ignores it (\"Unknown keyword\"); write version {value} here"),
                          value=" ".join(sub.args))
            elif kw == "nopreempt":
                inst.nopreempt = self.flag(sub)
            elif kw == "preempt_delay":
                inst.preempt_delay = self.value(sub, float, 0, 1000)
            elif kw == "authentication":
                for line in sub.block or []:
                    if line.keyword == "auth_type":
                        inst.auth_type = self.value(line, str)
                    elif line.keyword == "auth_pass":
                        inst.auth_pass = self.value(line, str)
                    else:
                        self.unknown(line, "authentication")
            elif kw == "virtual_ipaddress":
                for line in sub.block or []:
                    try:
                        inst.vips.append(Setting(ip_interface(line.keyword), line.where))
                    except ValueError:
                        self.note(ERROR, line.where, "bad-value",
                                  N_("{value} is not an address: keepalived skips the line"),
                                  value=line.keyword)
            elif kw == "track_script":
                self._tracks(sub, inst.track_scripts)
            elif kw == "track_interface":
                self._tracks(sub, inst.track_interfaces)
            elif kw == "use_vmac":
                inst.use_vmac = Setting(sub.args[0] if sub.args else "", sub.where)
            elif kw == "unicast_src_ip":
                inst.unicast_src_ip = self._address(sub, sub.args[0] if sub.args else "")
            elif kw == "unicast_peer":
                for line in sub.block or []:
                    got = self._address(line, line.keyword)
                    if got:
                        inst.unicast_peers.append(got)
            else:
                self.unknown(sub, "vrrp_instance")

    def _address(self, st: Statement, text: str) -> Setting | None:
        try:
            return Setting(ip_address(text), st.where)
        except ValueError:
            self.note(ERROR, st.where, "bad-value",
                      N_("{value} is not an address: keepalived skips the line"), value=text)
            return None

    def vrrp_sync_group(self, st: Statement, name: str) -> None:
        group = SyncGroup(name, st.where)
        self.config.sync_groups.append(group)
        for sub in st.block or []:
            if sub.keyword == "group":
                group.group += [Setting(line.keyword, line.where) for line in sub.block or []]
            elif sub.keyword == "track_script":
                self._tracks(sub, group.track_scripts)
            elif sub.keyword == "sync_group_tracking_weight":
                group.tracking_weight = self.flag(sub)
            else:
                self.unknown(sub, "vrrp_sync_group")


def read_config(path: Path | str, shown: str | None = None) -> Config:
    """Read one router's keepalived.conf (and what it includes) into a `Config`.

    InputError (exit 2) when a file cannot be read; every other problem is a finding.
    """
    path = Path(path)
    reader = _Reader(path.resolve().parent)
    tokens = reader.tokens(path, shown or str(path))
    config = Config(shown or str(path))
    _Builder(config, reader).build(_parse(tokens, reader))
    config.files, config.findings = reader.files, reader.findings
    return config


def read_text(text: str, name: str = "keepalived.conf") -> Config:
    """`read_config` for text in memory (tests, the round trip): no include is followed."""
    reader = _Reader()
    tokens: list[Token] = []
    for number, line in enumerate(text.splitlines(), 1):
        words, problem = split_line(line)
        reader.seq += 1
        where = Where(name, number, reader.seq)
        if problem:
            reader.note(ERROR, where, "unclosed-quote", problem)
        tokens += [Token(w, where, i == 0, q) for i, (w, q) in enumerate(words)]
    config = Config(name, files=[name])
    _Builder(config, reader).build(_parse(tokens, reader))
    config.findings = reader.findings
    return config
