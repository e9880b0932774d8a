"""Click parameter types every command shares.

`Number`: a float option's one type. click's FloatRange lets NaN through its range check
(every comparison with NaN is false) and infinities through an open end, so
`--probe-interval nan` reached the run; a number here is finite, then in its range.
Every float option of every command uses it (a test walks the commands).
"""

from __future__ import annotations

import math

import click

from vrrplab.errors import InputError
from vrrplab.i18n import _
from vrrplab.speakers import SPEAKER_CHOICES, per_router_pairs


class Number(click.FloatRange):
    """A finite float, optionally within [min, max] (click.FloatRange's arguments)."""

    def convert(self, value, param, ctx):
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError, OverflowError):
            finite = True  # not a number at all: click says so
        if not finite:  # first: `inf` is not "out of range", it is no number to run with
            self.fail(_("expected a finite number, got {value}").format(value=value), param, ctx)
        return super().convert(value, param, ctx)


class SpeakerChoice(click.ParamType):
    """`--speaker`: a shorthand (keepalived, bundled, frr, mixed, mixed-reverse) or one
    kind per router (`r1=keepalived,r2=frr`); which routers exist is the lab's to say,
    checked once the scenario is read (`speakers.kinds_for`)."""

    name = "speaker"

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(SPEAKER_CHOICES) + "|ROUTER=KIND,...]"

    def convert(self, value, param, ctx):
        try:
            per_router_pairs(value)
        except InputError as exc:
            self.fail(exc.localized().removeprefix("--speaker: "), param, ctx)
        return value


SPEAKER = SpeakerChoice()
