"""`watch`: the run's live view (`view.live.LiveView`) on the shell's lab until Ctrl-C:
the routers' table, the client's probes while `measure` runs, and the state changes as
they happen."""

from __future__ import annotations

import time

from rich.console import Console

from vrrplab.i18n import _
from vrrplab.view.live import LiveView

SLEEP_S = 0.25  # the main thread only waits for Ctrl-C; the view redraws on its own


def watch(topology, speakers: dict, probe_logs: list, console: Console) -> None:
    """Until Ctrl-C (KeyboardInterrupt, which ends it quietly)."""
    view = LiveView(console, _("watch (Ctrl-C: back to the prompt)"))
    view.attach(topology, speakers, probe_logs, time.time())
    try:
        while True:
            time.sleep(SLEEP_S)
    except KeyboardInterrupt:
        pass
    finally:
        view.stop_watching()
        view.close()
