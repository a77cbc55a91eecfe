"""Plan versions compared on a case built by hand: one override added, one actual changed, one model changed."""

from __future__ import annotations

import pandas as pd

from orchestration.sop_cycle import plan_comparison

PREVIOUS, CYCLE = pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")
MONTHS = pd.date_range("2026-10-01", periods=4, freq="MS")  # previous cycle's horizon: Oct..Jan


def _version(cycle, rows):
    """rows: (sku, family, region, statistical per month, override per month) over the cycle's months."""
    out = []
    months = [m for m in MONTHS if m > cycle] if cycle == CYCLE else list(MONTHS)
    for sku, family, region, stat, override in rows:
        for m in months:
            out.append(
                {
                    "sku": sku,
                    "product_family": family,
                    "region_code": region,
                    "forecast_month": m,
                    "statistical_units": stat,
                    "override_units": override,
                    "consensus_units": stat + override,
                }
            )
    return pd.DataFrame(out)


def test_each_change_gets_its_cause():
    previous = _version(
        PREVIOUS, [("P1", "Pumps", "EUR", 100, 0), ("V1", "Valves", "NAM", 50, 0), ("M1", "Motors", "EUR", 10, 0)]
    )
    # Pumps EUR: a planner adds +30 a month; Valves NAM: the statistical forecast rises by 8 (same model)
    # Motors EUR: the statistical forecast falls by 4 and the node's model changed
    current = _version(
        CYCLE, [("P1", "Pumps", "EUR", 101, 30), ("V1", "Valves", "NAM", 58, 0), ("M1", "Motors", "EUR", 6, 0)]
    )
    prices = pd.DataFrame({"sku": ["P1", "V1", "M1"], "unit_price": [10.0, 2.0, 5.0]})
    models = pd.DataFrame(
        [
            (PREVIOUS, "Pumps", "EUR", "AutoETS"),
            (CYCLE, "Pumps", "EUR", "AutoETS"),
            (PREVIOUS, "Valves", "NAM", "AutoETS"),
            (CYCLE, "Valves", "NAM", "AutoETS"),
            (PREVIOUS, "Motors", "EUR", "AutoETS"),
            (CYCLE, "Motors", "EUR", "AutoTheta"),
        ],
        columns=["cycle_month", "product_family", "region_code", "model"],
    )
    actuals = pd.DataFrame(
        [("Pumps", "EUR", CYCLE, 100.0), ("Valves", "NAM", CYCLE, 70.0), ("Motors", "EUR", CYCLE, 8.0)],
        columns=["product_family", "region_code", "month", "units"],
    )
    out = plan_comparison.compare_demand(previous, current, prices, models, actuals, CYCLE, PREVIOUS)
    rows = out.set_index("product_family")
    # three months compared (Nov, Dec, Jan)
    assert set(out["months_compared"]) == {3}
    pumps, valves, motors = rows.loc["Pumps"], rows.loc["Valves"], rows.loc["Motors"]
    assert pumps["cause"] == "override_added"
    assert pumps["change_units"] == 3 * 31 and pumps["override_change"] == 90 and pumps["statistical_change"] == 3
    assert pumps["change_value_usd"] == 3 * 31 * 10.0
    assert valves["cause"] == "actuals" and valves["change_units"] == 24
    assert valves["closed_month_actual"] == 70 and valves["closed_month_previous_forecast"] == 50
    assert "70 units against 50 units" in valves["cause_text"]
    assert motors["cause"] == "model_changed" and "AutoETS → AutoTheta" in motors["cause_text"]
    # movers ranked by the size of the value change: Pumps 930, Motors 60, Valves 48
    assert list(out["product_family"]) == ["Pumps", "Motors", "Valves"] and list(out["mover_rank"]) == [1, 2, 3]


def test_an_override_removed_is_named():
    previous = _version(PREVIOUS, [("P1", "Pumps", "EUR", 100, 20)])
    current = _version(CYCLE, [("P1", "Pumps", "EUR", 100, 0)])
    out = plan_comparison.compare_demand(
        previous,
        current,
        pd.DataFrame({"sku": ["P1"], "unit_price": [1.0]}),
        pd.DataFrame(columns=["cycle_month", "product_family", "region_code", "model"]),
        pd.DataFrame(columns=["product_family", "region_code", "month", "units"]),
        CYCLE,
        PREVIOUS,
    )
    assert out.iloc[0]["cause"] == "override_removed" and out.iloc[0]["change_units"] == -60


def test_revenue_changes_split_into_pipeline_and_statistical_parts():
    def version(cycle, pipeline, stat, model):
        months = [m for m in MONTHS if m > cycle] if cycle == CYCLE else list(MONTHS)
        return pd.DataFrame(
            [
                {
                    "region_code": "EUR",
                    "forecast_month": m,
                    "statistical_model": model,
                    "statistical_usd": stat,
                    "pipeline_usd": pipeline,
                    "pipeline_weight": 0.5,
                    "blended_usd": 0.5 * pipeline + 0.5 * stat,
                }
                for m in months
            ]
        )

    bookings = pd.DataFrame({"region_code": ["EUR"], "bookings_usd": [900.0]})
    out = plan_comparison.compare_revenue(
        version(PREVIOUS, 1000, 1000, "ETS"), version(CYCLE, 1400, 1000, "ETS"), bookings, CYCLE, PREVIOUS
    )
    row = out.iloc[0]
    assert row["cause"] == "pipeline_changed" and row["pipeline_change"] == 3 * 200 and row["change_value_usd"] == 600
    assert row["product_family"] == plan_comparison.ALL_FAMILIES
    out = plan_comparison.compare_revenue(
        version(PREVIOUS, 1000, 1000, "ETS"), version(CYCLE, 1000, 800, "ETS"), bookings, CYCLE, PREVIOUS
    )
    assert out.iloc[0]["cause"] == "actuals" and "$900 against $1,000" in out.iloc[0]["cause_text"]
