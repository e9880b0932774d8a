"""The analysis of every scenario, on keepalived and on bundled, stays what it was.

analysis.json.gz holds one real run of each (results.json without what the analysis
adds) and the timing windows and checks the analysis made of it when the file was
built (tests/unit/data/make_analysis_golden.py). A change to the structure of the code
must leave them identical; a change that means to judge differently rebuilds the file
and says why in its commit.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.unit.data.make_analysis_golden import analyse

GOLDEN = json.loads(gzip.decompress((Path(__file__).parent / "data" / "analysis.json.gz")
                                    .read_bytes()))


def test_the_golden_file_covers_the_catalogue_on_both_speakers():
    scenarios = {p.stem for p in (Path(__file__).parents[2] / "scenarios").glob("*.yaml")}
    covered = {name.rsplit(".", 1)[0] for name in GOLDEN}
    # the two scenarios with no fault (auth-mismatch, sniff-password) judge no takeover
    assert scenarios - covered <= {"auth-mismatch", "sniff-password"}
    assert {name.rsplit(".", 1)[1] for name in GOLDEN} == {"keepalived", "bundled"}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_analysis_is_unchanged(name):
    run = GOLDEN[name]
    assert analyse(run["input"]) == run["expected"]
