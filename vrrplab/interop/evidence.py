"""Why a pair of speakers failed, from what its run left: the speakers' logs and results.json.

Pure but for `read_logs` (the run folder's `<router>.<kind>.log`, bounded). Three kinds
of evidence, in the order a reason names them:

- adverts a router dropped and why (`drops`): the bundled speaker's JSON `drop` lines and
  its drop counters (bundled/log.py), keepalived's lines ("(VI_LAN) received an invalid
  passwd!", "invalid TTL/HL", "wrong version", "advertisement interval mismatch"...), FRR
  vrrpd's "Datagram invalid: Bad VRRP checksum ..." lines (vrrpd 8.4 writes them only
  with `debug vrrp packets` in its frr.conf; without it an FRR router's drops leave no
  evidence, but its last `show vrrp json`, `<router>.frr-show-vrrp.json`, counts the adverts
  it accepted: none (`adverRx` 0) while the client saw the other router's is the finding
  "dropped every advert ... none counted as received"); the gateway's instance only (results.json
  `vrrp.gateways`, FRR's lines by VRID: the upstream instance's drops are left out); the
  sender is the router that owns the advert's source address (a snapshot's addresses),
  else, in a lab of two routers, the other one;
- routers that do not agree on a master (`disagreement`): two MASTER in one snapshot, or
  both advertising on the wire in the same few intervals (results.json's timeline);
- what the run itself said: its errors (a wait that timed out) and failed checks.

`reason` words them as one Message (English in interop.json, the reader's language in
interop.md). Leaves to others: running the pair (command.py), the matrix (matrix.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from vrrplab.bundled.log import read_events
from vrrplab.features import describe_adaptation
from vrrplab.i18n import N_, Joined, Message

MAX_LOG_BYTES = 4 * 1024 * 1024  # a speaker's log read at most this far (its end kept)
FIRST_CHECKS = 2  # failed checks a reason names

# what an advert was dropped for, in words (keys shared by every speaker's evidence)
DROP_WORDS = {
    "checksum": N_("checksum"),
    "ttl": N_("TTL or hop limit not 255"),
    "version": N_("VRRP version"),
    "interval": N_("advertisement interval"),
    "auth": N_("authentication"),
    "addresses": N_("virtual addresses"),
    "vrid": N_("VRID"),
    "type": N_("packet type"),
    "length": N_("length"),
    "family": N_("address family"),
    "owner": N_("address owner"),
    "none_received": N_("none counted as received (vrrpd's adverRx 0; its reason needs "
                        "debug vrrp packets)"),
}

# the bundled speaker's DropReason -> the shared key (own adverts are not evidence)
BUNDLED_REASONS = {
    "bad_checksum": "checksum", "bad_ttl": "ttl", "bad_version": "version",
    "version_mismatch": "version", "bad_interval": "interval", "interval_mismatch": "interval",
    "auth_type_mismatch": "auth", "auth_failed": "auth", "address_mismatch": "addresses",
    "bad_address_count": "addresses", "bad_ip_address": "addresses", "bad_vrid": "vrid",
    "wrong_vrid": "vrid", "bad_type": "type", "truncated": "length",
    "length_mismatch": "length", "family_mismatch": "family", "local_is_owner": "owner",
}
IGNORED_BUNDLED = {"own_advert", "not_bytes"}

# keepalived 2.2.7's words when it drops an advert (its vrrp.c), first match wins
KEEPALIVED_PATTERNS = [
    (re.compile(r"invalid passwd|authentication type mismatch", re.I), "auth"),
    (re.compile(r"invalid TTL/HL|TTL/HL \d+ not in range"), "ttl"),
    (re.compile(r"wrong version"), "version"),
    (re.compile(r"advertisement interval mismatch"), "interval"),
    (re.compile(r"Invalid packet type"), "type"),
    (re.compile(r"unexpected ip number count|VIPs but received|not present in MASTER advert"),
     "addresses"),
    (re.compile(r"ip_tot_len mismatch|packet too short|packet with AH too short"), "length"),
    (re.compile(r"(?<!Setting unicast VRRPv3 )checksum", re.I), "checksum"),
]
# FRR vrrpd: "[VRID 10] [IPv4] Datagram invalid: Bad VRRP checksum 2e4c; should be 2d4c"
FRR_INVALID = re.compile(r"Datagram invalid: (.*)$")
FRR_PATTERNS = [
    (re.compile(r"checksum", re.I), "checksum"),
    (re.compile(r"TTL is|Hop Limit"), "ttl"),
    (re.compile(r"Bad version"), "version"),
    (re.compile(r"Bad type"), "type"),
    (re.compile(r"authentication", re.I), "auth"),
    (re.compile(r"advertisement interval", re.I), "interval"),
    (re.compile(r"contains VRID"), "vrid"),
    (re.compile(r"Bad IP address"), "addresses"),
    (re.compile(r"address owner"), "owner"),
]


@dataclass(frozen=True)
class Drop:
    """Adverts `router` dropped from `sender` (None: not known) for `reason`."""

    router: str
    kind: str
    sender: str | None
    sender_kind: str | None
    reason: str  # a DROP_WORDS key, or the speaker's own words
    count: int  # how many (a counter, or the lines that said it)
    line: str  # one line of the log that says it

    def as_dict(self) -> dict:
        return {"router": self.router, "kind": self.kind, "from": self.sender,
                "from_kind": self.sender_kind, "reason": self.reason, "count": self.count,
                "line": self.line}


def read_logs(run_dir: Path | None, speakers: dict[str, str]) -> dict[str, str]:
    """Each router's speaker log in the run folder (`r1.keepalived.log`), its last
    MAX_LOG_BYTES; a router whose log is missing or unreadable is left out."""
    logs: dict[str, str] = {}
    if run_dir is None:
        return logs
    for router, kind in speakers.items():
        path = run_dir / f"{router}.{kind}.log"
        try:
            with open(path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - MAX_LOG_BYTES))
                logs[router] = f.read().decode("utf-8", errors="replace")
        except OSError:
            continue
    return logs


def read_views(run_dir: Path | None, speakers: dict[str, str]) -> dict[str, object]:
    """Each FRR router's last `show vrrp json` in the run folder, parsed; a router without
    one (another speaker, vrrpd not answering) is left out."""
    views: dict[str, object] = {}
    if run_dir is None:
        return views
    for router, kind in speakers.items():
        if kind != "frr":
            continue
        try:
            with open(run_dir / f"{router}.frr-show-vrrp.json", "rb") as f:
                views[router] = json.loads(f.read(MAX_LOG_BYTES).decode("utf-8", "replace"))
        except (OSError, ValueError):
            continue
    return views


def _owners(results: dict) -> dict[str, str]:
    """Address -> the router that has it (its configured address, its snapshots' ones)."""
    owners: dict[str, str] = {}
    for snapshot in results.get("snapshots") or []:
        for router, addresses in (snapshot.get("vips") or {}).items():
            for address in addresses or []:
                if not str(address).startswith("127."):
                    owners.setdefault(str(address), router)
    for router, facts in ((results.get("vrrp") or {}).get("routers") or {}).items():
        if isinstance(facts, dict) and facts.get("ip"):
            owners[str(facts["ip"])] = router
    return owners


def _gateway(results: dict) -> tuple[set[str], int | None]:
    """The LAN's instances (names) and the gateway's VRID: drops elsewhere (the upstream
    instance) are not the pair's story about the client's gateway."""
    vrrp = results.get("vrrp") or {}
    names = {str(g.get("instance")) for g in vrrp.get("gateways") or []
             if isinstance(g, dict) and g.get("instance")}
    return names, vrrp.get("vrid")


KEEPALIVED_INSTANCE = re.compile(r"\(([^()\s]+)\)")
FRR_VRID = re.compile(r"\[VRID (\d+)\]")


def _elsewhere(kind: str, line: str, results: dict) -> bool:
    """A keepalived or FRR line about another instance than the gateway's."""
    names, vrid = _gateway(results)
    if kind == "keepalived" and names:
        match = KEEPALIVED_INSTANCE.search(line)
        return bool(match) and match.group(1) not in names
    if kind == "frr" and vrid is not None:
        match = FRR_VRID.search(line)
        return bool(match) and int(match.group(1)) != vrid
    return False


def _sender(router: str, src: str | None, results: dict) -> str | None:
    speakers = results.get("speakers") or {}
    owner = _owners(results).get(src or "")
    if owner is not None:
        return owner if owner != router else None
    others = [r for r in speakers if r != router]
    return others[0] if len(others) == 1 else None


def _bundled_drops(router: str, text: str, results: dict) -> list[Drop]:
    """The `drop` lines (at most one a second per reason: their `count` is the counter
    then) and the `stop` line's counters (the final figures)."""
    seen: dict[tuple[str | None, str], tuple[int, str]] = {}
    finals: dict[str, int] = {}
    names = _gateway(results)[0]
    for event in read_events(text):  # the bundled speaker's own log reader
        if (event.get("event") == "drop" and event.get("reason") not in IGNORED_BUNDLED
                and (not names or event.get("instance") in names)):
            reason = str(event.get("reason"))
            key = (_sender(router, event.get("src"), results), reason)
            count = event.get("count") if isinstance(event.get("count"), int) else 1
            seen[key] = (max(count, seen.get(key, (0, ""))[0]),
                         str(event.get("msg") or json.dumps(event)))
        elif event.get("event") == "stop":
            for instance, counters in (event.get("counters") or {}).items():
                if names and instance not in names:
                    continue
                for reason, n in ((counters or {}).get("drops") or {}).items():
                    if isinstance(n, int):
                        finals[str(reason)] = finals.get(str(reason), 0) + n
    speakers = results.get("speakers") or {}
    drops = []
    for (sender, reason), (count, said) in seen.items():
        senders = sum(1 for s, r in seen if r == reason)
        if senders == 1 and finals.get(reason, 0) > count:
            count = finals[reason]  # one sender for this reason: the final counter is its
        drops.append(Drop(router, "bundled", sender, speakers.get(sender or ""),
                          BUNDLED_REASONS.get(reason, reason), count, said))
    return drops


def _text_drops(router: str, kind: str, text: str, results: dict) -> list[Drop]:
    """keepalived's and FRR's lines: one line, one dropped advert (or more: they may
    rate-limit), the sender not said but in a lab of two routers."""
    found: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        reason = None
        if _elsewhere(kind, line, results):
            continue
        if kind == "keepalived":
            reason = next((key for pattern, key in KEEPALIVED_PATTERNS if pattern.search(line)),
                          None)
        elif kind == "frr":
            match = FRR_INVALID.search(line)
            if match:
                said = match.group(1).strip()
                reason = next((key for pattern, key in FRR_PATTERNS if pattern.search(said)),
                              said)
        if reason is not None:
            count, first = found.get(reason, (0, line.strip()))
            found[reason] = (count + 1, first)
    sender = _sender(router, None, results)
    speakers = results.get("speakers") or {}
    return [Drop(router, kind, sender, speakers.get(sender or ""), reason, count, line)
            for reason, (count, line) in found.items()]


def _frr_received(view, results: dict) -> int | None:
    """The adverts vrrpd counted as received for the gateway's VRID (adverRx, IPv4 or
    IPv6 as the gateway's VIP), or None when its view does not say."""
    vrrp = results.get("vrrp") or {}
    family = "v6" if ":" in str(vrrp.get("vip") or "") else "v4"
    for router in view if isinstance(view, list) else []:
        if isinstance(router, dict) and router.get("vrid") == vrrp.get("vrid"):
            stats = (router.get(family) or {}).get("stats") or {}
            received = stats.get("adverRx")
            return received if isinstance(received, int) else None
    return None


def _frr_silent_drops(router: str, view, results: dict) -> list[Drop]:
    """An FRR router that accepted none of the other's adverts the client saw."""
    sender = _sender(router, None, results)
    seen = adverts_from(results, sender)
    if sender is None or not seen or _frr_received(view, results) != 0:
        return []
    speakers = results.get("speakers") or {}
    return [Drop(router, "frr", sender, speakers.get(sender), "none_received", seen,
                 "show vrrp json: adverRx 0")]


def drops(results: dict, logs: dict[str, str], views: dict | None = None) -> list[Drop]:
    """Every router's dropped adverts, by sender and reason, most first. `views`: the FRR
    routers' last `show vrrp json` (read_views), for what their logs do not say."""
    found: list[Drop] = []
    for router, kind in (results.get("speakers") or {}).items():
        text = logs.get(router)
        if kind == "bundled" and text:
            found += _bundled_drops(router, text, results)
        elif text:
            found += _text_drops(router, kind, text, results)
        if kind == "frr" and not any(d.router == router for d in found) \
                and (views or {}).get(router) is not None:
            found += _frr_silent_drops(router, (views or {})[router], results)
    return sorted(found, key=lambda d: (-d.count, d.router, d.reason))


def adverts_from(results: dict, router: str | None) -> int:
    """The adverts the client's capture saw from `router` at a priority above 0."""
    return sum(1 for a in (results.get("timeline") or {}).get("adverts") or []
               if a.get("router") == router and (a.get("priority") or 0) > 0)


def _named(router: str | None, kind: str | None) -> str:
    return f"{router} ({kind})" if router and kind else str(router)


def drop_message(drop: Drop, results: dict) -> Message:
    """'r2 (frr) dropped every advert from r1 (keepalived): checksum' (every: at least as
    many as the client's capture saw r1 send), or '... dropped 12 adverts from ...'."""
    words = Message(DROP_WORDS[drop.reason]) if drop.reason in DROP_WORDS else drop.reason
    values = dict(router=_named(drop.router, drop.kind), reason=words, n=drop.count)
    if drop.sender is None:
        return Message(N_("{router} dropped {n} adverts: {reason}"), **values)
    values["sender"] = _named(drop.sender, drop.sender_kind)
    sent = adverts_from(results, drop.sender)
    if sent and drop.count >= sent:
        return Message(N_("{router} dropped every advert from {sender}: {reason}"), **values)
    return Message(N_("{router} dropped {n} adverts from {sender}: {reason}"), **values)


def _masters_at_once(results: dict) -> tuple[list[str], str] | None:
    """Routers MASTER together in a snapshot: (routers, the snapshot's label)."""
    for snapshot in results.get("snapshots") or []:
        masters = sorted(r for r, s in (snapshot.get("states") or {}).items() if s == "MASTER")
        if len(masters) > 1:
            return masters, str(snapshot.get("label"))
    return None


def _advertising_at_once(results: dict) -> tuple[list[str], float] | None:
    """Routers each advertising twice or more (priority above 0) within the same 2.5
    advert intervals, on the gateway's VRID: both acting as master, seen on the wire."""
    vrrp = results.get("vrrp") or {}
    interval, vrid = vrrp.get("advert_int_s") or 1.0, vrrp.get("vrid")
    routers = set((results.get("speakers") or {}))
    adverts = sorted((a["t"], a["router"]) for a in (results.get("timeline") or {}).get(
        "adverts") or [] if isinstance(a.get("t"), (int, float)) and a.get("router") in routers
        and (a.get("priority") or 0) > 0 and (vrid is None or a.get("vrid") == vrid))
    span = 2.5 * interval
    for i, (t, _router) in enumerate(adverts):
        counts: dict[str, int] = {}
        for t2, r2 in adverts[i:]:
            if t2 - t > span:
                break
            counts[r2] = counts.get(r2, 0) + 1
        both = sorted(r for r, n in counts.items() if n >= 2)
        if len(both) > 1:
            return both, t
    return None


def disagreement(results: dict) -> Message | None:
    """Routers that did not agree on a master, in words, or None."""
    speakers = results.get("speakers") or {}
    named = lambda routers: ", ".join(_named(r, speakers.get(r)) for r in routers)  # noqa: E731
    at_once = _masters_at_once(results)
    if at_once:
        return Message(N_("{routers} were MASTER at the same time ({snapshot}): they do not "
                          "agree on a master"), routers=named(at_once[0]), snapshot=at_once[1])
    wire = _advertising_at_once(results)
    if wire:
        return Message(N_("{routers} both advertised as master from {t:.1f} s: they do not "
                          "agree on a master"), routers=named(wire[0]), t=float(wire[1]))
    return None


def failed_checks(results: dict) -> list[str]:
    return [str(c.get("name")) for c in results.get("checks") or []
            if isinstance(c, dict) and c.get("ok") is False]


def reason(results: dict, logs: dict[str, str], views: dict | None = None) -> Message | None:
    """Why the run failed, from the evidence: drops, a disagreement, the run's own errors,
    its failed checks, a speaker's known finding; None when it did not fail."""
    if results.get("verdict") != "fail":
        return None
    parts: list = [drop_message(d, results) for d in drops(results, logs, views)[:2]]
    split = disagreement(results)
    if split is not None:
        parts.append(split)
    parts += [str(e) for e in (results.get("errors") or [])[:1]]
    checks = failed_checks(results)
    if checks:
        shown = ", ".join(checks[:FIRST_CHECKS])
        if len(checks) > FIRST_CHECKS:
            parts.append(Message(N_("failed checks: {checks} and {n} more"), checks=shown,
                                 n=len(checks) - FIRST_CHECKS))
        else:
            parts.append(Message(N_("failed checks: {checks}"), checks=shown))
    # what a speaker is known to do against the RFC here (speakers.fit): the failure's why
    parts += [describe_adaptation(a) for a in results.get("adapted") or []
              if isinstance(a, dict) and a.get("change") == "known"]
    if not parts:
        return Message(N_("the run failed without saying why: see its report"))
    return Joined(Message(N_("; ")), parts)
