"""keepalived.conf rendering against golden files (the lesson's config, corrected)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vrrplab.loader import load_topology
from vrrplab.speakers.keepalived_conf import render_keepalived_conf

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("router", ["r1", "r2"])
def test_textbook_config_matches_golden(router):
    topo = load_topology(ROOT / "topologies/textbook.yaml")
    expected = (GOLDEN / f"textbook-{router}.keepalived.conf").read_text()
    assert render_keepalived_conf(topo, router) == expected


def test_v3_nopreempt_render():
    topo = load_topology(ROOT / "topologies/textbook.yaml")
    vrrp = dataclasses.replace(topo.vrrp, version=3, advert_int=0.1, auth_pass=None, preempt=False)
    text = render_keepalived_conf(dataclasses.replace(topo, vrrp=vrrp), "r2")
    assert "    vrrp_version 3\n" in text
    assert "    advert_int 0.1\n" in text
    assert "    nopreempt\n" in text
    assert "authentication" not in text
