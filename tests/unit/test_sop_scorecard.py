"""The KPI scorecard: RAG status at every band edge for each direction, targets validated, changes and trends."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.sop_cycle import kpi_targets, scorecard
from orchestration.sop_cycle.kpis import BY_ID, HIGHER, LOWER, ZERO

# target 100, amber band 5%, red band 10%: the edges are at 5 and 10 units on the bad side
EDGES = [
    (HIGHER, 100.0, "green"),
    (HIGHER, 120.0, "green"),
    (HIGHER, 95.0, "green"),  # exactly on the amber edge keeps green
    (HIGHER, 94.99, "amber"),
    (HIGHER, 90.0, "amber"),  # exactly on the red edge keeps amber
    (HIGHER, 89.99, "red"),
    (LOWER, 100.0, "green"),
    (LOWER, 80.0, "green"),
    (LOWER, 105.0, "green"),
    (LOWER, 105.01, "amber"),
    (LOWER, 110.0, "amber"),
    (LOWER, 110.01, "red"),
    (ZERO, 105.0, "green"),
    (ZERO, 95.0, "green"),
    (ZERO, 94.99, "amber"),
    (ZERO, 105.01, "amber"),
    (ZERO, 110.01, "red"),
    (ZERO, 89.99, "red"),
]


@pytest.mark.parametrize(("direction", "actual", "expected"), EDGES)
def test_rag_status_at_each_band_edge(direction, actual, expected):
    assert scorecard.rag_status(actual, 100.0, direction, 5, 10, "pct") == expected


@pytest.mark.parametrize(
    ("actual", "expected"), [(0.03, "green"), (-0.03, "green"), (0.0301, "amber"), (-0.08, "amber"), (-0.0801, "red")]
)
def test_absolute_bands_around_a_zero_target(actual, expected):
    assert scorecard.rag_status(actual, 0.0, ZERO, 0.03, 0.08, "abs") == expected


def test_no_target_or_no_actual_gives_no_status():
    assert scorecard.rag_status(1.0, None, HIGHER, 5, 10) is None
    assert scorecard.rag_status(float("nan"), 1.0, HIGHER, 5, 10) is None


def _actuals(kpi: str, values: dict[str, float], scope: str = "total") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"kpi": kpi, "scope": scope, "month": pd.Timestamp(m), "actual": v, "numerator": v, "denominator": None}
            for m, v in values.items()
        ]
    )


def test_changes_trend_and_status_of_a_scorecard():
    months = {f"2025-{m:02d}-01": 100.0 + m for m in range(1, 13)} | {"2026-01-01": 90.0, "2026-02-01": 80.0}
    actuals = _actuals("bookings_usd", months)
    targets = pd.DataFrame(
        [
            {
                "kpi": "bookings_usd",
                "scope": "total",
                "month": pd.Timestamp("2026-02-01"),
                "target": 100.0,
                "amber_band": 5.0,
                "red_band": 10.0,
                "band_unit": "pct",
                "target_row": 2,
            },
            {
                "kpi": "bookings_usd",
                "scope": "total",
                "month": pd.Timestamp("2026-01-01"),
                "target": 92.0,
                "amber_band": 5.0,
                "red_band": 10.0,
                "band_unit": "pct",
                "target_row": 3,
            },
        ]
    )
    card = scorecard.build_scorecard(actuals, targets).set_index("month")
    feb = card.loc[pd.Timestamp("2026-02-01")]
    assert feb["variance"] == -20.0 and feb["variance_pct"] == pytest.approx(-0.2)
    assert feb["previous_month_actual"] == 90.0 and feb["mom_change"] == -10.0
    assert feb["year_ago_actual"] == 102.0 and feb["yoy_change"] == -22.0
    assert feb["yoy_change_pct"] == pytest.approx(-22 / 102)
    assert feb["trend_3m"] == pytest.approx((80.0 - 112.0) / 2)
    assert feb["trend"] == "worsening"
    assert feb["status"] == "red" and feb["previous_status"] == "green" and bool(feb["status_changed"])
    jan = card.loc[pd.Timestamp("2026-01-01")]
    assert jan["status"] == "green"  # 90 against 92: 2.2% short, inside the 5% band
    assert pd.isna(card.loc[pd.Timestamp("2025-05-01"), "status"])  # no target, no status
    assert card.loc[pd.Timestamp("2025-05-01"), "trend"] == "flat"  # +1 a month on a level of 104: within 1%


def test_a_lower_is_better_kpi_improves_when_it_falls():
    card = scorecard.build_scorecard(
        _actuals("demand_wape_lag1", {"2026-01-01": 0.5, "2026-02-01": 0.45, "2026-03-01": 0.40}), pd.DataFrame()
    )
    assert card.iloc[-1]["trend"] == "improving"
    assert BY_ID["demand_wape_lag1"].direction == LOWER


TARGET_HEADER = "kpi,scope,period,target,amber_band,red_band,band_unit\n"
REGIONS = {"EUR", "NAM"}


def _read(tmp_path, body: str, header: str = TARGET_HEADER):
    path = tmp_path / "kpi_targets.csv"
    path.write_text(header + body)
    before = path.read_bytes()
    read = kpi_targets.read_targets(path, REGIONS)
    assert path.read_bytes() == before
    return read


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("revenue,total,2026,1,5,10,pct", "unknown_kpi"),
        ("bookings_usd,MARS,2026,1,5,10,pct", "unknown_scope"),
        ("days_of_supply,EUR,2026,60,5,10,pct", "unknown_scope"),
        ("bookings_usd,total,2026-13,1,5,10,pct", "bad_period"),
        ("bookings_usd,total,26,1,5,10,pct", "bad_period"),
        ("bookings_usd,total,2026,lots,5,10,pct", "bad_target"),
        ("bookings_usd,total,2026,1,-5,10,pct", "bad_band"),
        ("bookings_usd,total,2026,1,20,10,pct", "bands_out_of_order"),
        ("bookings_usd,total,2026,1,5,10,percent", "bad_band_unit"),
        ("demand_bias_lag1,total,2026,0,5,10,pct", "pct_band_on_zero_target"),
    ],
)
def test_each_target_rule_refuses_its_row_naming_file_and_row(tmp_path, row, rule):
    read = _read(tmp_path, "bookings_usd,total,2025,1,5,10,pct\n" + row + "\n")
    assert list(read.valid["row"]) == [2]
    (error,) = read.refused["error"]
    assert error.startswith("inputs/kpi_targets.csv row 3: ") and f"rule {rule}" in error


def test_duplicate_targets_refuse_both_rows(tmp_path):
    read = _read(tmp_path, "otif,total,2026,0.9,1,2,pct\notif,total,2026,0.8,1,2,pct\notif,EUR,2026,0.8,1,2,pct\n")
    assert list(read.refused["row"]) == [2, 3] and list(read.valid["row"]) == [4]
    assert "also set on row 3" in read.refused["error"].iloc[0]


def test_a_wrong_header_is_an_error_naming_the_columns(tmp_path):
    with pytest.raises(kpi_targets.TargetsFileError, match="missing: red_band.*unknown: colour"):
        _read(tmp_path, "otif,total,2026,0.9,1,pct\n", header="kpi,scope,period,target,amber_band,colour\n")


def test_a_month_target_wins_over_the_year_and_a_missing_file_is_no_target(tmp_path):
    read = _read(tmp_path, "otif,total,2026,0.9,1,2,pct\notif,total,2026-03,0.7,1,2,abs\n")
    by_month = kpi_targets.targets_by_month(read.valid, [pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")])
    assert list(by_month["target"]) == [0.9, 0.7] and list(by_month["target_row"]) == [2, 3]
    assert kpi_targets.read_targets(tmp_path / "absent.csv", REGIONS).rows.empty


def test_no_targets_file_gives_an_empty_scorecard_target_set(tmp_path):
    read = kpi_targets.read_targets(tmp_path / "absent.csv", REGIONS)
    assert read.valid.empty and "period" in read.valid.columns and read.refused.empty
    assert kpi_targets.targets_by_month(read.valid, [pd.Timestamp("2026-01-01")]).empty
