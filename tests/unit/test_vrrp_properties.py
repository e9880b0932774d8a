"""Properties: the codec never leaks an untyped error, and speakers wired in memory elect one master."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vrrplab.vrrp.actions import Action, SendAdvert, StateChanged
from vrrplab.vrrp.config import RouterConfig
from vrrplab.vrrp.events import Event, PacketReceived, Startup
from vrrplab.vrrp.machine import State, VirtualRouter
from vrrplab.vrrp.packet import Advert, PacketError, decode, encode

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SIM = settings(max_examples=60, deadline=None, database=None)

SOURCES = st.sampled_from([("192.168.1.2", "224.0.0.18"), ("fe80::2", "ff02::12"), ("10.0.0.1", "10.0.0.2")])
TTLS = st.one_of(st.none(), st.integers(0, 255))


@FAST
@given(data=st.binary(max_size=80), addresses=SOURCES, ttl=TTLS)
def test_decode_random_bytes_returns_advert_or_packet_error(data: bytes, addresses: tuple[str, str], ttl: int | None) -> None:
    src, dst = addresses
    try:
        assert isinstance(decode(data, src, dst, ttl), Advert)
    except PacketError:
        pass


v4_addresses = st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=6).map(tuple)
v6_addresses = st.lists(st.ip_addresses(v=6).map(str), min_size=1, max_size=4).map(tuple)


@st.composite
def adverts(draw: st.DrawFn) -> tuple[Advert, str]:
    version = draw(st.sampled_from([2, 3]))
    ipv6 = version == 3 and draw(st.booleans())
    addresses = draw(v6_addresses if ipv6 else v4_addresses)
    src = str(draw(st.ip_addresses(v=6 if ipv6 else 4)))
    common = dict(vrid=draw(st.integers(1, 255)), priority=draw(st.integers(0, 255)), addresses=addresses)
    if version == 3:
        return Advert(3, adver_int=draw(st.integers(1, 4095)), **common), src
    auth = draw(st.tuples(st.integers(0, 255), st.binary(max_size=8)))
    return Advert(2, adver_int=draw(st.integers(1, 255)), auth_type=auth[0], auth_data=auth[1], **common), src


@FAST
@given(case=adverts())
def test_encode_decode_round_trip(case: tuple[Advert, str]) -> None:
    advert, src = case
    assert decode(encode(advert, src), src, ttl=255) == advert


@FAST
@given(case=adverts(), index=st.integers(0, 200), mask=st.integers(1, 255))
def test_corrupting_one_byte_never_leaks_an_untyped_error(case: tuple[Advert, str], index: int, mask: int) -> None:
    advert, src = case
    data = bytearray(encode(advert, src))
    data[index % len(data)] ^= mask
    try:
        decode(bytes(data), src)
    except PacketError:
        pass


# A tiny network: a priority queue of deliveries, each router's own timer. ------


@dataclass
class Lan:
    routers: list[VirtualRouter]
    latency: float
    queue: list[tuple[float, int, int, Event]] = field(default_factory=list)
    changes: list[tuple[float, int, StateChanged]] = field(default_factory=list)
    _seq: itertools.count = field(default_factory=itertools.count)

    def schedule(self, at: float, index: int, event: Event) -> None:
        heapq.heappush(self.queue, (at, next(self._seq), index, event))

    def perform(self, now: float, index: int, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, SendAdvert):
                src = self.routers[index].config.primary_ip
                data = encode(action.advert, src)
                for other in range(len(self.routers)):
                    if other != index:
                        self.schedule(now + self.latency, other, PacketReceived(data, src, "224.0.0.18", 255))
            elif isinstance(action, StateChanged):
                self.changes.append((now, index, action))

    def run_until(self, end: float) -> None:
        while True:
            timers = [(r.get_timer(), i) for i, r in enumerate(self.routers) if r.get_timer() is not None]
            next_timer = min(timers, default=None)
            next_event = self.queue[0][0] if self.queue else None
            if next_event is not None and (next_timer is None or next_event <= next_timer[0]):
                if next_event > end:
                    return
                at, _, index, event = heapq.heappop(self.queue)
                self.perform(at, index, self.routers[index].handle(event, at))
            elif next_timer is not None and next_timer[0] <= end:
                at, index = next_timer
                self.perform(at, index, self.routers[index].handle_timer(at))
            else:
                return


TIMINGS = st.sampled_from([(3, 1.0), (3, 0.1), (3, 0.01), (2, 1.0)])


@SIM
@given(
    priorities=st.lists(st.integers(1, 254), min_size=2, max_size=5, unique=True),
    timing=TIMINGS,
    start_fractions=st.lists(st.floats(0, 2), min_size=5, max_size=5),
    latency_fraction=st.floats(0, 0.05),
)
def test_speakers_converge_on_the_highest_priority(
    priorities: list[int], timing: tuple[int, float], start_fractions: list[float], latency_fraction: float
) -> None:
    version, interval = timing
    routers = [
        VirtualRouter(
            RouterConfig(
                vrid=51, priority=p, version=version, advert_int_s=interval,
                vips=("192.168.1.1",), primary_ip=f"192.168.1.{10 + k}",
            )
        )
        for k, p in enumerate(priorities)
    ]
    lan = Lan(routers, latency=latency_fraction * interval)
    starts = [f * interval for f in start_fractions[: len(routers)]]
    for index, at in enumerate(starts):
        lan.schedule(at, index, Startup())

    # The best router is MASTER at most one Master_Down_Interval (< 4 intervals) after
    # it starts; one more interval plus latency lets every other router hear it.
    converged = max(starts) + 5 * interval + 2 * lan.latency
    lan.run_until(converged)
    masters = [r for r in routers if r.state is State.MASTER]
    assert [m.priority for m in masters] == [max(priorities)]
    assert all(r.state is State.BACKUP for r in routers if r not in masters)

    lan.run_until(converged + 20 * interval)  # and it stays that way
    assert not [c for c in lan.changes if c[0] > converged]
    assert all(not r.drops for r in routers)
