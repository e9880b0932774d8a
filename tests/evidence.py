"""A walk over every check of a results document: its evidence comes from its own window.

Used by the lab tests on every scenario they run, and by the unit tests on
hand-made results. A check that quotes a log records `window_s`, which must be
its phase's window (converge: from the start to the first fault; a fault: from
its instant to the next fault's); a fault's snapshot is taken inside its window.
"""

from __future__ import annotations


def phase_windows(results: dict) -> dict[str, list]:
    """Each phase's window [start, end] in seconds since t0."""
    faults = results["faults"]
    edges = [0.0] + [f["at_s"] for f in faults]
    ends = [f["at_s"] for f in faults] + [None]
    names = ["converge"] + [f["name"] for f in faults]
    return {name: [start, end] for name, start, end in zip(names, edges, ends)}


def misplaced_evidence(results: dict) -> list[str]:
    """Every piece of evidence taken outside its window, said in words (empty: none)."""
    windows = phase_windows(results)
    problems = []
    for check in results["checks"]:
        if "window_s" not in check:
            continue
        phase = check["name"].split(": ", 1)[0] if ": " in check["name"] else "converge"
        phase = phase if phase in windows else "converge"
        start, end = windows[phase]
        got_start, got_end = check["window_s"]
        if got_start != start or (end is not None and got_end != end):
            problems.append(f"{check['name']}: evidence from {check['window_s']}, "
                            f"its phase {phase} is [{start}, {end}]")
    for snap in results["snapshots"]:
        if snap["label"] in windows and snap["label"] != "converge":
            start, end = windows[snap["label"]]
            if snap["t"] < start or (end is not None and snap["t"] > end):
                problems.append(f"snapshot {snap['label']} at {snap['t']} outside [{start}, {end}]")
    for fault in results["faults"]:
        timing = fault.get("timing") or {}
        basis = timing.get("basis_at_s")
        if basis is not None and timing.get("measured_s") is not None:
            first = basis + timing["measured_s"]
            if not fault["at_s"] <= first <= fault["window_end_s"]:
                problems.append(f"{fault['name']}: the takeover it judges ({first:.6f}) lies "
                                f"outside its window")
    return problems
