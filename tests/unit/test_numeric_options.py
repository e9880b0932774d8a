"""Numeric options reject NaN and infinities (issue 18): one click type for every float
option of every command, each checked here. Nothing starts: the option is refused while
the command line is parsed (and the scenario named does not exist, to be sure)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from vrrplab.cli import main
from vrrplab.cliopts import Number

NOWHERE = "no-such-scenario-for-this-test"
# a command line each command parses up to its options, nothing able to start
SAFE_ARGV = {"run": ["run", NOWHERE], "bench": ["bench", NOWHERE],
             "sweep": ["sweep", NOWHERE, "--set", "advert_int=1"], "shell": ["shell", NOWHERE]}
BAD = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999"]


def _float_options():
    for name, command in sorted(main.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.type, click.types.FloatParamType):
                yield name, param


FLOAT_OPTIONS = list(_float_options())


def test_there_are_float_options_and_each_uses_the_one_type():
    assert {name for name, _ in FLOAT_OPTIONS} >= {"run", "bench"}
    for name, param in FLOAT_OPTIONS:
        assert isinstance(param.type, Number), f"{name} {param.opts[0]}: {param.type!r}"
        assert name in SAFE_ARGV, f"{name}: add a safe command line for it here"


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("name,param", FLOAT_OPTIONS, ids=lambda x: getattr(x, "name", x))
def test_every_float_option_refuses_nan_and_infinities(name, param, value):
    result = CliRunner().invoke(main, [*SAFE_ARGV[name], param.opts[0], value])
    assert result.exit_code == 2, result.output
    assert "expected a finite number" in result.output, result.output
    assert NOWHERE not in result.output  # refused while parsing, before the name is looked up


def test_a_finite_number_still_passes_its_range():
    number = Number(0.001, 1.0)
    assert number.convert("0.005", None, None) == 0.005
    with pytest.raises(click.BadParameter):
        number.convert("2", None, None)
    assert Number(0).convert("10", None, None) == 10.0
