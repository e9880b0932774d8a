"""VIPs (pyroute2's `IPRoute`) and VMAC interfaces (`ip link`), in the current namespace.

VIPs. IPv6 VIPs (the virtual link-local address first, then any global ones)
are added with IFA_F_NODAD, as keepalived adds them: usable at once, without
the second of Duplicate Address Detection that would leave the new master
unable to answer in the meantime (and the old master may still hold them).

Importing pyroute2 costs about 0.2 s here (its package imports every
netlink family it knows), five times what keepalived needs to start; a speaker
that started 0.2 s late would preempt 0.2 s late. So `Links.start()` imports it
on a background thread, which also removes the configured VIPs if a killed
predecessor left them (keepalived does the same at start: "(VI_LAN) removing
VIPs."), so a restarted backup never holds the master's address. With a
Master_Down_Interval under a second the daemon waits for that thread before it
opens its sockets and starts (`wait()`): a master that stalled on its first
AddVips would stop advertising, which at 0.01 s adverts let the backup take the
role back; with longer timers the first AddVips (a Master_Down_Interval after
Startup, unless the router owns the VIPs) waits for it. The main thread then
has an `IPRoute` of its own.

VMACs (keepalived's `use_vmac`): a macvlan `vrrp.<vrid>` in private mode on the
interface, with MAC 00:00:5e:00:01:<vrid> (RFC 5798 §7.3), made by
`create_vmacs()` before the daemon opens its sockets, because it must listen
there: a peer's advert leaves the peer's VMAC with the same source MAC as ours,
and the kernel hands such a frame to our VMAC, not to the parent interface
(macvlan_handle_frame: "forward to original port"). `ip link` does it in a few
ms, where waiting for pyroute2 would delay Startup. The sysctls are
keepalived's: on the VMAC arp_ignore=1, accept_local=1, rp_filter=0,
promote_secondaries=1 and no IPv6 address from the shared MAC; on its parent
arp_ignore=1, arp_filter=1, so that only the VMAC answers ARP for the VIP
(restored at exit). `close()` deletes the VMACs.
"""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Interface
from typing import Any, Callable

from vrrplab.linux import PROC_NET, SYS_NET

IP_TIMEOUT_S = 5.0
VMAC_SYSCTLS = {"ipv4/conf/{}/arp_ignore": "1", "ipv4/conf/{}/accept_local": "1",
                "ipv4/conf/{}/rp_filter": "0", "ipv4/conf/{}/promote_secondaries": "1",
                "ipv6/conf/{}/addr_gen_mode": "1"}
PARENT_SYSCTLS = {"ipv4/conf/{}/arp_ignore": "1", "ipv4/conf/{}/arp_filter": "1"}
IFA_F_NODAD = 0x02  # <linux/if_addr.h>

Vip = IPv4Interface | IPv6Interface


class LinksError(RuntimeError):
    """Netlink could not do what VRRP needs (pyroute2 missing, a link refused)."""


@dataclass(frozen=True)
class Vmac:
    name: str
    parent: str
    address: str


class Links:
    """The VIPs of every instance and the VMAC interfaces, owned for the daemon's lifetime."""

    def __init__(self, stale_vips: dict[str, tuple[Vip, ...]], vmacs: tuple[Vmac, ...]) -> None:
        self.stale_vips = stale_vips  # device -> VIPs to remove at start if present
        self.vmacs = vmacs
        self.notes: list[str] = []  # what was done at start-up, for the log
        self.on_prepared: Callable[[], None] = lambda: None  # called from the thread when done
        self._saved_sysctls: dict[str, str] = {}
        self._made: list[Vmac] = []
        self._error: str | None = None
        self._ipr: Any = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._prepare, name="vrrplab-links", daemon=True)

    # -- VMACs ------------------------------------------------------------------

    def create_vmacs(self) -> None:
        """(Re)create every VMAC, up, with keepalived's sysctls; LinksError if refused."""
        for vmac in self.vmacs:
            if (SYS_NET / vmac.name).exists():  # a killed predecessor's
                _ip("link", "del", vmac.name)
                self.notes.append(f"removed stale VMAC {vmac.name}")
            _ip("link", "add", "link", vmac.parent, "name", vmac.name, "address", vmac.address,
                "type", "macvlan", "mode", "private")
            self._made.append(vmac)
            for key, value in VMAC_SYSCTLS.items():
                _write_sysctl(key.format(vmac.name), value)
            for key, value in PARENT_SYSCTLS.items():
                old = _write_sysctl(key.format(vmac.parent), value)
                if old is not None:
                    self._saved_sysctls.setdefault(key.format(vmac.parent), old)
            _ip("link", "set", vmac.name, "up")
            self.notes.append(f"created VMAC {vmac.name} on {vmac.parent} with MAC {vmac.address}")

    # -- VIPs -------------------------------------------------------------------

    def start(self) -> None:
        """Import pyroute2 and remove stale VIPs in the background."""
        self._thread.start()

    @property
    def prepared(self) -> bool:
        """The start-up thread has finished its work (`error` says how)."""
        return self._done.is_set()

    @property
    def error(self) -> str | None:
        return self._error if self.prepared else None

    def _prepare(self) -> None:
        try:
            from pyroute2 import IPRoute

            with IPRoute() as ipr:
                for device, vips in self.stale_vips.items():
                    for vip in vips:
                        if _remove_address(ipr, device, vip):
                            self.notes.append(f"removed stale VIP {vip} from {device}")
        except Exception as exc:  # reported by the daemon; VRRP cannot serve without it
            self._error = f"netlink: {type(exc).__name__}: {exc}"
        finally:
            self._done.set()
            self.on_prepared()

    def wait(self) -> None:
        """Block until the start-up thread is done and netlink is open; LinksError if it failed."""
        self._netlink()

    def _netlink(self) -> Any:
        """The main thread's IPRoute, once the start-up thread is done."""
        if self._thread.ident is not None:
            self._thread.join()
        if self._error:
            raise LinksError(self._error)
        if self._ipr is None:
            from pyroute2 import IPRoute

            self._ipr = IPRoute()
        return self._ipr

    def add_vips(self, device: str, vips: tuple[Vip, ...]) -> None:
        ipr = self._netlink()
        index = _index(ipr, device)
        for vip in vips:
            nodad = {"flags": IFA_F_NODAD} if vip.version == 6 else {}
            try:
                ipr.addr("add", index=index, address=str(vip.ip), prefixlen=vip.network.prefixlen, **nodad)
            except Exception as exc:
                if getattr(exc, "code", None) != errno.EEXIST:
                    raise LinksError(f"adding {vip} to {device}: {exc}") from None

    def remove_vips(self, device: str, vips: tuple[Vip, ...]) -> None:
        ipr = self._netlink()
        for vip in vips:
            _remove_address(ipr, device, vip)

    # -- exit --------------------------------------------------------------------

    def close(self) -> list[str]:
        """Delete the VMACs, restore the parents' sysctls, close netlink; what was done."""
        done: list[str] = []
        if self._thread.ident is not None:  # never leave the interpreter mid-import
            self._thread.join(IP_TIMEOUT_S)
        for vmac in self._made:
            try:
                _ip("link", "del", vmac.name)
                done.append(f"deleted VMAC {vmac.name}")
            except LinksError as exc:
                done.append(str(exc))
        self._made = []
        for key, value in self._saved_sysctls.items():
            _write_sysctl(key, value)
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None
        return done


def _ip(*argv: str) -> None:
    """Run `ip ARGV` (iproute2); LinksError with its message if it fails."""
    import subprocess  # here: only VMACs need it, and a speaker starts ~2 ms sooner without

    try:
        result = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=IP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LinksError(f"ip {' '.join(argv)}: {exc}") from None
    if result.returncode != 0:
        raise LinksError(f"ip {' '.join(argv)}: {result.stderr.strip() or f'exit {result.returncode}'}")


def _index(ipr: Any, device: str) -> int:
    found = ipr.link_lookup(ifname=device)
    if not found:
        raise LinksError(f"no interface {device}")
    return found[0]


def _remove_address(ipr: Any, device: str, vip: Vip) -> bool:
    """Remove `vip` from `device`; False if it was not there (or the device is gone)."""
    found = ipr.link_lookup(ifname=device)
    if not found:
        return False
    try:
        ipr.addr("del", index=found[0], address=str(vip.ip), prefixlen=vip.network.prefixlen)
    except Exception as exc:
        if getattr(exc, "code", None) in (errno.EADDRNOTAVAIL, errno.ENODEV):
            return False
        raise LinksError(f"removing {vip} from {device}: {exc}") from None
    return True


def _write_sysctl(key: str, value: str) -> str | None:
    """Write /proc/sys/net/KEY; the old value, or None if this kernel has no such knob."""
    path = PROC_NET / key
    try:
        old = path.read_text().strip()
        path.write_text(value)
    except OSError:
        return None
    return old
