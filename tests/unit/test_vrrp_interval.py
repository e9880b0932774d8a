"""The advertisement interval's protocol limits have one home (`vrrp.timers.INTERVAL_FIELDS`),
and the core, the topology loader and the bundled speaker's config all hold to it."""

from __future__ import annotations

import pytest

from vrrplab.bundled.config import ADVERT_INT_ANY_VERSION
from vrrplab.loader.topology import _advert_int
from vrrplab.loader.yamlio import Checker
from vrrplab.vrrp.config import ConfigError, RouterConfig
from vrrplab.vrrp.timers import INTERVAL_FIELDS

VALUES = {  # around the edges and off the grid; v2 as the loader wants it, whole numbers as integers
    2: [0, 1, 2, 255, 256, 0.5, 1.5, -1],
    3: [0.005, 0.01, 0.015, 0.07, 0.29, 1, 1.005, 1.01, 40.95, 40.951, 40.96, 41, 0, -0.01],
}


def test_the_rfc_limits():
    v2, v3 = INTERVAL_FIELDS[2], INTERVAL_FIELDS[3]
    assert (v2.min_s, v2.max_s, v2.unit) == (1, 255, "seconds")  # RFC 3768 §5.3.7: 8 bits of seconds
    assert (v3.min_s, v3.max_s, v3.unit) == (0.01, 40.95, "centiseconds")  # RFC 5798 §5.2.7: 12 bits
    assert ADVERT_INT_ANY_VERSION == (0.01, 255)


def router(version: int, advert_int_s: float) -> RouterConfig:
    return RouterConfig(vrid=1, priority=100, version=version, advert_int_s=advert_int_s,
                        vips=("192.168.1.1",), primary_ip="192.168.1.2")


def core_accepts(version: int, advert_int_s: float) -> bool:
    try:
        router(version, advert_int_s)
    except ConfigError:
        return False
    return True


def loader_accepts(version: int, value: float) -> bool:
    checker = Checker("t.yaml")
    number = _advert_int(checker, value, version)
    assert (number is None) == bool(checker.problems)
    return number is not None


@pytest.mark.parametrize("version", [2, 3])
def test_the_loader_and_the_core_agree(version):
    for value in VALUES[version]:
        assert loader_accepts(version, value) == core_accepts(version, value), value


def test_the_wire_value_is_what_it_was():
    """The arithmetic the config used before it moved to INTERVAL_FIELDS, value for value."""
    for cs in range(1, 0x1000):
        for advert_int_s in (cs / 100, cs * 0.01):
            config = router(3, advert_int_s)
            assert config.adver_int == round(advert_int_s * 100) == cs
            assert config.advertisement_interval == cs / 100
    for s in range(1, 0x100):
        config = router(2, float(s))
        assert config.adver_int == s and config.advertisement_interval == float(s)


def test_the_core_says_the_range():
    with pytest.raises(ConfigError, match=r"^v3 interval must be a multiple of 0\.01 s from 0\.01 to 40\.95 s, not 41$"):
        router(3, 41)
    with pytest.raises(ConfigError, match=r"^v2 interval must be a multiple of 1 s from 1 to 255 s, not 0\.5$"):
        router(2, 0.5)
