"""A million hostile inputs to the decoder and the receive path: typed errors, counters, no state change.

Deterministic (a fixed seed); VRRPLAB_FUZZ_N scales it (default 1,000,000,
half to `decode`, half through a `VirtualRouter` in BACKUP and in MASTER).
Not timed: it asserts behaviour only.
"""

from __future__ import annotations

import os
import random

import pytest

from vrrplab.vrrp.config import RouterConfig
from vrrplab.vrrp.events import PacketReceived, Startup
from vrrplab.vrrp.machine import State, VirtualRouter
from vrrplab.vrrp.packet import Advert, PacketError, decode, encode, pass_auth_data

N = int(os.environ.get("VRRPLAB_FUZZ_N", "1000000"))
pytestmark = pytest.mark.slow
SRC, DST = "192.168.1.20", "224.0.0.18"


def _valid_packets() -> list[tuple[bytes, int]]:
    v2 = Advert(2, 10, 100, 1, ("192.168.1.1",), auth_type=1, auth_data=pass_auth_data("Lab2pass"))
    v3 = Advert(3, 10, 100, 100, ("192.168.1.1",))
    v3_many = Advert(3, 10, 200, 10, ("192.168.1.1", "192.168.1.2", "192.168.1.3"))
    return [(encode(v2, SRC, DST), 2), (encode(v3, SRC, DST), 3), (encode(v3_many, SRC, DST), 3)]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One of: flipped bytes, cut, grown, a nibble or field rewritten, or plain noise."""
    choice = rng.randrange(6)
    buf = bytearray(data)
    if choice == 0:
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif choice == 1:
        del buf[rng.randrange(len(buf)):]
    elif choice == 2:
        buf += rng.randbytes(rng.randint(1, 40))
    elif choice == 3:
        buf[rng.choice((0, 1, 2, 3))] = rng.randrange(256)  # version/type, vrid, priority, count
    elif choice == 4:
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    else:
        return rng.randbytes(rng.randint(0, 80))
    return bytes(buf)


def test_decoder_raises_only_packet_errors():
    rng = random.Random(5798)
    valid = _valid_packets()
    decoded = rejected = 0
    for _ in range(N // 2):
        data = _mutate(rng, rng.choice(valid)[0])
        try:
            decode(data, SRC, DST, ttl=rng.choice((255, 255, 64, 1)))
            decoded += 1
        except PacketError:
            rejected += 1
    assert decoded + rejected == N // 2 and rejected > decoded  # most mutants are caught


def _router(version: int, priority: int) -> VirtualRouter:
    config = RouterConfig(vrid=10, priority=priority, version=version, advert_int_s=1.0,
                          vips=("192.168.1.1",), primary_ip="192.168.1.30",
                          auth_pass="Lab2pass" if version == 2 else None)
    router = VirtualRouter(config)
    router.handle(Startup(), now=0.0)
    if priority > 100:  # become master: let the Master_Down_Timer run out
        router.handle_timer(router.get_timer())
    return router


def test_receive_path_counts_invalid_packets_and_never_moves():
    rng = random.Random(3768)
    valid = _valid_packets()
    routers = [_router(v, p) for v in (2, 3) for p in (50, 250)]  # BACKUP and MASTER
    assert {r.state for r in routers} == {State.BACKUP, State.MASTER}
    for i in range(N // 2):
        data, version = rng.choice(valid)
        data = _mutate(rng, data)
        router = routers[i % len(routers)]
        try:
            decode(data, SRC, DST, ttl=255)
            continue  # a mutant that is still a valid advert may rightly change things
        except PacketError:
            pass
        state, timer, drops = router.state, router.get_timer(), sum(router.drops.values())
        actions = router.handle(PacketReceived(data, SRC, DST, 255), now=1.0)
        assert actions == [] and router.state is state and router.get_timer() == timer
        assert sum(router.drops.values()) == drops + 1
