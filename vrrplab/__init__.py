"""vrrplab: a network-lab emulator for VRRP gateway failover."""

__version__ = "0.1.0"
