"""The bounded JSON reader: a string that never closes is read in linear time (no
regular expression retried from every quote), and JSON has no NaN or Infinity."""

from __future__ import annotations

import pytest

from vrrplab.boundedio import JSON_MAX_DEPTH, read_json
from vrrplab.errors import InputError


def test_an_unclosed_string_runs_to_the_end_of_the_file(tmp_path):
    # matched to the end in one scan: the old pattern failed there and was retried from
    # every later quote (quadratic: 25 s for 120 KB), and counted its brackets as depth
    from vrrplab.boundedio import _JSON_STRING

    assert _JSON_STRING.sub(b'""', b'[ "a\\"]" , "[[[' + b'\\"' * 1000) == b'[ "" , ""'
    path = tmp_path / "x.json"
    path.write_bytes(b'"' + b'\\"' * 200_000)
    with pytest.raises(InputError, match="Unterminated string"):
        read_json(path, 1_000_000)


def test_brackets_inside_strings_are_not_depth(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": "' + "[" * (JSON_MAX_DEPTH * 2) + '"}')
    assert read_json(path, 10_000) == {"a": "[" * (JSON_MAX_DEPTH * 2)}
    path.write_text("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1))
    with pytest.raises(InputError, match="levels of nesting"):
        read_json(path, 10_000)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_has_no_nan_or_infinity(tmp_path, constant):
    path = tmp_path / "x.json"
    path.write_text('{"takeover_s": %s}' % constant)
    with pytest.raises(InputError, match=f"{constant} is not a JSON number"):
        read_json(path, 1000)
