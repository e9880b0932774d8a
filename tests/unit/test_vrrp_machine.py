"""VRRP state machine on a fake clock, against the timer values of RFC 5798 §6.1 / RFC 3768 §6.1."""

from __future__ import annotations

import dataclasses

import pytest

from vrrplab.vrrp.actions import AddVips, RemoveVips, SendAdvert, SendGratuitousArp, StateChanged
from vrrplab.vrrp.config import ConfigError, RouterConfig
from vrrplab.vrrp.events import (
    AdvertReceived,
    Fault,
    FaultCleared,
    PacketReceived,
    PriorityChanged,
    Shutdown,
    Startup,
)
from vrrplab.vrrp.machine import InvalidInput, State, VirtualRouter
from vrrplab.vrrp.packet import AUTH_PASS, Advert, DropReason, encode, pass_auth_data
from vrrplab.vrrp.sync import GROUP_FAULT, SyncGroup

VIPS = ("192.168.1.1",)
PRIMARY, PEER, LOWER_PEER = "192.168.1.9", "192.168.1.10", "192.168.1.8"
GROUP = "224.0.0.18"

PRIORITIES = [1, 100, 200, 254]
TIMINGS = [(3, 1.0), (3, 0.1), (3, 0.01), (2, 1.0)]  # (version, advertisement interval)
TIMING_IDS = ["v3-1s", "v3-100ms", "v3-10ms", "v2-1s"]


def approx(value: float) -> object:
    return pytest.approx(value, abs=1e-9, rel=1e-12)


def skew(priority: int, interval: float, version: int) -> float:
    """RFC 5798 §6.1 / RFC 3768 §6.1, written out independently of vrrplab.vrrp.timers."""
    return (256 - priority) / 256 if version == 2 else (256 - priority) * interval / 256


def mdi(priority: int, interval: float, version: int) -> float:
    return 3 * interval + skew(priority, interval, version)


def make(priority: int = 100, version: int = 3, interval: float = 1.0, **overrides: object) -> VirtualRouter:
    config = RouterConfig(vrid=10, priority=priority, version=version, advert_int_s=interval, vips=VIPS, primary_ip=PRIMARY)
    return VirtualRouter(dataclasses.replace(config, **overrides))


def advert_like(vr: VirtualRouter, priority: int, **fields: object) -> Advert:
    """An advert a correctly configured peer of `vr` would send."""
    c = vr.config
    auth = {"auth_type": AUTH_PASS, "auth_data": pass_auth_data(c.auth_pass)} if c.auth_pass else {}
    base = dict(version=c.version, vrid=c.vrid, priority=priority, adver_int=c.adver_int, addresses=c.vips, **auth)
    return Advert(**{**base, **fields})  # type: ignore[arg-type]


def hear(vr: VirtualRouter, priority: int, now: float, src: str = PEER, **fields: object) -> list[object]:
    return vr.handle(AdvertReceived(advert_like(vr, priority, **fields), src, 255), now)


def started(priority: int = 100, version: int = 3, interval: float = 1.0, now: float = 0.0, **kw: object) -> VirtualRouter:
    vr = make(priority, version, interval, **kw)
    vr.handle(Startup(), now)
    return vr


def master(priority: int = 100, version: int = 3, interval: float = 1.0, **kw: object) -> VirtualRouter:
    vr = started(priority, version, interval, **kw)
    if vr.state is State.BACKUP:
        vr.handle_timer(vr.get_timer())
    assert vr.state is State.MASTER
    return vr


def kinds(actions: list[object]) -> list[type]:
    return [type(a) for a in actions]


# Timer values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"), [(1.0, 3.609375), (0.1, 0.3609375), (0.01, 0.03609375)]
)
def test_rfc_table_for_priority_100(interval: float, expected: float) -> None:
    vr = started(100, 3, interval)
    assert vr.get_timer() == approx(expected)
    assert vr.skew_time == approx(expected - 3 * interval)


@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_master_down_after_silence(priority: int, version: int, interval: float) -> None:
    t0 = 5.0
    vr = started(priority, version, interval, now=t0)
    assert vr.state is State.BACKUP
    deadline = vr.get_timer()
    assert deadline == approx(t0 + mdi(priority, interval, version))
    assert vr.master_down_interval == approx(mdi(priority, interval, version))
    assert vr.handle_timer(deadline - 1e-6) == []  # early wake-up: nothing due
    actions = vr.handle_timer(deadline)
    assert kinds(actions) == [StateChanged, AddVips, SendAdvert, SendGratuitousArp]
    assert actions[2].advert.priority == priority
    assert vr.state is State.MASTER
    assert vr.get_timer() == approx(deadline + interval)


@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_master_down_counts_from_the_last_advert(priority: int, version: int, interval: float) -> None:
    vr = started(priority, version, interval)
    master_priority = min(priority + 1, 255)
    for k in range(5):
        hear(vr, master_priority, now=(k + 0.5) * interval)
        assert vr.state is State.BACKUP
    last = 4.5 * interval
    assert vr.get_timer() == approx(last + mdi(priority, interval, version))
    vr.handle_timer(vr.get_timer())
    assert vr.state is State.MASTER


@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_priority_zero_takeover_after_skew_time(priority: int, version: int, interval: float) -> None:
    vr = started(priority, version, interval)
    hear(vr, 255, now=interval)
    t = 2 * interval
    assert hear(vr, 0, now=t) == []
    assert vr.get_timer() == approx(t + skew(priority, interval, version))
    vr.handle_timer(vr.get_timer())
    assert vr.state is State.MASTER


@pytest.mark.parametrize("priority", [p for p in PRIORITIES if p > 1])
@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_preempt_on_ignores_a_lower_priority_master(priority: int, version: int, interval: float) -> None:
    vr = started(priority, version, interval)
    deadline = vr.get_timer()
    for k in range(3):
        hear(vr, priority - 1, now=(k + 0.5) * interval)
    assert vr.get_timer() == approx(deadline)  # (470): discarded, the timer keeps running
    vr.handle_timer(deadline)
    assert vr.state is State.MASTER


@pytest.mark.parametrize("priority", [p for p in PRIORITIES if p > 1])
@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_preempt_off_follows_a_lower_priority_master(priority: int, version: int, interval: float) -> None:
    vr = started(priority, version, interval, preempt=False)
    for k in range(20):
        hear(vr, priority - 1, now=(k + 0.5) * interval)
        assert vr.get_timer() == approx((k + 0.5) * interval + mdi(priority, interval, version))
    assert vr.state is State.BACKUP


@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_equal_priority_never_takes_over(priority: int, version: int, interval: float) -> None:
    # §6.4.2 (445): "greater than or equal" resets the timer, even from a lower address.
    vr = started(priority, version, interval)
    for k in range(20):
        hear(vr, priority, now=(k + 0.5) * interval, src=LOWER_PEER)
    assert vr.state is State.BACKUP
    assert vr.master_ip == LOWER_PEER


@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_preempt_delay_counts_from_startup(version: int, interval: float) -> None:
    delay = 5 * interval
    vr = started(200, version, interval, preempt_delay_s=delay)
    now, last_accepted = 0.5 * interval, None
    while vr.state is State.BACKUP:
        deadline = vr.get_timer()
        if deadline <= now:
            vr.handle_timer(deadline)
            break
        hear(vr, 100, now=now)
        if now < delay:
            last_accepted = now
        now += interval
    assert vr.state is State.MASTER
    assert last_accepted == approx(4.5 * interval)
    assert deadline == approx(last_accepted + mdi(200, interval, version))


def test_preempt_delay_restarts_after_an_equal_or_better_master() -> None:
    vr = started(200, preempt_delay_s=10.0)
    hear(vr, 250, now=1.0)  # a better master clears the hold-off...
    hear(vr, 100, now=20.0)  # ...so this lower one starts a new one, until 30.0
    hear(vr, 100, now=29.0)
    assert vr.get_timer() == approx(29.0 + mdi(200, 1.0, 3))
    hear(vr, 100, now=30.0)  # expired: discarded
    assert vr.get_timer() == approx(29.0 + mdi(200, 1.0, 3))


def test_preempt_delay_does_not_slow_a_silent_or_stopping_master() -> None:
    vr = started(200, preempt_delay_s=100.0)
    assert vr.get_timer() == approx(mdi(200, 1.0, 3))
    hear(vr, 250, now=1.0)
    hear(vr, 0, now=2.0)
    assert vr.get_timer() == approx(2.0 + skew(200, 1.0, 3))


@pytest.mark.parametrize("priority", PRIORITIES)
def test_owner_becomes_master_at_once(priority: int) -> None:
    vr = make(255)
    actions = vr.handle(Startup(), 7.0)
    assert kinds(actions) == [StateChanged, AddVips, SendAdvert, SendGratuitousArp]
    assert actions[2].advert.priority == 255
    assert vr.state is State.MASTER
    assert vr.get_timer() == approx(8.0)
    assert vr.config.owner and not make(priority).config.owner


# Master behaviour -------------------------------------------------------------


@pytest.mark.parametrize(("version", "interval"), TIMINGS, ids=TIMING_IDS)
def test_master_advertises_every_interval(version: int, interval: float) -> None:
    vr = master(150, version, interval)
    for _ in range(5):
        deadline = vr.get_timer()
        (action,) = vr.handle_timer(deadline)
        assert action.advert == advert_like(vr, 150)
        assert vr.get_timer() == approx(deadline + interval)


def test_master_answers_priority_zero_at_once() -> None:
    vr = master(150)
    now = vr.get_timer() - 0.3
    (action,) = hear(vr, 0, now=now)
    assert isinstance(action, SendAdvert) and action.advert.priority == 150
    assert vr.get_timer() == approx(now + 1.0)
    assert vr.state is State.MASTER


@pytest.mark.parametrize("priority", [p for p in PRIORITIES if p < 254])
def test_master_yields_to_higher_priority_and_learns_its_interval(priority: int) -> None:
    vr = master(priority, 3, 1.0)
    actions = hear(vr, priority + 1, now=10.0, adver_int=200)
    assert kinds(actions) == [StateChanged, RemoveVips]
    assert actions[1].vips == VIPS
    assert vr.state is State.BACKUP
    assert vr.master_adver_interval == approx(2.0)
    assert vr.get_timer() == approx(10.0 + mdi(priority, 2.0, 3))


@pytest.mark.parametrize(
    ("primary", "peer", "yields"),
    [
        ("192.168.1.9", "192.168.1.10", True),  # as integers .10 > .9 (as strings it is not)
        ("192.168.1.10", "192.168.1.9", False),
        ("10.0.0.1", "192.168.0.1", True),
        ("192.168.0.1", "10.0.0.1", False),
    ],
)
def test_master_tie_break_on_higher_primary_address(primary: str, peer: str, yields: bool) -> None:
    vr = master(100, primary_ip=primary)
    actions = hear(vr, 100, now=10.0, src=peer)
    assert (vr.state is State.BACKUP) == yields
    assert kinds(actions) == ([StateChanged, RemoveVips] if yields else [])


def test_master_discards_lower_priority() -> None:
    vr = master(150)
    deadline = vr.get_timer()
    assert hear(vr, 149, now=deadline - 0.5, src="192.168.1.200") == []
    assert vr.state is State.MASTER and vr.get_timer() == deadline


def test_master_answers_lower_priority_as_keepalived_when_asked() -> None:
    vr = master(150, lower_prio_advert=True)
    now = vr.get_timer() - 0.5
    actions = hear(vr, 149, now=now, src="192.168.1.200")
    assert kinds(actions) == [SendAdvert, SendGratuitousArp]
    assert actions[0].advert.priority == 150 and actions[1].vips == VIPS
    assert vr.state is State.MASTER and vr.get_timer() == approx(now + 1.0)
    # a priority-0 advert is still answered with an advert only
    assert kinds(hear(vr, 0, now=now + 0.1)) == [SendAdvert]


@pytest.mark.parametrize("interval", [1.0, 0.01])
def test_a_lower_priority_master_gets_a_second_set_of_gratuitous_arps(interval: float) -> None:
    """The other router took itself for MASTER (a stall past its Master_Down_Interval at
    10 ms adverts): its own gratuitous ARPs may reach the clients after ours, so the next
    advert re-announces the VIPs once more; the ones after are adverts only."""
    vr = master(150, interval=interval, lower_prio_advert=True)
    now = vr.get_timer() - interval / 2
    assert kinds(hear(vr, 149, now=now, src="192.168.1.200")) == [SendAdvert, SendGratuitousArp]
    second = vr.get_timer()
    assert second == approx(now + interval)
    assert kinds(vr.handle_timer(second)) == [SendAdvert, SendGratuitousArp]
    assert kinds(vr.handle_timer(vr.get_timer())) == [SendAdvert]


def test_known_bad_without_the_second_set_a_late_gratuitous_arp_wins() -> None:
    """lower_prio_advert off (RFC 5798 alone): nothing answers, nothing re-announces."""
    vr = master(150, interval=0.01)
    assert hear(vr, 149, now=vr.get_timer() - 0.005, src="192.168.1.200") == []
    assert kinds(vr.handle_timer(vr.get_timer())) == [SendAdvert]


def test_backup_learns_master_interval_in_v3_only() -> None:
    vr = started(100, 3, 1.0)
    hear(vr, 200, now=1.0, adver_int=50)
    assert vr.master_adver_interval == approx(0.5)
    assert vr.get_timer() == approx(1.0 + mdi(100, 0.5, 3))


# Shutdown ---------------------------------------------------------------------


def test_shutdown_from_master_sends_priority_zero_then_removes_vips() -> None:
    vr = master(150)
    actions = vr.handle(Shutdown(), 20.0)
    assert kinds(actions) == [StateChanged, SendAdvert, RemoveVips]
    assert actions[0].new is State.INITIALIZE
    assert actions[1].advert.priority == 0
    assert vr.state is State.INITIALIZE and vr.get_timer() is None


def test_shutdown_from_backup_cancels_the_timer() -> None:
    vr = started(100)
    assert kinds(vr.handle(Shutdown(), 1.0)) == [StateChanged]
    assert vr.get_timer() is None
    vr.handle(Startup(), 2.0)  # and it can start again
    assert vr.get_timer() == approx(2.0 + mdi(100, 1.0, 3))


# Receive validation (RFC 5798 §7.1, RFC 3768 §7.1) ----------------------------


def _packet(advert: Advert, src: str = PEER, ttl: int = 255, dst: str = GROUP) -> PacketReceived:
    return PacketReceived(encode(advert, src), src, dst, ttl)


def _corrupt(event: PacketReceived, index: int) -> PacketReceived:
    data = bytearray(event.data)
    data[index] ^= 0x01
    return dataclasses.replace(event, data=bytes(data))


def _v3_cases(vr: VirtualRouter) -> list[tuple[str, object, DropReason]]:
    good = advert_like(vr, 250)
    return [
        ("ttl advert", AdvertReceived(good, PEER, 254), DropReason.BAD_TTL),
        ("ttl packet", _packet(good, ttl=1), DropReason.BAD_TTL),
        ("checksum", _corrupt(_packet(good), 7), DropReason.BAD_CHECKSUM),
        ("forged source", dataclasses.replace(_packet(good), src_ip="192.168.1.77"), DropReason.BAD_CHECKSUM),
        ("truncated", dataclasses.replace(_packet(good), data=_packet(good).data[:-2]), DropReason.TRUNCATED),
        ("trailing", dataclasses.replace(_packet(good), data=_packet(good).data + b"\0"), DropReason.LENGTH_MISMATCH),
        ("v2 packet", _packet(Advert(2, 10, 250, 1, VIPS)), DropReason.VERSION_MISMATCH),
        ("wrong vrid", _packet(advert_like(vr, 250, vrid=11)), DropReason.WRONG_VRID),
        ("wrong vrid advert", AdvertReceived(advert_like(vr, 250, vrid=11), PEER, 255), DropReason.WRONG_VRID),
        ("own advert", _packet(good, src=PRIMARY), DropReason.OWN_ADVERT),
        ("ipv6", _packet(Advert(3, 10, 250, 100, ("fe80::1",)), src="fe80::2", dst="ff02::12"),
         DropReason.FAMILY_MISMATCH),
    ]


def _v2_cases(vr: VirtualRouter) -> list[tuple[str, object, DropReason]]:
    return [
        ("no auth", _packet(advert_like(vr, 250, auth_type=0, auth_data=b"")), DropReason.AUTH_TYPE_MISMATCH),
        ("bad password", _packet(advert_like(vr, 250, auth_data=pass_auth_data("wrong"))), DropReason.AUTH_FAILED),
        ("interval", _packet(advert_like(vr, 250, adver_int=2)), DropReason.INTERVAL_MISMATCH),
        ("addresses", _packet(advert_like(vr, 250, addresses=("192.168.1.1", "192.168.1.5"))),
         DropReason.ADDRESS_MISMATCH),
        ("v3 packet", _packet(Advert(3, 10, 250, 100, VIPS)), DropReason.VERSION_MISMATCH),
        ("ttl", _packet(advert_like(vr, 250), ttl=64), DropReason.BAD_TTL),
    ]


def _v3_names() -> list[str]:
    return [name for name, _, _ in _v3_cases(make())]


def _v2_names() -> list[str]:
    return [name for name, _, _ in _v2_cases(make(version=2, auth_pass="secret"))]


def _assert_dropped(vr: VirtualRouter, event: object, reason: DropReason) -> None:
    state, timer, now = vr.state, vr.get_timer(), vr.get_timer() - 0.001
    assert vr.handle(event, now) == []  # type: ignore[arg-type]
    assert (vr.state, vr.get_timer()) == (state, timer)
    assert vr.drops == {reason: 1}


@pytest.mark.parametrize("in_master", [False, True], ids=["backup", "master"])
@pytest.mark.parametrize("case", _v3_names())
def test_invalid_v3_packets_are_dropped_and_counted(case: str, in_master: bool) -> None:
    vr = master(100) if in_master else started(100)
    _, event, reason = next(c for c in _v3_cases(vr) if c[0] == case)
    _assert_dropped(vr, event, reason)


@pytest.mark.parametrize("in_master", [False, True], ids=["backup", "master"])
@pytest.mark.parametrize("case", _v2_names())
def test_invalid_v2_packets_are_dropped_and_counted(case: str, in_master: bool) -> None:
    vr = (master if in_master else started)(100, 2, 1.0, auth_pass="secret")
    _, event, reason = next(c for c in _v2_cases(vr) if c[0] == case)
    _assert_dropped(vr, event, reason)


def test_the_valid_base_advert_is_accepted() -> None:
    """Guards the drop tests: without its defect each advert would change things."""
    for vr in (master(100), master(100, 2, 1.0, auth_pass="secret")):
        vr.handle(_packet(advert_like(vr, 250)), 1.5)
        assert vr.state is State.BACKUP and not vr.drops


def test_owner_drops_every_advert() -> None:
    vr = master(255)
    _assert_dropped(vr, _packet(advert_like(vr, 255, addresses=VIPS), src=PEER), DropReason.LOCAL_IS_OWNER)


def test_v2_address_mismatch_from_the_owner_is_accepted() -> None:
    vr = started(100, 2, 1.0)
    vr.handle(_packet(advert_like(vr, 255, addresses=("192.168.1.77",))), 1.0)
    assert not vr.drops and vr.get_timer() == approx(1.0 + mdi(100, 1.0, 2))


def test_v3_address_mismatch_is_only_a_warning() -> None:
    vr = master(100)
    vr.handle(_packet(advert_like(vr, 250, addresses=("192.168.1.77",))), 1.5)
    assert vr.state is State.BACKUP
    assert vr.warnings == {DropReason.ADDRESS_MISMATCH: 1} and not vr.drops


def test_drops_accumulate_per_reason() -> None:
    vr = started(100)
    for _ in range(3):
        vr.handle(AdvertReceived(advert_like(vr, 250, vrid=3), PEER, 255), 1.0)
    vr.handle(PacketReceived(b"\x31", PEER, GROUP, 255), 1.0)
    assert vr.drops == {"wrong_vrid": 3, "truncated": 1}


# Priority and fault -------------------------------------------------------------


def test_priority_change_shows_in_the_next_advert() -> None:
    vr = master(150)
    assert vr.handle(PriorityChanged(90), 3.5) == []
    (action,) = vr.handle_timer(vr.get_timer())
    assert action.advert.priority == 90


def test_priority_zero_is_fault_and_says_goodbye() -> None:
    vr = master(150)
    actions = vr.handle(PriorityChanged(0), 3.5)
    assert kinds(actions) == [StateChanged, SendAdvert, RemoveVips]
    assert actions[1].advert.priority == 0
    assert vr.state is State.FAULT and vr.get_timer() is None
    assert kinds(vr.handle(PriorityChanged(150), 4.0)) == [StateChanged]
    assert vr.state is State.BACKUP
    assert vr.get_timer() == approx(4.0 + mdi(150, 1.0, 3))


def test_fault_sources_must_all_clear() -> None:
    vr = started(100)
    vr.handle(Fault("eth0"), 1.0)
    vr.handle(Fault("check"), 1.0)
    assert vr.handle(FaultCleared("eth0"), 2.0) == []
    assert vr.state is State.FAULT
    vr.handle(FaultCleared("check"), 3.0)
    assert vr.state is State.BACKUP


def test_fault_before_startup_starts_in_fault() -> None:
    vr = make(255)
    vr.handle(Fault(), 0.0)
    vr.handle(Startup(), 1.0)
    assert vr.state is State.FAULT
    vr.handle(FaultCleared(), 2.0)
    assert vr.state is State.MASTER  # an owner leaves FAULT straight to MASTER


# Impossible inputs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "poke"),
    [
        (make, lambda vr: vr.handle(object(), 0.0)),
        (make, lambda vr: vr.handle_timer(0.0)),
        (make, lambda vr: vr.handle(Shutdown(), 0.0)),
        (started, lambda vr: vr.handle(Startup(), 1.0)),
        (started, lambda vr: vr.handle(PriorityChanged(255), 1.0)),
        (started, lambda vr: vr.handle(PriorityChanged(-1), 1.0)),
        (started, lambda vr: vr.release_master(1.0)),
        (started, lambda vr: vr.follow_backup(1.0, "test")),
    ],
)
def test_impossible_input_names_state_and_input(setup: object, poke: object) -> None:
    vr = setup()  # type: ignore[operator]
    with pytest.raises(InvalidInput) as caught:
        poke(vr)  # type: ignore[operator]
    assert isinstance(caught.value, ValueError)
    assert vr.state.name in str(caught.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"vrid": 0},
        {"priority": 0},
        {"priority": 256},
        {"version": 4},
        {"advert_int_s": 0.0},
        {"advert_int_s": 0.015},
        {"advert_int_s": 41.0},
        {"version": 2, "advert_int_s": 1.5},
        {"version": 2, "vips": ("fe80::1",), "primary_ip": "fe80::2"},
        {"auth_pass": "secret"},
        {"version": 2, "auth_pass": ""},
        {"vips": ()},
        {"vips": ("fe80::1",)},
        {"primary_ip": "nope"},
        {"preempt_delay_s": -1.0},
    ],
)
def test_bad_config_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        make(**overrides)


def test_ipv6_v3_router_works() -> None:
    vr = started(100, vips=("fe80::1",), primary_ip="fe80::9")
    vr.handle(_packet(advert_like(vr, 200), src="fe80::10", dst="ff02::12"), 1.0)
    assert not vr.drops and vr.master_ip == "fe80::10"


# Sync groups -------------------------------------------------------------------------


def _group(*priorities: int) -> SyncGroup:
    return SyncGroup({f"vi{k}": make(p, vrid=10 + k) for k, p in enumerate(priorities)})


def _hear_member(group: SyncGroup, name: str, priority: int, now: float) -> list[tuple[str, object]]:
    vr = group.members[name]
    return group.handle(name, AdvertReceived(advert_like(vr, priority), PEER, 255), now)


def test_sync_group_goes_master_only_together() -> None:
    group = _group(200, 100)
    for name in group.members:
        group.handle(name, Startup(), 0.0)
    first = group.get_timer()
    assert first == approx(mdi(200, 1.0, 3))
    assert group.handle_timer(first) == []  # vi0 wants MASTER, vi1 is not ready
    assert group.members["vi0"].wants_master
    actions = group.handle_timer(group.get_timer())  # vi1's timer
    assert group.states == {"vi0": State.MASTER, "vi1": State.MASTER}
    assert {name for name, a in actions if isinstance(a, AddVips)} == {"vi0", "vi1"}


def test_sync_group_member_hearing_a_master_holds_the_others() -> None:
    group = _group(200, 100)
    for name in group.members:
        group.handle(name, Startup(), 0.0)
    now = 0.0
    while now < 20.0:
        now = group.get_timer()
        group.handle_timer(now)
        _hear_member(group, "vi1", 250, now)  # vi1's VRID still has a live master
    assert group.states == {"vi0": State.BACKUP, "vi1": State.BACKUP}


def test_sync_group_backup_spreads() -> None:
    group = _group(200, 100)
    for name in group.members:
        group.handle(name, Startup(), 0.0)
    while set(group.states.values()) != {State.MASTER}:
        group.handle_timer(group.get_timer())
    actions = _hear_member(group, "vi1", 250, 10.0)
    assert group.states == {"vi0": State.BACKUP, "vi1": State.BACKUP}
    assert {name for name, a in actions if isinstance(a, RemoveVips)} == {"vi0", "vi1"}


def test_sync_group_fault_spreads_and_clears_together() -> None:
    group = _group(200, 100)
    for name in group.members:
        group.handle(name, Startup(), 0.0)
    group.handle("vi0", Fault("eth1"), 1.0)
    assert group.states == {"vi0": State.FAULT, "vi1": State.FAULT}
    assert GROUP_FAULT in group.members["vi1"].fault_sources
    group.handle("vi1", PriorityChanged(0), 2.0)
    group.handle("vi0", FaultCleared("eth1"), 3.0)
    assert group.states == {"vi0": State.FAULT, "vi1": State.FAULT}
    group.handle("vi1", PriorityChanged(100), 4.0)
    assert group.states == {"vi0": State.BACKUP, "vi1": State.BACKUP}
    assert all(not r.fault_sources for r in group.members.values())


class AlwaysSettles(SyncGroup):
    """The group as it was before issue #15: the rules applied after every event."""

    def handle(self, name, event, now):
        actions = [(name, a) for a in self.members[name].handle(event, now)]
        return actions + self._settle(now, actions)


def test_a_backup_hearing_its_master_asks_no_other_member() -> None:
    """The advert a backup hears on every interval moves nothing the rules read: the group
    does not walk its members (255 of them per advert made a sync-grouped backup the
    costliest speaker, issue #15)."""
    group = _group(*[100] * 200)
    for name in group.members:
        group.handle(name, Startup(), 0.0)
    asked: list[str] = []
    for name, router in group.members.items():
        if name != "vi7":
            # every other member's fault sources are read by the rules alone
            router.__class__ = type("Watched", (VirtualRouter,), {
                "fault_sources": property(lambda self, n=name: asked.append(n) or frozenset(self._faults))})
    assert _hear_member(group, "vi7", 120, 1.0) == []
    assert asked == []
    assert group.members["vi7"].get_timer() == approx(1.0 + mdi(100, 1.0, 3))


def test_the_rules_still_run_when_a_member_moves_without_acting() -> None:
    """Known-bad for the shortcut: priority 0 on a member in INITIALIZE acts on nothing (no
    action: the fault waits for Startup) yet changes what rule 1 reads; so does a fault
    source added in FAULT. The group must settle as before."""
    for group in (_group(200, 100), AlwaysSettles({"vi0": make(200, vrid=10), "vi1": make(100, vrid=11)})):
        assert group.handle("vi1", PriorityChanged(0), 0.0) == []
        group.handle("vi0", Startup(), 0.0)
        group.handle("vi1", Startup(), 0.0)
        assert group.states == {"vi0": State.FAULT, "vi1": State.FAULT}
        group.handle("vi0", Fault("eth1"), 1.0)
        group.handle("vi1", PriorityChanged(100), 2.0)  # vi0's own fault still holds the group
        assert group.states == {"vi0": State.FAULT, "vi1": State.FAULT}


@pytest.mark.parametrize("seed", range(6))
def test_a_sync_group_answers_as_if_it_settled_after_every_event(seed) -> None:
    """Random events and timers, the same to a group and to one that applies the rules after
    every event: the same actions, states and timers at every step."""
    import random
    rng = random.Random(seed)
    ours = _group(200, 100, 150)
    theirs = AlwaysSettles({f"vi{k}": make(p, vrid=10 + k) for k, p in enumerate((200, 100, 150))})
    now = 0.0
    for name in ours.members:
        assert ours.handle(name, Startup(), now) == theirs.handle(name, Startup(), now)
    for _ in range(400):
        now += rng.choice([0.0, 0.1, 0.5, 1.0, 2.0])
        name = rng.choice(sorted(ours.members))
        roll = rng.random()
        if roll < 0.3 and ours.get_timer() is not None:
            now = max(now, ours.get_timer())
            got, want = ours.handle_timer(now), theirs.handle_timer(now)
        else:
            if roll < 0.75:
                if ours.members[name].state is State.INITIALIZE:
                    continue
                priority = rng.choice([0, 50, 100, 150, 200, 250])
                event = AdvertReceived(advert_like(ours.members[name], priority), rng.choice([PEER, LOWER_PEER]), 255)
            elif roll < 0.85:
                event = rng.choice([Fault("eth1"), FaultCleared("eth1")])
            else:
                event = PriorityChanged(rng.choice([0, 90, 100, 200]))
            got, want = ours.handle(name, event, now), theirs.handle(name, event, now)
        assert got == want
        assert ours.states == theirs.states
        assert {n: r.get_timer() for n, r in ours.members.items()} == \
               {n: r.get_timer() for n, r in theirs.members.items()}
