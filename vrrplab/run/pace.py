"""`vrrplab run --pace`: the demo at the class's pace.

Before each step the pacer says what will happen and, where the RFC gives a figure, asks
the class for it ("how long will r2 wait? Skew_Time = (256 − 100) / 256 = ?"); Enter runs
the step. After a fault it shows the measured takeover beside the formula's: the first
advert of the new master after the fault, read from the capture as the results do.
End of input (stdin closed, a pipe) goes on without waiting; Ctrl-C ends the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from vrrplab.analysis import formula
from vrrplab.analysis.metrics import first_advert_after
from vrrplab.faults.catalogue import KINDS
from vrrplab.i18n import _, number
from vrrplab.lab.wait import WaitTimeout, wait_until
from vrrplab.run.capture import read_pcap

CAPTURE_LAG_S = 0.5  # tcpdump -U writes each packet at once; this covers a busy machine


def read_answer() -> str:
    """One line from the class; "" at the end of input (then the demo goes on)."""
    try:
        return input()
    except EOFError:
        return ""


class Pacer:
    def __init__(self, view, topology, pcap: Path, ask: Callable[[], str] = read_answer):
        self.view = view
        self.topology = topology
        self.pcap = pcap
        self.ask = ask

    def before(self, step) -> None:
        """Say what the step will do (with the question, for a fault); wait for Enter."""
        self.view.pause(self._announce(step) + "\n" + _("[Enter: go on · Ctrl-C: stop]"),
                        self.ask)

    def after_fault(self, fault, at: float) -> None:
        """The measured takeover beside the RFC's figure."""
        if not self._has_figure(fault):
            return
        rfc = formula.expected(fault, self.topology)
        measured = self.measured_s(fault, at)
        shown = _("not seen in the capture") if measured is None \
            else _("{seconds} s").format(seconds=number(measured, 3))
        self.view.event(_("{router} took over after: {measured}; the RFC: {formula} = {bound} s")
                        .format(router=fault.expect_master, measured=shown, formula=rfc.text,
                                bound=number(rfc.bound_s, 3)))

    def measured_s(self, fault, at: float) -> float | None:
        """From the fault to the expected master's first advert after it (the capture is
        written packet by packet: tcpdump -U)."""
        inst = self.topology.gateway_of(fault)
        router = self.topology.node(fault.expect_master)
        sources = {str(a) for a in router.interface(inst.interface).own_addresses()}
        found: list[float] = []

        def seen() -> bool:
            adverts, _arps = read_pcap(self.pcap)
            firsts = [first_advert_after(adverts, at, src, inst.vrid) for src in sources]
            found[:] = [a.t for a in firsts if a is not None]
            return bool(found)

        try:  # the advert may still be on its way to the file when the master is settled
            wait_until(seen, self.topology.vrrp.advert_int + CAPTURE_LAG_S,
                       "the new master's advert in the capture")
        except WaitTimeout:
            return None
        return min(found) - at

    def _has_figure(self, fault) -> bool:
        return fault.expect_master is not None and KINDS[fault.kind].rule is not None

    def _announce(self, step) -> str:
        vrrp = self.topology.vrrp
        if step.action in ("wait_master", "wait_masters"):
            routers = ", ".join(_("{router} (priority {priority})").format(
                router=r.name, priority=vrrp.priority(r.name)) for r in vrrp.routers)
            return _("Next: the routers start: {routers}. Which one will be MASTER, and "
                     "why?").format(routers=routers)
        if step.action == "hold":
            return _("Next: {seconds} s as it is; the client pings the gateway all along."
                     ).format(seconds=number(step.seconds))
        fault = step.fault
        text = _("Next: fault {name} on {target}: {what}.").format(
            name=fault.name, target=fault.target, what=_(KINDS[fault.kind].what))
        if self._has_figure(fault):
            rfc = formula.expected(fault, self.topology)
            text += "\n" + _("How long until {router} is MASTER? {formula} = ?").format(
                router=fault.expect_master, formula=rfc.text)
        return text
