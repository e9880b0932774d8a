"""The lab itself: the private namespace a run lives in (sandbox), the Mininet network
built in it (network), and the bounded waits used while it runs (wait)."""
