"""Consensus demand: the statistical forecast with the planners' overrides, coherent at every level.

The overrides are applied at the SKU x region level (``overrides.apply_overrides``); every
upper node is then the exact sum of its SKU x region series, in cents, like the statistical
forecast (``hierarchy.sum_bottom_to_nodes``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from orchestration.forecasting.demand import hierarchy_of
from orchestration.forecasting.hierarchy import sum_bottom_to_nodes
from orchestration.forecasting.overrides import OverrideCheck, apply_overrides, read_overrides


def check_overrides(path: Path, forecast_rows: pd.DataFrame) -> OverrideCheck:
    """Validate the overrides file against a cycle's forecast (its series and horizon)."""
    bottom = forecast_rows[forecast_rows["level"] == "sku_region"]
    skus = bottom.groupby("region_code")["sku"].agg(set).to_dict()
    families = bottom.groupby("region_code")["product_family"].agg(set).to_dict()
    months = sorted(pd.to_datetime(forecast_rows["forecast_month"]).dt.strftime("%Y-%m").unique())
    return read_overrides(path, skus_by_region=skus, families_by_region=families, horizon_months=months)


def consensus_rows(forecast_rows: pd.DataFrame, check: OverrideCheck) -> pd.DataFrame:
    """``forecast.consensus_demand`` rows of one cycle from its ``forecast.demand_forecast`` rows."""
    hierarchy = hierarchy_of(forecast_rows)
    bottom = forecast_rows[forecast_rows["level"] == "sku_region"].copy()
    stat = pd.DataFrame(
        {
            "unique_id": bottom["series_id"].to_numpy(),
            "sku": bottom["sku"].to_numpy(),
            "region": bottom["region_code"].to_numpy(),
            "family": bottom["product_family"].to_numpy(),
            "ds": pd.to_datetime(bottom["forecast_month"]).to_numpy(),
            "month": pd.to_datetime(bottom["forecast_month"]).dt.strftime("%Y-%m").to_numpy(),
            "statistical": bottom["forecast_units"].astype(float).to_numpy(),
        }
    )
    applied = apply_overrides(stat, check.valid)
    applied["overridden"] = applied["override_rows"].notna().astype(int)
    sums = sum_bottom_to_nodes(applied[["unique_id", "ds", "consensus"]], hierarchy, ["consensus"])
    counts = (
        applied[["unique_id", "ds", "overridden"]]
        .rename(columns={"unique_id": "bottom_id"})
        .merge(hierarchy.bottom_to_nodes(), on="bottom_id")
        .groupby(["unique_id", "ds"], as_index=False)["overridden"]
        .sum()
    )
    rows = applied[["unique_id", "ds", "override_rows"]]
    keep = [
        "cycle_month",
        "series_id",
        "level",
        "region_code",
        "product_family",
        "sku",
        "forecast_month",
        "horizon_step",
        "forecast_units",
    ]
    out = (
        forecast_rows[keep]
        .rename(columns={"forecast_units": "statistical_units"})
        .merge(
            sums.rename(columns={"unique_id": "series_id", "ds": "forecast_month", "consensus": "consensus_units"}),
            on=["series_id", "forecast_month"],
            how="left",
        )
        .merge(
            counts.rename(
                columns={"unique_id": "series_id", "ds": "forecast_month", "overridden": "overridden_series"}
            ),
            on=["series_id", "forecast_month"],
            how="left",
        )
        .merge(
            rows.rename(columns={"unique_id": "series_id", "ds": "forecast_month"}),
            on=["series_id", "forecast_month"],
            how="left",
        )
    )
    out["override_units"] = (out["consensus_units"] - out["statistical_units"]).round(2)
    out["overridden_series"] = out["overridden_series"].fillna(0).astype(int)
    out["override_rows"] = out["override_rows"].astype(object).where(out["override_rows"].notna(), None)
    return out.sort_values(["series_id", "forecast_month"]).reset_index(drop=True)
