"""Rough-cut capacity load against hand sums, and the refused routing / capacity rows."""

import numpy as np
import pandas as pd
import pytest

from orchestration.supply.capacity import CapacityError, rough_cut_load
from orchestration.supply.frames import from_erp

JAN, FEB = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")


def _routings():
    return pd.DataFrame(
        {"sku": ["A", "A", "B"], "work_center": ["WC-1", "WC-2", "WC-1"], "hours_per_unit": [0.5, 0.25, 2.0]}
    )


def _capacity(months=(JAN, FEB)):
    return pd.DataFrame(
        [(w, m, h) for m in months for w, h in (("WC-1", 100.0), ("WC-2", 20.0))],
        columns=["work_center", "month", "available_hours"],
    )


def test_load_and_utilization_by_hand():
    # Jan: A 100 units, B 30 -> WC-1 = 100*0.5 + 30*2 = 110 h of 100 (110%, 10 h over); WC-2 = 100*0.25 = 25 of 20
    # Feb: B 20 at two sites (10 + 10) -> WC-1 = 40 h (40%); WC-2 none (0%)
    production = pd.DataFrame(
        {
            "sku": ["A", "B", "B", "B"],
            "site": ["S1", "S1", "S1", "S2"],
            "month": [JAN, JAN, pd.Timestamp("2027-02-14"), FEB],
            "units": [100, 30, 10, 10],
        }
    )
    out = rough_cut_load(production, _routings(), _capacity()).set_index(["work_center", "month"])
    assert out.loc[("WC-1", JAN), "load_hours"] == pytest.approx(110.0)
    assert out.loc[("WC-1", JAN), "utilization"] == pytest.approx(1.10)
    assert out.loc[("WC-1", JAN), "overload_hours"] == pytest.approx(10.0)
    assert out.loc[("WC-2", JAN), "utilization"] == pytest.approx(1.25)
    assert out.loc[("WC-1", FEB), "utilization"] == pytest.approx(0.40)
    assert out.loc[("WC-2", FEB), ["load_hours", "utilization", "overload_hours"]].tolist() == [0.0, 0.0, 0.0]


def test_erp_extract_names_are_renamed():
    cap = _capacity().rename(columns={"work_center": "work_center_id", "month": "capacity_month"})
    cap["site_code"] = "S1"
    renamed = from_erp(cap)
    assert {"work_center", "month", "site"} <= set(renamed.columns)
    out = rough_cut_load(pd.DataFrame({"sku": ["B"], "month": [JAN], "units": [5.0]}), _routings(), renamed)
    assert out.set_index(["work_center", "month"]).loc[("WC-1", JAN), "load_hours"] == 10.0


def test_routing_to_unknown_work_center_names_file_row_and_rule():
    routings = pd.concat(
        [_routings(), pd.DataFrame({"sku": ["C"], "work_center": ["WC-9"], "hours_per_unit": [1.0]})], ignore_index=True
    )
    with pytest.raises(CapacityError) as err:
        rough_cut_load(
            pd.DataFrame({"sku": ["A"], "month": [JAN], "units": [1.0]}),
            routings,
            _capacity(),
            routings_file="landing/erp/routings/2026-12/routings.csv",
        )
    msg = str(err.value)
    assert "landing/erp/routings/2026-12/routings.csv row 5" in msg  # 4th data row = line 5
    assert "'WC-9'" in msg and "rule: every routing must name a known work center" in msg


def test_lineage_columns_name_the_source_file_and_row():
    routings = _routings().assign(_source_file="erp/routings/2026-12/routings.csv", _source_row=[7, 8, 9])
    routings.loc[1, "work_center"] = "WC-X"
    with pytest.raises(CapacityError, match=r"erp/routings/2026-12/routings.csv row 8: SKU A .*'WC-X'"):
        rough_cut_load(pd.DataFrame({"sku": ["A"], "month": [JAN], "units": [1.0]}), routings, _capacity())


def test_month_without_capacity_is_refused():
    production = pd.DataFrame({"sku": ["B"], "month": [pd.Timestamp("2027-03-01")], "units": [5.0]})
    with pytest.raises(CapacityError, match=r"no row for WC-1 in 2027-03, which SKU B needs \(routings row 4\).*rule"):
        rough_cut_load(production, _routings(), _capacity())


def test_duplicate_and_negative_capacity_rows_are_refused():
    cap = pd.concat([_capacity(), _capacity((JAN,)).iloc[:1]], ignore_index=True)
    with pytest.raises(CapacityError, match=r"work_center_capacity row 6: WC-1 has a second row for 2027-01"):
        rough_cut_load(pd.DataFrame({"sku": ["A"], "month": [JAN], "units": [1.0]}), _routings(), cap)
    cap = _capacity()
    cap.loc[2, "available_hours"] = -5
    with pytest.raises(CapacityError, match="row 4.*not a number ≥ 0"):
        rough_cut_load(pd.DataFrame({"sku": ["A"], "month": [JAN], "units": [1.0]}), _routings(), cap)


def test_zero_hours_month_is_infinite_utilization_not_an_error():
    cap = _capacity()
    cap.loc[(cap["work_center"] == "WC-2") & (cap["month"] == JAN), "available_hours"] = 0.0
    out = rough_cut_load(pd.DataFrame({"sku": ["A"], "month": [JAN], "units": [4.0]}), _routings(), cap)
    row = out[(out["work_center"] == "WC-2") & (out["month"] == JAN)].iloc[0]
    assert np.isinf(row["utilization"]) and row["overload_hours"] == 1.0
