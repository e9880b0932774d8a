"""Linux facts the loader, the lab and the bundled speaker share: names and paths."""

from __future__ import annotations

from pathlib import Path

IFNAMSIZ = 15  # the kernel's limit on an interface name (IFNAMSIZ - 1 characters)
SYS_NET = Path("/sys/class/net")  # one directory per interface of the namespace
PROC_NET = Path("/proc/sys/net")  # the namespace's network sysctls
