"""The fault catalogue is the one list of fault kinds: every layer reads it."""

from __future__ import annotations

from vrrplab.analysis import windows
from vrrplab.faults import catalogue
from vrrplab.faults.actions import ACTIONS
from vrrplab.loader.scenario import FAULT_KINDS
from vrrplab.vrrp.bounds import BOUND_KINDS


def test_every_kind_has_one_action_and_every_action_a_kind():
    assert set(ACTIONS) == set(catalogue.KINDS)
    assert FAULT_KINDS == tuple(catalogue.KINDS)


def test_each_record_names_what_the_other_layers_know():
    for name, kind in catalogue.KINDS.items():
        assert kind.name == name
        assert kind.bound in BOUND_KINDS, name
        assert kind.rule is None or kind.rule == "by_priority" or kind.rule in windows.BASIS, name
        assert kind.attacker in (None, "forges", "batch", "stops"), name
        assert kind.what, name


def test_derived_lists():
    assert catalogue.kinds_where(silences=True) == (
        "crash", "kill", "freeze", "link_down", "flap", "block_vrrp")
    assert catalogue.kinds_where(returns=True) == (
        "start", "link_up", "unblock_vrrp", "restore_upstream")
    assert catalogue.FORGING_KINDS == ("rogue_router", "zero_storm")
    assert catalogue.ATTACK_KINDS == ("rogue_router", "zero_storm", "malformed")
    assert catalogue.ATTACKER_KINDS == ("rogue_router", "zero_storm", "stop_attack", "malformed")
