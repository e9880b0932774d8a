"""Lab size limits (issue 18): refused at validation, exit 2, before anything is built."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from vrrplab.cli import main
from vrrplab.errors import InputError
from vrrplab.loader import limits, load_topology

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = yaml.safe_load((ROOT / "topologies/textbook.yaml").read_text())


@pytest.mark.parametrize("path", sorted((ROOT / "topologies").glob("*.yaml")), ids=lambda p: p.stem)
def test_the_catalogue_is_well_within_the_limits(path):
    for quantity, (_field, count) in limits.counts(yaml.safe_load(path.read_text())).items():
        assert count <= limits.LIMITS[quantity] // 2, (quantity, count)


def _huge(routers: int, clients: int) -> dict:
    """The issue's case: 254 routers and 3000 clients on one LAN."""
    top = {**TEXTBOOK, "segments": {"lan": {"subnet": "10.0.0.0/16"}}}
    top["routers"] = {f"r{i}": {"interfaces": {"eth0": {"segment": "lan",
                                                        "address": f"10.0.0.{i}/16"}}}
                      for i in range(1, routers + 1)}
    top["hosts"] = {f"c{i}": {"role": "client", "interfaces": {"eth0": {
        "segment": "lan", "address": f"10.0.{1 + i // 250}.{1 + i % 250}/16"}}}
        for i in range(clients)}
    return top


def test_a_huge_lab_is_refused_at_once_naming_each_limit(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(_huge(254, 3000)))
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        load_topology(path)
    assert time.monotonic() - started < 5
    text = str(err.value)
    assert f"routers: expected at most {limits.MAX_ROUTERS} routers" in text and "got 254" in text
    assert f"expected at most {limits.MAX_NODES} nodes" in text and "got 3254" in text
    assert f"expected at most {limits.MAX_LINKS} links" in text
    assert len(err.value.problems) == 3  # the limits only: no line per node


@pytest.mark.parametrize("quantity", sorted(limits.LIMITS))
def test_one_past_each_limit_is_refused_at_the_limit_it_is_not(tmp_path, quantity):
    top = yaml.safe_load((ROOT / "topologies/textbook.yaml").read_text())
    limit = limits.LIMITS[quantity]
    if quantity in ("routers", "nodes", "links"):
        top = _huge(limits.MAX_ROUTERS if quantity != "routers" else limit + 1,
                    {"routers": 0, "nodes": limit + 1 - limits.MAX_ROUTERS,
                     "links": limit + 1 - limits.MAX_ROUTERS}[quantity])
    elif quantity == "segments":
        top["segments"] = {f"seg{i}": {"subnet": f"10.{i}.0.0/24"} for i in range(limit + 1)}
    else:
        top["vrrp"]["instances"] = {f"VI_{i}": {"vrid": i + 1, "interface": "eth0",
                                                "vips": [f"192.168.1.{i + 1}/24"]}
                                    for i in range(limit + 1)}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(top))
    with pytest.raises(InputError) as err:
        load_topology(path)
    wanted = {q for q, (_f, n) in limits.counts(top).items() if n > limits.LIMITS[q]}
    assert quantity in wanted
    assert len(err.value.problems) == len(wanted)
    assert f"expected at most {limit} " in str(err.value)


def test_validate_exits_2_on_a_lab_too_large(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(_huge(254, 3000)))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "lab size limit" in result.output
