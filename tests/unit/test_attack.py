"""The attacker refuses to run outside a lab node (no root, no lab needed)."""

from __future__ import annotations

import pytest

from vrrplab import linux
from vrrplab.faults import attack


def test_refuses_without_the_lab_marker(monkeypatch):
    monkeypatch.delenv("VRRPLAB_LAB_NODE", raising=False)
    with pytest.raises(attack.NotInLab, match="only inside a vrrplab lab node"):
        attack.ensure_inside_lab_node()


def test_refuses_in_the_namespace_of_pid_1(monkeypatch):
    monkeypatch.setenv("VRRPLAB_LAB_NODE", "1")
    monkeypatch.setattr(linux.os, "readlink", lambda path: "net:[4026531840]")
    with pytest.raises(attack.NotInLab, match="not a lab node's network namespace"):
        attack.ensure_inside_lab_node()


def test_reads_the_v2_password_and_forges_from_a_template():
    from scapy.layers.inet import IP
    from scapy.layers.vrrp import VRRP

    template = IP(src="192.168.1.10", dst="224.0.0.18", ttl=255) / VRRP(
        vrid=10, priority=120, addrlist=["192.168.1.1"], authtype=1,
        auth1=int.from_bytes(b"Lab2", "big"), auth2=int.from_bytes(b"pass", "big"))
    template = IP(bytes(template))
    assert attack.password_of(template) == "Lab2pass"
    forged = IP(bytes(attack.forge(template, "192.168.1.66", 255)))
    assert forged.src == "192.168.1.66" and forged.ttl == 255
    assert forged[VRRP].priority == 255 and forged[VRRP].vrid == 10
    assert attack.password_of(forged) == "Lab2pass"
    fresh = VRRP(bytes(forged[VRRP]))
    del fresh.chksum
    assert VRRP(bytes(fresh)).chksum == forged[VRRP].chksum  # a valid checksum
