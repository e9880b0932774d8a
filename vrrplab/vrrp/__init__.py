"""The VRRP protocol itself: timers, packets and the state machine, with no I/O."""
