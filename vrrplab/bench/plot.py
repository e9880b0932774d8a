"""bench.png: each fault's takeover in every run, against its RFC bound.

One column per scenario x speaker x fault: a dot per first attempt's
takeover_s, a hollow ring per rerun, a red bar at the fault's RFC bound
(bound_s), on a log scale (bounds range from milliseconds to seconds).
matplotlib with the Agg backend, as report.py draws timelines.

Leaves to others: the figures (bench.json runs).
"""

from __future__ import annotations

from pathlib import Path


def draw(doc: dict, path: Path) -> bool:
    """Draw bench.png; False when there is no takeover to draw."""
    columns: dict[tuple[str, str, str], dict] = {}
    for run in doc["runs"]:
        for name, fig in run.get("faults", {}).items():
            col = columns.setdefault((run["scenario"], run["speaker"], name),
                                     {"first": [], "rerun": [], "bounds": []})
            if fig.get("takeover_s") is not None and fig["takeover_s"] > 0:
                col["first" if run["attempt"] == 1 else "rerun"].append(fig["takeover_s"])
            if fig.get("bound_s"):
                col["bounds"].append(fig["bound_s"])
    columns = {k: v for k, v in columns.items() if v["first"] or v["rerun"]}
    if not columns:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(columns) + 2), 4.8))
    for x, (key, col) in enumerate(columns.items()):
        n = len(col["first"])
        jitter = [x + (i - (n - 1) / 2) * min(0.05, 0.6 / max(n, 1)) for i in range(n)]
        ax.scatter(jitter, col["first"], s=18, color="tab:blue", zorder=3,
                   label="takeover (a run)" if x == 0 else None)
        if col["rerun"]:
            ax.scatter([x + 0.2] * len(col["rerun"]), col["rerun"], s=30, facecolors="none",
                       edgecolors="tab:orange", zorder=3, label="rerun")
        if col["bounds"]:
            bound = max(col["bounds"])
            ax.hlines(bound, x - 0.35, x + 0.35, color="tab:red", linewidth=2,
                      label="RFC bound" if x == 0 else None)
    ax.set_yscale("log")
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(["\n".join(k) for k in columns], fontsize=7)
    ax.set_ylabel("takeover after the fault (s)")
    ax.set_title(f"vrrplab bench ({doc['verdict']}): takeover of every run vs its RFC bound")
    handles, labels = ax.get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    ax.legend(seen.values(), seen.keys(), fontsize=8, loc="best")
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
