"""Planner overrides: validation with clear errors, exact application, the file left untouched."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from orchestration.forecasting.overrides import (
    OverridesFileError,
    apply_overrides,
    distribute_cents,
    read_overrides,
)

SKUS = {"EUR": {"A", "B", "C"}, "NAM": {"A"}}
FAMILIES = {"EUR": {"Pumps", "Valves"}, "NAM": {"Pumps"}}
HORIZON = ["2025-01", "2025-02", "2025-03"]
HEADER = "level,item,region,month,kind,value,author,reason\n"

# A, B are Pumps; C is a Valve
STAT = pd.DataFrame(
    {
        "sku": ["A", "B", "C", "A", "A", "B", "C", "A"],
        "region": ["EUR", "EUR", "EUR", "NAM", "EUR", "EUR", "EUR", "NAM"],
        "family": ["Pumps", "Pumps", "Valves", "Pumps"] * 2,
        "month": ["2025-01"] * 4 + ["2025-02"] * 4,
        "statistical": [10.00, 30.00, 5.55, 7.00, 0.0, 0.0, 1.00, 2.00],
    }
)


def _read(tmp_path, body):
    path = tmp_path / "forecast_overrides.csv"
    path.write_text(HEADER + body)
    return path, read_overrides(path, skus_by_region=SKUS, families_by_region=FAMILIES, horizon_months=HORIZON)


@pytest.mark.parametrize(
    "line, rule",
    [
        ("sku,ZZ,EUR,2025-01,absolute,5,ann,promo", "unknown sku 'ZZ'"),
        ("family,Fans,EUR,2025-01,absolute,5,ann,promo", "unknown family 'Fans'"),
        ("sku,A,MARS,2025-01,absolute,5,ann,promo", "unknown region 'MARS'"),
        ("sku,B,NAM,2025-01,absolute,5,ann,promo", "sku 'B' has no forecast series in region 'NAM'"),
        ("sku,A,EUR,2026-01,absolute,5,ann,promo", "outside the forecast horizon 2025-01..2025-03"),
        ("sku,A,EUR,Jan 2025,absolute,5,ann,promo", "month must be YYYY-MM"),
        ("sku,A,EUR,2025-01,double,5,ann,promo", "kind must be one of absolute, percent"),
        ("sku,A,EUR,2025-01,absolute,lots,ann,promo", "value must be a number"),
        ("sku,A,EUR,2025-01,absolute,-1,ann,promo", "absolute value must be >= 0"),
        ("sku,A,EUR,2025-01,percent,-150,ann,promo", "percent value must be >= -100"),
        ("sku,A,EUR,2025-01,absolute,5,,promo", "author is missing"),
        ("sku,A,EUR,2025-01,absolute,5,ann,", "reason is missing"),
        ("store,A,EUR,2025-01,absolute,5,ann,promo", "level must be one of sku, family"),
    ],
)
def test_bad_row_is_refused_with_file_row_and_rule(tmp_path, line, rule):
    path, check = _read(tmp_path, "sku,A,EUR,2025-02,absolute,4,ann,ok\n" + line + "\n")
    assert [o.row for o in check.valid] == [2]
    assert len(check.refused) == 1
    error = check.refused[0]["error"]
    assert error.startswith(f"{path}: row 3: ")
    assert rule in error


def test_conflicting_duplicates_refused_identical_applied_once(tmp_path):
    _, check = _read(
        tmp_path,
        "sku,A,EUR,2025-01,absolute,5,ann,x\n"
        "sku,A,EUR,2025-01,absolute,6,bob,y\n"
        "sku,C,EUR,2025-01,percent,10,ann,x\n"
        "sku,C,EUR,2025-01,percent,10,ann,x\n",
    )
    assert sorted(r["row"] for r in check.refused) == [2, 3]
    assert all("conflicting duplicate: rows 2, 3" in r["error"] for r in check.refused)
    assert [o.row for o in check.valid] == [4]
    log = check.log()
    assert list(log["status"]) == ["refused", "refused", "applied", "duplicate"]


def test_missing_column_names_the_file(tmp_path):
    path = tmp_path / "forecast_overrides.csv"
    path.write_text("level,item,region,month,kind,value\nsku,A,EUR,2025-01,absolute,5\n")
    with pytest.raises(OverridesFileError, match=r"forecast_overrides.csv: missing column\(s\) author, reason"):
        read_overrides(path, skus_by_region=SKUS, families_by_region=FAMILIES, horizon_months=HORIZON)


def test_missing_file_means_no_overrides(tmp_path):
    check = read_overrides(
        tmp_path / "none.csv", skus_by_region=SKUS, families_by_region=FAMILIES, horizon_months=HORIZON
    )
    assert check.valid == [] and check.refused == []


def test_distribute_cents_is_exact_and_pro_rata():
    parts = distribute_cents(1000, [1.0, 1.0, 1.0])
    assert parts.sum() == 1000 and sorted(parts) == [333, 333, 334]
    assert list(distribute_cents(901, [0.0, 0.0])) == [451, 450]
    assert list(distribute_cents(500, [3.0, 1.0])) == [375, 125]


def test_apply_sku_and_family_overrides_exactly(tmp_path):
    _, check = _read(
        tmp_path,
        "family,Pumps,EUR,2025-01,absolute,100,ann,trade show\n"  # row 2: A:B = 10:30 -> 25 / 75
        "sku,A,NAM,2025-01,percent,-25,bob,destock\n"  # row 3: 7 * 0.75 = 5.25
        "sku,C,EUR,2025-01,absolute,8.8,ann,contract\n"  # row 4: replaces 5.55
        "family,Pumps,EUR,2025-02,absolute,0.05,ann,tiny\n"  # row 5: stat 0 -> equal split 0.03/0.02
        "family,Pumps,NAM,2025-02,percent,50,ann,launch\n"  # row 6: 2 * 1.5 = 3
        "sku,A,NAM,2025-02,absolute,1,bob,sku wins\n",  # row 7: sku wins over family
    )
    assert not check.refused
    out = apply_overrides(STAT, check.valid).set_index(["sku", "region", "month"])
    c = out["consensus"]
    assert c[("A", "EUR", "2025-01")] == 25.00 and c[("B", "EUR", "2025-01")] == 75.00
    assert c[("A", "NAM", "2025-01")] == 5.25
    assert c[("C", "EUR", "2025-01")] == 8.80
    assert sorted([c[("A", "EUR", "2025-02")], c[("B", "EUR", "2025-02")]]) == [0.02, 0.03]
    assert c[("A", "NAM", "2025-02")] == 1.00
    assert c[("C", "EUR", "2025-02")] == 1.00  # untouched
    assert out.loc[("A", "NAM", "2025-02"), "override_rows"] == "6,7"
    assert out.loc[("C", "EUR", "2025-02"), "override_rows"] is None


def test_family_percent_keeps_family_total_to_the_cent():
    stat = pd.DataFrame(
        {
            "sku": ["A", "B", "C"],
            "region": "EUR",
            "family": "Pumps",
            "month": "2025-01",
            "statistical": [1.01, 2.02, 3.03],
        }
    )
    from orchestration.forecasting.overrides import Override

    out = apply_overrides(stat, [Override(2, "family", "Pumps", "EUR", "2025-01", "percent", 10, "a", "r")])
    assert round(out["consensus"].sum(), 2) == round(6.06 * 1.1, 2)
    assert (out["consensus"] * 100).round(6).eq((out["consensus"] * 100).round()).all()


def test_reading_never_changes_the_file(tmp_path):
    path, _ = _read(tmp_path, "sku,A,EUR,2025-01,absolute,5,ann,x\nsku,ZZ,EUR,2025-01,absolute,5,ann,x\n")
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    check = read_overrides(path, skus_by_region=SKUS, families_by_region=FAMILIES, horizon_months=HORIZON)
    apply_overrides(STAT, check.valid)
    check.log()
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_consensus_is_coherent_at_every_level():
    from orchestration.forecasting.consensus import consensus_rows
    from orchestration.forecasting.overrides import Override, OverrideCheck

    bottom = [
        ("A", "EUR", "Pumps", 10.0),
        ("B", "EUR", "Pumps", 30.0),
        ("C", "EUR", "Valves", 5.55),
        ("A", "NAM", "Pumps", 7.0),
    ]
    rows = []
    for sku, region, family, units in bottom:
        rows.append((f"sku={sku}|region={region}", "sku_region", region, family, sku, units))
    for (family, region), units in {("Pumps", "EUR"): 40.0, ("Valves", "EUR"): 5.55, ("Pumps", "NAM"): 7.0}.items():
        rows.append((f"family={family}|region={region}", "family_region", region, family, None, units))
    rows += [
        ("region=EUR", "region", "EUR", None, None, 45.55),
        ("region=NAM", "region", "NAM", None, None, 7.0),
        ("total", "total", None, None, None, 52.55),
    ]
    f = pd.DataFrame(rows, columns=["series_id", "level", "region_code", "product_family", "sku", "forecast_units"])
    f["cycle_month"] = pd.Timestamp("2024-12-01")
    f["forecast_month"] = pd.Timestamp("2025-01-01")
    f["horizon_step"] = 1
    check = OverrideCheck(
        path=None,
        valid=[
            Override(2, "family", "Pumps", "EUR", "2025-01", "absolute", 100.01, "ann", "fair"),
            Override(3, "sku", "C", "EUR", "2025-01", "percent", 10, "ann", "price"),
        ],
    )
    out = consensus_rows(f, check).set_index("series_id")
    # Pumps EUR 100.01 split 10:30 -> 25.00 / 75.01 (largest remainder); C 5.55 * 1.1 = 6.11 (rounded)
    assert out.loc["sku=A|region=EUR", "consensus_units"] + out.loc[
        "sku=B|region=EUR", "consensus_units"
    ] == pytest.approx(100.01)
    assert out.loc["sku=C|region=EUR", "consensus_units"] == 6.11
    assert out.loc["family=Pumps|region=EUR", "consensus_units"] == pytest.approx(100.01)
    assert out.loc["region=EUR", "consensus_units"] == pytest.approx(100.01 + 6.11)
    assert out.loc["total", "consensus_units"] == pytest.approx(100.01 + 6.11 + 7.0)
    assert out.loc["total", "override_units"] == pytest.approx(100.01 + 6.11 + 7.0 - 52.55)
    assert out.loc["region=EUR", "overridden_series"] == 3 and out.loc["region=NAM", "overridden_series"] == 0
    assert out.loc["sku=A|region=NAM", "consensus_units"] == 7.0 and out.loc["total", "override_rows"] is None
