"""Charts of history, forecast and 80/95% intervals (matplotlib PNG) for the Dagster UI and reports."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

HISTORY_MONTHS_SHOWN = 36


def top_series(forecast_rows: pd.DataFrame, n: int = 5, level: str = "sku_region") -> list[str]:
    """The ``n`` series of ``level`` with the largest total forecast (ties by id)."""
    rows = forecast_rows[forecast_rows["level"] == level]
    totals = rows.groupby("series_id")["forecast_units"].sum().reset_index()
    totals = totals.sort_values(["forecast_units", "series_id"], ascending=[False, True])
    return list(totals["series_id"].head(n))


def forecast_chart(
    history: pd.DataFrame,
    forecast_rows: pd.DataFrame,
    series_ids: list[str],
    path: Path,
    title: str,
    value: str = "forecast_units",
    unit: str = "units",
) -> bytes:
    """One panel per series: last 36 months of history, forecast, 80% and 95% bands.

    ``history``: unique_id, ds, y; ``forecast_rows``: series_id, forecast_month, ``value``,
    lo_80_units, hi_80_units, lo_95_units, hi_95_units. Writes ``path`` and returns the PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(series_ids), 1)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.0 * cols, 2.6 * rows), squeeze=False)
    for ax, sid in zip(axes.flat, series_ids):
        h = history[history["unique_id"] == sid].sort_values("ds").tail(HISTORY_MONTHS_SHOWN)
        f = forecast_rows[forecast_rows["series_id"] == sid].sort_values("forecast_month")
        ax.plot(h["ds"], h["y"], color="#333333", lw=1.2, label="history")
        ax.fill_between(
            f["forecast_month"], f["lo_95_units"], f["hi_95_units"], color="#1f77b4", alpha=0.15, label="95%"
        )
        ax.fill_between(
            f["forecast_month"], f["lo_80_units"], f["hi_80_units"], color="#1f77b4", alpha=0.30, label="80%"
        )
        ax.plot(f["forecast_month"], f[value], color="#1f77b4", lw=1.6, label="forecast")
        model = f["model"].iloc[0] if "model" in f and len(f) else ""
        ax.set_title(f"{sid}  ({model})", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylabel(unit, fontsize=7)
    for ax in list(axes.flat)[len(series_ids) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=72)
    plt.close(fig)
    return path.read_bytes()


def markdown_image(png: bytes, alt: str = "forecast") -> str:
    """Inline Markdown image (the Dagster UI renders ``data:`` image sources in Markdown metadata)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
