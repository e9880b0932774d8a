"""One interface for every VRRP speaker a router can run (keepalived, bundled, frr).

Scenarios and the runner only call `prepare`, `start`, `stop`, `crash`, `state`
and `state_changes`; which daemon answers is this package's business.

`--speaker` choices: `keepalived`, `bundled` or `frr` on every router; `mixed` runs
keepalived on the first router (r1) and the bundled speaker on the others,
`mixed-reverse` the other way round, so the two implementations meet on the
wire in both directions; or one kind per router, every router named:
`r1=keepalived,r2=frr`.
"""

from __future__ import annotations

from vrrplab.errors import InputError
from vrrplab.i18n import N_, Message
from vrrplab.speakers.base import Speaker
from vrrplab.speakers.bundled import BundledSpeaker
from vrrplab.speakers.frr import FrrSpeaker
from vrrplab.speakers.keepalived import KeepalivedSpeaker

SPEAKER_KINDS: dict[str, type[Speaker]] = {"keepalived": KeepalivedSpeaker,
                                           "bundled": BundledSpeaker, "frr": FrrSpeaker}
# the shorthands --speaker accepts: the kind of the first router, then of the others
SHORTHANDS = {
    "keepalived": ("keepalived", "keepalived"),
    "bundled": ("bundled", "bundled"),
    "frr": ("frr", "frr"),
    "mixed": ("keepalived", "bundled"),
    "mixed-reverse": ("bundled", "keepalived"),
}
SPEAKER_CHOICES = tuple(SHORTHANDS)
CHOICE_FORMS = f"{', '.join(SPEAKER_CHOICES)}, or ROUTER=KIND,... ({', '.join(SPEAKER_KINDS)})"


def per_router_pairs(choice: str) -> dict[str, str] | None:
    """`r1=keepalived,r2=frr` -> {r1: keepalived, r2: frr}; a shorthand -> None.
    InputError when the text is neither (routers are checked against a lab later)."""
    if choice in SHORTHANDS:
        return None
    pairs: dict[str, str] = {}
    for part in choice.split(","):
        router, sep, kind = (s.strip() for s in part.partition("="))
        if not sep or not router or kind not in SPEAKER_KINDS:
            raise InputError(Message(N_("--speaker: expected {forms}, got {choice}"),
                                     forms=CHOICE_FORMS, choice=repr(choice)))
        if router in pairs:
            raise InputError(Message(N_("--speaker {choice}: {router} is named twice"),
                                     choice=choice, router=router))
        pairs[router] = kind
    return pairs


def kinds_for(choice: str, routers: list[str]) -> dict[str, str]:
    """Which speaker kind each router runs under `--speaker choice` (routers in order)."""
    pairs = per_router_pairs(choice)
    if pairs is None:
        first, others = SHORTHANDS[choice]
        return {r: first if i == 0 else others for i, r in enumerate(routers)}
    unknown = [r for r in pairs if r not in routers]
    missing = [r for r in routers if r not in pairs]
    if unknown:
        raise InputError(Message(N_("--speaker {choice}: the lab has no router {names} "
                                    "(its routers: {routers})"), choice=choice,
                                 names=", ".join(unknown), routers=", ".join(routers)))
    if missing:
        raise InputError(Message(N_("--speaker {choice}: expected a kind for every router; "
                                    "nothing for {names}"), choice=choice,
                                 names=", ".join(missing)))
    return {r: pairs[r] for r in routers}


def require_speakers(kinds) -> None:
    """EnvironmentProblem (exit 3) before anything starts if a kind's programs are missing."""
    for kind in sorted(kinds):
        SPEAKER_KINDS[kind].require_installed()


__all__ = ["CHOICE_FORMS", "SPEAKER_CHOICES", "SPEAKER_KINDS", "Speaker", "kinds_for",
           "per_router_pairs", "require_speakers"]
