"""The test-only mistimed speakers: exactly how wrong each one is, on a fake clock, and how one is asked for."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.unit.test_bundled_daemon import MDI_100, Lab, document, gateway, instance
from vrrplab.bundled.config import ConfigProblem, parse_config
from vrrplab.bundled.daemon import Daemon
from vrrplab.bundled.log import JsonLog, read_events
from vrrplab.bundled.mistimed import KINDS, MISTIMINGS, make_router
from vrrplab.loader import load_topology
from vrrplab.speakers.bundled_conf import MISTIME_ENV, render_bundled_conf
from vrrplab.vrrp.config import RouterConfig
from vrrplab.vrrp.events import AdvertReceived, Startup
from vrrplab.vrrp.machine import State, VirtualRouter
from vrrplab.vrrp.packet import Advert

ROOT = Path(__file__).resolve().parents[2]
VIPS = ("192.168.1.1",)
PEER = "192.168.1.10"
SKEW = 156 / 256  # RFC 5798 §6.1: priority 100, Advertisement_Interval 1 s, v3
MDI = 3 + SKEW


def approx(value: float) -> object:
    return pytest.approx(value, abs=1e-9, rel=1e-12)


def backup(mistime: str | None) -> VirtualRouter:
    """Priority 100, v3 at 1 s, in BACKUP since t=0."""
    config = RouterConfig(vrid=10, priority=100, version=3, advert_int_s=1.0, vips=VIPS, primary_ip="192.168.1.9")
    vr = make_router(config, mistime)
    vr.handle(Startup(), 0.0)
    assert vr.state is State.BACKUP
    return vr


def hear(vr: VirtualRouter, priority: int, now: float) -> None:
    advert = Advert(version=3, vrid=10, priority=priority, adver_int=100, addresses=VIPS)
    assert vr.handle(AdvertReceived(advert, PEER, 255), now) == []


def takeover_times(mistime: str | None) -> tuple[float, float, float]:
    """Master_Down_Timer's deadline: at start, after an advert at t=1, after a goodbye at t=2."""
    vr = backup(mistime)
    at_start = vr.get_timer()
    hear(vr, 200, now=1.0)
    after_advert = vr.get_timer()
    hear(vr, 0, now=2.0)
    return at_start, after_advert, vr.get_timer()


def test_the_names_are_the_kinds():
    assert tuple(KINDS) == MISTIMINGS


def test_no_mistiming_is_the_rfc():
    vr = backup(None)
    assert type(vr) is VirtualRouter
    assert takeover_times(None) == (approx(MDI), approx(1 + MDI), approx(2 + SKEW))


def test_mdi_x2_waits_twice_master_down_interval():
    assert takeover_times("mdi_x2") == (approx(2 * MDI), approx(1 + 2 * MDI), approx(2 + SKEW))


def test_ignore_zero_waits_master_down_interval_after_a_goodbye():
    assert takeover_times("ignore_zero") == (approx(MDI), approx(1 + MDI), approx(2 + MDI))


def test_ignore_zero_still_takes_over_when_its_timer_runs_out():
    vr = backup("ignore_zero")
    hear(vr, 0, now=2.0)
    vr.handle_timer(2 + MDI - 1e-6)
    assert vr.state is State.BACKUP
    vr.handle_timer(2 + MDI)
    assert vr.state is State.MASTER


def test_no_wait_takes_a_tenth_of_the_rfc_figures():
    assert takeover_times("no_wait") == (approx(MDI / 10), approx(1 + MDI / 10), approx(2 + SKEW / 10))


def test_an_unknown_mistiming_is_refused():
    config = RouterConfig(vrid=10, priority=100, version=3, advert_int_s=1.0, vips=VIPS, primary_ip="192.168.1.9")
    with pytest.raises(ValueError, match="mdi_x2, ignore_zero, no_wait"):
        make_router(config, "late")


# -- how it is asked for: the environment -> the config -> the daemon -------------------


@pytest.fixture
def textbook():
    return load_topology(ROOT / "topologies/textbook.yaml")


def test_render_adds_test_mistime_only_with_the_env_var(textbook, monkeypatch):
    monkeypatch.delenv(MISTIME_ENV, raising=False)
    assert "test_mistime" not in json.loads(render_bundled_conf(textbook, "r1"))
    monkeypatch.setenv(MISTIME_ENV, "ignore_zero")
    doc = json.loads(render_bundled_conf(textbook, "r1"))
    assert doc["test_mistime"] == "ignore_zero"
    assert parse_config(doc).test_mistime == "ignore_zero"


def test_render_refuses_a_bad_env_value(textbook, monkeypatch):
    monkeypatch.setenv(MISTIME_ENV, "slow")
    with pytest.raises(ValueError, match=f"{MISTIME_ENV}='slow': expected one of mdi_x2, ignore_zero, no_wait"):
        render_bundled_conf(textbook, "r1")


def test_config_without_the_key_runs_to_the_rfc():
    assert parse_config(document(instance())).test_mistime is None


def test_config_refuses_an_unknown_mistiming():
    with pytest.raises(ConfigProblem) as caught:
        parse_config({**document(instance()), "test_mistime": "late"})
    assert caught.value.problems == ['test_mistime: expected mdi_x2 or ignore_zero or no_wait, got "late"']


@pytest.mark.parametrize("mistime", MISTIMINGS)
def test_daemon_runs_the_mistimed_router_and_says_so(mistime):
    out = io.StringIO()
    daemon = Daemon(parse_config({**document(instance()), "test_mistime": mistime}), JsonLog(out))
    assert type(daemon.instances["VI_LAN"].router) is KINDS[mistime]
    daemon._log_start()
    warnings = [e["msg"] for e in read_events(out.getvalue()) if e["event"] == "warning"]
    assert warnings == [f"test-only mistiming {mistime} active: this speaker is deliberately broken"]


def test_daemon_without_mistiming_says_nothing():
    out = io.StringIO()
    daemon = Daemon(parse_config(document(instance())), JsonLog(out))
    assert type(daemon.instances["VI_LAN"].router) is VirtualRouter
    daemon._log_start()
    assert not [e for e in read_events(out.getvalue()) if e["event"] == "warning"]


def test_a_mistimed_daemon_takes_over_late_on_the_wire(monkeypatch):
    """The textbook pair with r2 ignoring goodbyes: r1 stops at t=5, r2 waits the full
    Master_Down_Interval (RFC 3768 §6.4.2 says Skew_Time)."""
    lab = Lab(monkeypatch, gateway(120, "192.168.1.10", "203.0.113.10", "r1"),
              {**gateway(100, "192.168.1.20", "203.0.113.20", "r2"), "test_mistime": "ignore_zero"})
    lab.start()
    lab.advance(5.0)
    assert lab.state("r1") is State.MASTER
    lab.stop("r1")
    lab.advance(5.0 + MDI_100 - 1e-6)
    assert lab.state("r2") is State.BACKUP  # an RFC speaker is MASTER since 5 + SKEW_100
    lab.advance(10.0)
    taken = next(e for e in lab.events("r2", "state") if e["new"] == "MASTER")
    assert taken["t"] == pytest.approx(5.0 + MDI_100)
