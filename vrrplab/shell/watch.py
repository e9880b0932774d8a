"""`watch`: the routers' table (`view.status`), redrawn about four times a second until
Ctrl-C. Kept to one function so that a fuller live view can take its place."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live

from vrrplab.view.status import read_status, routers_table

REFRESH_S = 0.25


def watch(topology, speakers: dict, console: Console) -> None:
    """Until Ctrl-C (KeyboardInterrupt, which ends it quietly)."""

    def table():
        return routers_table(read_status(topology, speakers))

    with Live(table(), console=console, refresh_per_second=1 / REFRESH_S) as live:
        try:
            while True:
                time.sleep(REFRESH_S)
                live.update(table())
        except KeyboardInterrupt:
            pass
