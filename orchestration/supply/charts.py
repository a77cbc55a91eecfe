"""The capacity chart of a supply plan (matplotlib PNG) for the Dagster UI and the reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def tightest_work_centers(capacity: pd.DataFrame, n: int = 4) -> list[str]:
    """The ``n`` work centers with the highest peak utilization over the plan (ties by id)."""
    peak = capacity.groupby("work_center")["utilization"].max().reset_index()
    peak = peak.sort_values(["utilization", "work_center"], ascending=[False, True])
    return list(peak["work_center"].head(n))


def capacity_chart(capacity: pd.DataFrame, path: Path, title: str, n: int = 4) -> bytes:
    """One panel per tightest work center: load (regular and overtime) as bars, regular hours and
    regular + allowed overtime as lines, per plan month. Writes ``path`` and returns the PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centers = tightest_work_centers(capacity, n)
    fig, axes = plt.subplots(len(centers) or 1, 1, figsize=(9, 2.3 * max(1, len(centers))), squeeze=False)
    for ax, wc in zip(axes[:, 0], centers):
        c = capacity[capacity["work_center"] == wc].sort_values("month")
        x = pd.to_datetime(c["month"]).dt.strftime("%Y-%m")
        regular_load = c["load_hours"] - c["overtime_hours"]
        ax.bar(x, regular_load, color="#4c78a8", label="load, regular")
        ax.bar(x, c["overtime_hours"], bottom=regular_load, color="#f58518", label="load, overtime")
        ax.plot(x, c["regular_hours"], color="black", linewidth=1.2, label="regular hours")
        ax.plot(
            x,
            c["regular_hours"] + c["overtime_cap_hours"],
            color="grey",
            linestyle="--",
            linewidth=1,
            label="+ overtime allowed",
        )
        ax.set_title(f"{wc}: peak {c['utilization'].max():.0%}", fontsize=9, loc="left")
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel("hours", fontsize=8)
    axes[0, 0].legend(fontsize=7, loc="lower right", ncol=4)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=80)
    plt.close(fig)
    return path.read_bytes()
