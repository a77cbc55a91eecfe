"""Projected available balance and MRP netting against cases worked by hand."""

import numpy as np
import pandas as pd
import pytest

from orchestration.supply import mrp, projection

M = list(pd.date_range("2027-01-01", periods=4, freq="MS"))
JAN, FEB, MAR, APR = M
DEC = pd.Timestamp("2026-12-01")


def _gross(values, sku="X", site="S1"):
    return pd.DataFrame({"sku": sku, "site": site, "month": M, "units": [float(v) for v in values]})


def _on_hand(qty, sku="X", site="S1"):
    return pd.DataFrame({"sku": [sku], "site": [site], "on_hand": [float(qty)]})


def _items(rule, lot_size=0, periods=0, moq=0, multiple=0, lead_days=35, safety_stock=0):
    return pd.DataFrame(
        [
            {
                "sku": "X",
                "lot_rule": rule,
                "lot_size": lot_size,
                "periods": periods,
                "moq": moq,
                "multiple": multiple,
                "lead_time_days": lead_days,
                "safety_stock": safety_stock,
            }
        ]
    )


def _orders(result):
    return [(o.need_month, o.release_month, o.quantity) for o in result.planned_orders.itertuples()]


# ---------------------------------------------------------------- PAB
def test_projected_available_balance_by_hand():
    # opening 100; demand 30, 50, 40, 20; scheduled 25 in Feb; planned 60 in Mar
    # Jan 100 - 30 = 70; Feb 70 + 25 - 50 = 45; Mar 45 + 60 - 40 = 65; Apr 65 - 20 = 45
    pab = projection.project_balance(
        _on_hand(100),
        _gross([30, 50, 40, 20]),
        M,
        scheduled=pd.DataFrame({"sku": ["X"], "site": ["S1"], "month": [FEB], "units": [25.0]}),
        planned=pd.DataFrame({"sku": ["X"], "site": ["S1"], "month": [MAR], "units": [60.0]}),
    )
    assert pab.columns.tolist() == projection.PAB_COLUMNS
    assert pab["opening"].tolist() == [100, 70, 45, 65]
    assert pab["closing"].tolist() == [70, 45, 65, 45]
    assert pab["scheduled_receipts"].tolist() == [0, 25, 0, 0]
    assert pab["planned_receipts"].tolist() == [0, 0, 60, 0]


def test_pab_keeps_negative_balances_and_nodes_without_stock():
    pab = projection.project_balance(_on_hand(10), pd.concat([_gross([20, 0, 0, 0]), _gross([5, 5, 5, 5], sku="Y")]), M)
    x = pab[pab["sku"] == "X"]
    y = pab[pab["sku"] == "Y"]
    assert x["closing"].tolist() == [-10, -10, -10, -10]  # a projected stock-out stays visible
    assert y["closing"].tolist() == [-5, -10, -15, -20]


def test_latest_snapshot_is_used_whole_and_receipts_bucket_past_due_into_the_first_month():
    snaps = pd.DataFrame(
        {
            "snapshot_date": ["2026-11-30", "2026-11-30", "2026-12-31", "2027-01-31"],
            "sku": ["X", "Y", "X", "X"],
            "site": ["S1"] * 4,
            "on_hand": [5.0, 7.0, 9.0, 11.0],
        }
    )
    oh = projection.latest_on_hand(snaps, as_of="2026-12-31")
    # Y is not in the Dec snapshot: no stock (its Nov row is stale); the Jan snapshot is after as_of
    assert oh[["sku", "on_hand"]].values.tolist() == [["X", 9.0]]

    rec = pd.DataFrame(
        {
            "receipt_id": ["PO1", "PO2", "PO3"],
            "sku": "X",
            "site": "S1",
            "due_date": ["2026-12-20", "2027-02-03", "2027-07-01"],
            "quantity": [4.0, 6.0, 8.0],
        }
    )
    b = projection.bucket_receipts(rec, M)
    assert b["receipt_id"].tolist() == ["PO1", "PO2"]  # PO3 is after the horizon
    assert b["month"].tolist() == [JAN, FEB] and b["past_due"].tolist() == [True, False]


def test_site_demand_splits_regions_over_their_sites():
    demand = pd.DataFrame({"sku": ["X", "X"], "region": ["APAC", "EUR"], "month": [JAN, JAN], "units": [100.0, 40.0]})
    sites = pd.DataFrame(
        {"region": ["APAC", "APAC", "EUR"], "site": ["AU01", "JP01", "DE01"], "share": [0.4, 0.6, 1.0]}
    )
    out = projection.site_demand(demand, sites).set_index("site")["units"]
    assert out.to_dict() == {"AU01": pytest.approx(40.0), "DE01": 40.0, "JP01": pytest.approx(60.0)}
    with pytest.raises(ValueError, match="APAC sum to 0.9"):
        projection.site_demand(demand, sites.assign(share=[0.4, 0.5, 1.0]))


# ---------------------------------------------------------------- lot rules
# Shared case: on hand 30, gross 20, 40, 10, 50 in Jan..Apr, lead time 35 days -> 2 months.
GROSS = [20, 40, 10, 50]


def test_lot_for_lot_with_release_offset_and_past_due_release():
    # Jan 30-20 = 10; Feb 10-40 = -30 -> order 30; Mar 0-10 -> 10; Apr 0-50 -> 50
    r = mrp.plan_orders(_gross(GROSS), _on_hand(30), None, _items("LFL"), M)
    assert _orders(r) == [(FEB, DEC, 30), (MAR, JAN, 10), (APR, FEB, 50)]
    # released two months before the need; Feb's order should have gone out in Dec: already late
    assert r.planned_orders["release_past_due"].tolist() == [True, False, False]
    assert r.projection["closing"].tolist() == [10, 0, 0, 0]


def test_lot_for_lot_with_moq_and_multiple():
    # MOQ 25, multiple 10: Feb net 30 -> 30; Mar net 10 -> 25 -> 30 (PAB 20); Apr 20-50 = -30 -> 30
    r = mrp.plan_orders(_gross(GROSS), _on_hand(30), None, _items("LFL", moq=25, multiple=10), M)
    assert [q for *_, q in _orders(r)] == [30, 30, 30]
    assert r.projection["closing"].tolist() == [10, 0, 20, 0]


def test_fixed_order_quantity():
    # FOQ 40: Feb net 30 -> 40 (PAB 10); Mar 10-10 = 0, no order; Apr -50 -> two lots, 80 (PAB 30)
    r = mrp.plan_orders(_gross(GROSS), _on_hand(30), None, _items("FOQ", lot_size=40), M)
    assert [(n, q) for n, _, q in _orders(r)] == [(FEB, 40), (APR, 80)]
    assert r.projection["closing"].tolist() == [10, 10, 0, 30]


def test_period_order_quantity():
    # POQ 2: Feb covers Feb + Mar: 30 + 10 = 40 (Feb closes at 10 for March, March at 0);
    # Apr covers Apr (+ May, outside the horizon): 50
    r = mrp.plan_orders(_gross(GROSS), _on_hand(30), None, _items("POQ", periods=2), M)
    assert [(n, q) for n, _, q in _orders(r)] == [(FEB, 40), (APR, 50)]
    assert r.projection["closing"].tolist() == [10, 10, 0, 0]


def test_safety_stock_is_netted():
    # SS 5: Jan 10 ok; Feb 10-40 = -30 -> 35; Mar 5-10 = -5 -> 10; Apr 5-50 = -45 -> 50
    r = mrp.plan_orders(_gross(GROSS), _on_hand(30), None, _items("LFL", safety_stock=5), M)
    assert [q for *_, q in _orders(r)] == [35, 10, 50]
    assert r.projection["closing"].tolist() == [10, 5, 5, 5]


def test_unknown_lot_rule_and_missing_items_are_refused():
    with pytest.raises(ValueError, match="lot rule 'EOQ'"):
        mrp.plan_orders(_gross(GROSS), _on_hand(30), None, _items("EOQ"), M)
    with pytest.raises(ValueError, match="no row for SKU Y"):
        mrp.plan_orders(_gross(GROSS, sku="Y"), _on_hand(30), None, _items("LFL"), M)


# ---------------------------------------------------------------- open receipts
def test_past_due_and_reschedule_out_by_hand():
    # on hand 10, gross 20 a month. R1 due 2026-12-20 (past due, 15, counts in Jan), R3 due Feb (50),
    # R2 due Mar (20).
    # - without any receipt: Jan 10-20 < 0 -> R1 needed in Jan; it is past due.
    # - with R1 only: Jan 5, Feb -15 -> R3 needed in Feb = its due month: no message.
    # - with R1, R3: Jan 5, Feb 35, Mar 15, Apr -5 -> R2 needed in Apr, due Mar: reschedule out.
    # Netting with all three: Jan 5, Feb 35, Mar 35, Apr 15: no planned order.
    rec = pd.DataFrame(
        {
            "receipt_id": ["R1", "R2", "R3"],
            "sku": "X",
            "site": "S1",
            "due_date": ["2026-12-20", "2027-03-10", "2027-02-05"],
            "quantity": [15.0, 20.0, 50.0],
        }
    )
    r = mrp.plan_orders(_gross([20] * 4), _on_hand(10), rec, _items("LFL"), M)
    msgs = r.messages.set_index("receipt_id")
    assert msgs.index.tolist() == ["R1", "R2"]
    assert msgs.loc["R1", "action"] == "past_due" and msgs.loc["R1", "need_month"] == JAN
    assert msgs.loc["R2", "action"] == "reschedule_out" and msgs.loc["R2", "need_month"] == APR
    assert r.planned_orders.empty
    assert r.projection["closing"].tolist() == [5, 35, 35, 15]
    assert r.projection["scheduled_receipts"].tolist() == [15, 50, 20, 0]


def test_reschedule_in_and_not_needed():
    # on hand 0, gross 10 in Jan and 10 in Mar; R4 (30) due Mar is needed in Jan -> reschedule in;
    # netting still plans 10 for Jan (the receipt is netted where it is promised).
    # R5 (5) due Feb at a second site with no demand is never needed -> reschedule out, no need month.
    rec = pd.DataFrame(
        {
            "receipt_id": ["R4", "R5"],
            "sku": "X",
            "site": ["S1", "S2"],
            "due_date": ["2027-03-15", "2027-02-01"],
            "quantity": [30.0, 5.0],
        }
    )
    items = pd.concat([_items("LFL", lead_days=20).assign(site=s) for s in ("S1", "S2")])
    r = mrp.plan_orders(_gross([10, 0, 10, 0]), _on_hand(0), rec, items, M)
    msgs = r.messages.set_index("receipt_id")
    assert msgs.loc["R4", "action"] == "reschedule_in" and msgs.loc["R4", "need_month"] == JAN
    assert msgs.loc["R5", "action"] == "reschedule_out" and pd.isna(msgs.loc["R5", "need_month"])
    assert _orders(r) == [(JAN, DEC, 10)]  # 20 days -> one month earlier
    s1 = r.projection[r.projection["site"] == "S1"]
    np.testing.assert_allclose(s1["closing"], [0, 0, 20, 20])


def test_lot_size_function_rounding():
    assert mrp.lot_size(31, "FOQ", lot_size=10) == 40
    assert mrp.lot_size(0.3, "LFL", moq=0, multiple=0.25) == 0.5
    assert mrp.lot_size(7, "LFL", moq=12, multiple=5) == 15  # MOQ first, then the multiple


def test_lead_time_in_months_rounds_up_from_days():
    from orchestration.supply.frames import DAYS_PER_MONTH, lead_time_months

    # a month is 365.25 / 12 = 30.4375 days: 30 days fit in one, 31 need two, 0 needs none
    assert lead_time_months([0, 1, 30, 31, 60, 61, 2 * DAYS_PER_MONTH]).tolist() == [0, 1, 1, 2, 2, 3, 2]
