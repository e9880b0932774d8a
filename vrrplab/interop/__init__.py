"""vrrplab interop: every ordered pair of speakers on the same LAN, one matrix each
scenario x VRRP version (issue #14)."""
