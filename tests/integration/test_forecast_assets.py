"""The forecast assets materialized in-process on a small synthetic warehouse.

30 months (2021-01..2023-06) of 20 SKU x region demand series, bookings for two regions and a
month-end pipeline: a range run forecasts the last three months as cycles and scores the demand
and revenue forecasts of the cycles with actuals, then a re-run of the last month checks that it
replaces only its own snapshot and revenue rows.
"""

from __future__ import annotations

import os
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster import materialize

from orchestration.defs.forecast_assets import FORECAST_MART_KEYS, forecast_assets
from orchestration.defs.resources import ForecastSettings, SopDataResource

MONTHS = pd.date_range("2021-01-01", "2023-06-01", freq="MS")
REGIONS = ["EUR", "NAM"]
FAMILIES = {"Pumps": ["P1", "P2", "P3", "P4", "P5"], "Valves": ["V1", "V2", "V3", "V4", "V5"]}


def _demand() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for region in REGIONS:
        for family, skus in FAMILIES.items():
            for i, sku in enumerate(skus):
                base = 40 + 15 * i + (20 if region == "NAM" else 0)
                for t, m in enumerate(MONTHS):
                    if sku == "V5":  # intermittent
                        y = float(rng.poisson(3)) if rng.random() < 0.3 else 0.0
                    else:
                        y = max(0.0, base * (1 + 0.25 * np.sin(2 * np.pi * m.month / 12)) + 0.5 * t + rng.normal(0, 5))
                    rows.append((sku, region, m.date(), family, "active", round(y)))
    df = pd.DataFrame(
        rows, columns=["sku", "region_code", "demand_month", "product_family", "lifecycle_status", "ordered_units"]
    )
    df["ordered_value_usd"] = df["ordered_units"] * 10.0
    df["shipped_units"] = df["ordered_units"]
    df["promo_units"] = 0.0
    df["order_lines"] = (df["ordered_units"] > 0).astype(int)
    df["is_zero_demand_month"] = df["ordered_units"] == 0
    return df


def _revenue() -> pd.DataFrame:
    rows = []
    for region in REGIONS:
        for t, m in enumerate(MONTHS):
            rows.append((m.date(), region, "Pumps", "Enterprise", 100000.0 + 1000 * t + (m.month % 3) * 5000))
    return pd.DataFrame(rows, columns=["revenue_month", "region_code", "product_family", "segment", "bookings_usd"])


def _pipeline() -> pd.DataFrame:
    """Opportunities created every month: half won and half lost after two months."""
    rows = []
    for t, created in enumerate(MONTHS):
        for k, region in enumerate(REGIONS):
            opp = f"o{t:02d}{k}"
            close = created + pd.DateOffset(months=2)
            outcome = "won" if (t + k) % 2 == 0 else "lost"
            for step in range(3):
                snap = created + pd.DateOffset(months=step)
                if snap > MONTHS[-1]:
                    break
                is_open = step < 2
                rows.append(
                    (
                        snap.date(),
                        opp,
                        region,
                        "Proposal" if step else "Prospecting",
                        "Commit" if step else "Pipeline",
                        50,
                        20000.0,
                        (close + pd.DateOffset(days=9)).date(),
                        is_open,
                        None if is_open else outcome,
                        30 * step + 5,
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "snapshot_month",
            "opportunity_id",
            "region_code",
            "stage_name",
            "forecast_category",
            "probability",
            "amount_usd",
            "close_date",
            "is_open",
            "closed_in_month_outcome",
            "age_days",
        ],
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast-data")
    (root / "warehouse").mkdir()
    con = duckdb.connect(str(root / "warehouse" / "sop.duckdb"))
    con.execute("CREATE SCHEMA marts")
    for name, frame in (
        ("demand_history_monthly", _demand()),
        ("revenue_monthly", _revenue()),
        ("fct_pipeline_snapshot_monthly", _pipeline()),
    ):
        con.register("frame", frame)
        con.execute(f"CREATE TABLE marts.{name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.execute("ALTER TABLE marts.demand_history_monthly ALTER demand_month TYPE DATE")
    con.close()
    (root / "inputs").mkdir()
    overrides = root / "inputs" / "forecast_overrides.csv"
    overrides.write_text(
        "level,item,region,month,kind,value,author,reason\n"
        "sku,P1,EUR,2023-08,absolute,500,ana,trade fair order\n"
        "family,Valves,NAM,2023-09,percent,-50,ben,competitor launch\n"
        "sku,ZZ9,EUR,2023-08,absolute,5,ana,typo\n"
    )
    return root


def _run(root, backfill_cycles: int = 3, **kwargs):
    resources = {
        "sop_data": SopDataResource(data_dir=str(root)),
        "forecast_settings": ForecastSettings(backfill_cycles=backfill_cycles),
    }
    result = materialize(forecast_assets, resources=resources, **kwargs)
    assert result.success
    return result


def _q(root, sql, params=None):
    con = duckdb.connect(str(root / "warehouse" / "sop.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def ran(warehouse):
    path = warehouse / "inputs" / "forecast_overrides.csv"
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    result = _run(
        warehouse,
        tags={"dagster/asset_partition_range_start": "2023-01-01", "dagster/asset_partition_range_end": "2023-06-01"},
    )
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before  # the planner file is never rewritten
    return warehouse, result


@pytest.fixture
def ran_copy(ran, tmp_path):
    """A copy of the forecast warehouse for a test that re-runs a cycle: the shared one stays as built."""
    root, result = ran
    copy = tmp_path / "forecast-data"
    shutil.copytree(root, copy)
    return copy, result


def test_range_run_forecasts_last_three_cycles(ran):
    root, _ = ran
    cycles = _q(root, "SELECT DISTINCT strftime(cycle_month, '%Y-%m') c FROM forecast.demand_forecast ORDER BY c")["c"]
    assert list(cycles) == ["2023-04", "2023-05", "2023-06"]
    n = _q(root, "SELECT count(*) n FROM forecast.demand_forecast WHERE cycle_month = '2023-06-01'")["n"].item()
    assert n == (1 + 2 + 4 + 20) * 18
    assert set(FORECAST_MART_KEYS) == {a.key for a in forecast_assets} - {
        a.key for a in forecast_assets if a.key.path == ["forecast_snapshots"]
    }


def test_demand_forecast_is_coherent_to_the_cent(ran):
    root, _ = ran
    diff = _q(
        root,
        """
        WITH bottom AS (SELECT * FROM forecast.demand_forecast WHERE level = 'sku_region'),
        sums AS (
            SELECT cycle_month, forecast_month, 'total' AS series_id, sum(forecast_units) s FROM bottom GROUP BY ALL
            UNION ALL SELECT cycle_month, forecast_month, 'region=' || region_code, sum(forecast_units)
                      FROM bottom GROUP BY ALL
            UNION ALL SELECT cycle_month, forecast_month, 'family=' || product_family || '|region=' || region_code,
                             sum(forecast_units) FROM bottom GROUP BY ALL)
        SELECT count(*) AS nodes, max(abs(f.forecast_units - sums.s)) AS max_diff, min(f.forecast_units) AS min_value
        FROM sums JOIN forecast.demand_forecast f USING (cycle_month, forecast_month, series_id)""",
    )
    assert diff["nodes"].item() == 3 * 18 * 7
    assert diff["max_diff"].item() == 0
    assert _q(root, "SELECT min(forecast_units) m FROM forecast.demand_forecast")["m"].item() >= 0


def test_consensus_applies_valid_overrides_and_logs_refused(ran):
    root, result = ran
    c = _q(
        root,
        """SELECT series_id, CAST(statistical_units AS DOUBLE) stat, CAST(consensus_units AS DOUBLE) cons,
                    override_rows FROM forecast.consensus_demand
                    WHERE cycle_month = '2023-06-01' AND forecast_month = '2023-08-01'""",
    ).set_index("series_id")
    assert c.loc["sku=P1|region=EUR", "cons"] == 500.0 and c.loc["sku=P1|region=EUR", "override_rows"] == "2"
    eur = c[c.index.str.startswith("sku=") & c.index.str.endswith("region=EUR")]["cons"].sum()
    assert abs(c.loc["region=EUR", "cons"] - eur) < 0.005
    sep = _q(
        root,
        """SELECT series_id, CAST(statistical_units AS DOUBLE) stat, CAST(consensus_units AS DOUBLE) cons
                      FROM forecast.consensus_demand WHERE cycle_month = '2023-06-01' AND forecast_month = '2023-09-01'
                      AND series_id = 'family=Valves|region=NAM'""",
    ).iloc[0]
    assert abs(sep["cons"] - round(sep["stat"] * 0.5, 2)) <= 0.01
    log = _q(
        root,
        "SELECT row, status, error FROM forecast.forecast_override_log WHERE cycle_month = '2023-06-01' ORDER BY row",
    )
    assert list(log["status"]) == ["applied", "applied", "refused"]
    assert "forecast_overrides.csv: row 4: unknown sku 'ZZ9'" in log["error"].iloc[2]
    meta = result.asset_materializations_for_node("consensus_demand")[0].metadata
    assert meta["overrides_refused"].value == 1


def test_revenue_forecast_rows(ran):
    root, result = ran
    weights = result.asset_materializations_for_node("revenue_forecast")[0].metadata["blend_weights"].value
    assert "| step | weight | origins | source |" in weights
    r = _q(
        root,
        "SELECT * FROM forecast.revenue_forecast WHERE cycle_month = '2023-06-01' ORDER BY region_code, forecast_month",
    )
    assert len(r) == 2 * 18
    first = r[r["horizon_step"] == 1].iloc[0]
    w = float(first["pipeline_weight"])
    expected = w * float(first["pipeline_usd"]) + (1 - w) * float(first["statistical_usd"])
    assert abs(float(first["blended_usd"]) - expected) <= 0.01
    # opportunities created in 2023-05 close in 2023-07 (open at the cycle): placed at step 1
    assert (r.loc[r["horizon_step"] == 1, "open_opportunities"] > 0).all()


def test_metadata_in_the_ui(ran):
    root, result = ran
    meta = result.asset_materializations_for_node("demand_forecast")[0].metadata
    assert "| model |" in meta["model_mix"].value
    assert meta["reconciliation"].value == "top_down_proportions"
    assert meta["chart"].value.startswith("![demand forecast 2023-06](data:image/png;base64,")
    assert (root / "reports" / "2023-06" / "forecast_demand.png").stat().st_size > 1000
    assert "dagster/column_schema" in meta
    names = [c.name for c in meta["dagster/column_schema"].schema.columns]
    assert "forecast_units" in names and "lo_95_units" in names


def test_accuracy_and_snapshots_across_cycles(ran):
    root, _ = ran
    acc = _q(root, "SELECT * FROM forecast.forecast_accuracy WHERE scope = 'level' ORDER BY cycle_month, level")
    assert set(acc["lag"]) == {1}  # lag 3 needs three months after the first cycle
    assert sorted(acc["cycle_month"].dt.strftime("%Y-%m").unique()) == ["2023-04", "2023-05"]
    total = acc[(acc["level"] == "total") & (acc["cycle_month"] == "2023-05-01")].iloc[0]
    snap = _q(
        root,
        "SELECT CAST(yhat AS DOUBLE) yhat FROM forecast.forecast_snapshots "
        "WHERE cycle_month = '2023-05-01' AND series_id = 'total' AND horizon_step = 1",
    )["yhat"].item()
    actual = _q(root, "SELECT sum(ordered_units) y FROM marts.demand_history_monthly WHERE demand_month = '2023-06-01'")
    y = float(actual["y"].item())
    assert total["wape_stat"] == pytest.approx(abs(y - snap) / y)
    # the seasonal naive benchmark's interval is stored and judged like the statistical one
    naive = _q(
        root,
        "SELECT CAST(seasonal_naive_lo_80 AS DOUBLE) lo, CAST(seasonal_naive_hi_80 AS DOUBLE) hi "
        "FROM forecast.forecast_snapshots WHERE cycle_month = '2023-05-01' AND series_id = 'total' "
        "AND horizon_step = 1",
    ).iloc[0]
    assert naive["lo"] <= naive["hi"] and total["coverage_80_seasonal_naive"] == float(naive["lo"] <= y <= naive["hi"])


def test_revenue_accuracy_scores_cycles_with_actuals(ran):
    root, result = ran
    acc = _q(root, "SELECT * FROM forecast.revenue_forecast_accuracy ORDER BY cycle_month, lag, level, region_code")
    # cycles 2023-04 and 2023-05 have their lag-1 month booked; lag 3 and cycle 2023-06 have no actuals yet
    keys = list(zip(acc["cycle_month"].dt.strftime("%Y-%m"), acc["lag"], acc["level"], acc["region_code"].fillna("-")))
    assert keys == [
        (c, 1, level, r)
        for c in ("2023-04", "2023-05")
        for level, r in (("region", "EUR"), ("region", "NAM"), ("total", "-"))
    ]
    # the total row against the stored forecasts and the bookings, summed independently
    fc = _q(
        root,
        "SELECT sum(blended_usd) f, sum(commit_usd) c FROM forecast.revenue_forecast "
        "WHERE cycle_month = '2023-05-01' AND horizon_step = 1",
    ).iloc[0]
    y = float(
        _q(root, "SELECT sum(bookings_usd) y FROM marts.revenue_monthly WHERE revenue_month = '2023-06-01'")["y"].item()
    )
    total = acc[(acc["cycle_month"] == "2023-05-01") & (acc["level"] == "total")].iloc[0]
    assert float(total["actual_usd"]) == pytest.approx(y)
    assert total["wape_blended"] == pytest.approx(abs(y - float(fc["f"])) / y)
    assert total["bias_commit"] == pytest.approx((float(fc["c"]) - y) / y)
    meta = result.asset_materializations_for_node("revenue_forecast_accuracy")[0].metadata
    assert meta["cycles_scored"].value == 2 and meta["dagster/row_count"].value == 6
    assert (
        "| cycle_month | lag | wape_statistical | wape_pipeline | wape_blended | wape_commit |"
        in meta["wape_by_cycle"].value
    )
    assert "| 2023-05 | 1 |" in meta["wape_by_cycle"].value


def test_rerun_of_last_cycle_keeps_earlier_snapshots(ran_copy):
    root, _ = ran_copy
    sql = "SELECT * FROM forecast.forecast_snapshots WHERE cycle_month = ? ORDER BY series_id, ds"
    revenue_sql = "SELECT * FROM forecast.revenue_forecast WHERE cycle_month = ? ORDER BY region_code, forecast_month"
    revenue_acc_sql = (
        "SELECT * FROM forecast.revenue_forecast_accuracy WHERE cycle_month = ? ORDER BY lag, level, region_code"
    )
    cycles = ("2023-04-01", "2023-05-01")
    before = {(q, c): _q(root, q, [c]) for q in (sql, revenue_sql, revenue_acc_sql) for c in cycles}
    assert all(len(frame) for frame in before.values())
    overrides = root / "inputs" / "forecast_overrides.csv"
    overrides.write_text("level,item,region,month,kind,value,author,reason\nsku,P2,NAM,2023-07,absolute,1,ana,x\n")
    _run(root, partition_key="2023-06-01")
    for (q, c), frame in before.items():
        pd.testing.assert_frame_equal(_q(root, q, [c]), frame)
    june = _q(
        root,
        "SELECT CAST(consensus AS DOUBLE) c FROM forecast.forecast_snapshots "
        "WHERE cycle_month = '2023-06-01' AND series_id = 'sku=P2|region=NAM' AND horizon_step = 1",
    )
    assert june["c"].item() == 1.0
    assert (
        _q(root, "SELECT count(*) n FROM forecast.forecast_snapshots WHERE cycle_month = '2023-06-01'")["n"].item()
        == 27 * 18
    )


def test_the_run_config_sets_how_many_cycles_a_range_run_forecasts(warehouse, tmp_path):
    root = tmp_path / "forecast-data"
    shutil.copytree(warehouse, root)
    result = _run(
        root,
        backfill_cycles=2,
        selection=["demand_forecast"],
        tags={"dagster/asset_partition_range_start": "2023-01-01", "dagster/asset_partition_range_end": "2023-06-01"},
    )
    meta = result.asset_materializations_for_node("demand_forecast")[0].metadata
    assert meta["cycles"].value == "2023-05, 2023-06"


def test_docs_describe_every_column_of_every_forecast_table():
    from orchestration.forecasting import warehouse as wh
    from orchestration.forecasting.snapshots import COLUMNS, TABLE
    from orchestration.settings import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "forecasting.md").read_text()
    specs = [
        wh.DEMAND_FORECAST,
        wh.CONSENSUS_DEMAND,
        wh.OVERRIDE_LOG,
        wh.REVENUE_FORECAST,
        wh.accuracy_spec(),
        wh.REVENUE_FORECAST_ACCURACY,
        wh.TableSpec(TABLE, COLUMNS, ""),
    ]
    for spec in specs:
        section = doc.split(f"### `{spec.name}`", 1)
        assert len(section) == 2, f"docs/forecasting.md has no section for {spec.name}"
        body = section[1].split("\n### ", 1)[0]
        for column in spec.columns:
            assert f"| `{column}` |" in body, f"{spec.name}.{column} is not documented"


def test_unreadable_overrides_file_is_reported_and_consensus_is_statistical(ran_copy):
    root, _ = ran_copy
    overrides = root / "inputs" / "forecast_overrides.csv"
    overrides.write_text("level,item,region,month,kind,value\nsku,P1,EUR,2023-08,absolute,500\n")
    result = _run(root, partition_key="2023-06-01", selection=["consensus_demand"])
    meta = result.asset_materializations_for_node("consensus_demand")[0].metadata
    assert meta["overrides_applied"].value == 0 and meta["overrides_refused"].value == 1
    log = _q(root, "SELECT row, status, error FROM forecast.forecast_override_log WHERE cycle_month = '2023-06-01'")
    assert len(log) == 1 and log["status"].item() == "refused"
    assert "forecast_overrides.csv: missing column(s) author, reason" in log["error"].item()
    diff = _q(
        root,
        "SELECT max(abs(consensus_units - statistical_units)) d, count(*) n FROM forecast.consensus_demand "
        "WHERE cycle_month = '2023-06-01'",
    )
    assert diff["d"].item() == 0 and diff["n"].item() == 27 * 18
