"""Market potential per account and the territory coverage and balance measures, each checked against a case
worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from orchestration.sales_planning.potential import account_potential, default_attainable_share
from orchestration.sales_planning.territory_balance import (
    REGION_COLUMNS,
    REP_BOOK_COLUMNS,
    TERRITORY_COLUMNS,
    region_balance,
    rep_books,
    territory_coverage,
)

# ---- potential ----


def accounts_frame(rows):
    return pd.DataFrame(rows, columns=["account_id", "region_code", "segment", "trailing_bookings_usd"])


def cents(amount: float) -> int:
    return round(amount * 100)


def test_potential_spreads_the_attainable_market_by_half_own_half_segment_bookings():
    # region N: market 1,000,000 × share 0.1 = attainable 100,000.00
    # ENT mean (300 + 100) / 2 = 200: a1 w = 150 + 100 = 250, a2 w = 50 + 100 = 150
    # SMB mean (0 + 50) / 2 = 25:     a3 w = 0 + 12.5 = 12.5, a4 w = 25 + 12.5 = 37.5; Σ w = 450
    # exact cents: a1 5,555,555.56  a2 3,333,333.33  a3 277,777.78  a4 833,333.33 → floors sum 9,999,998,
    # the 2 cents left go to the largest fractions, a3 (.78) and a1 (.56)
    accounts = accounts_frame(
        [
            ("a3", "N", "SMB", 0.0),  # given out of order: the output keeps the input order
            ("a1", "N", "ENT", 300.0),
            ("a2", "N", "ENT", 100.0),
            ("a4", "N", "SMB", 50.0),
        ]
    )
    market = pd.DataFrame({"region_code": ["N"], "market_size_usd": [1_000_000.0]})
    out = account_potential(accounts, market, 0.1)
    assert out["account_id"].tolist() == ["a3", "a1", "a2", "a4"]
    assert out["weight"].tolist() == [12.5, 250.0, 150.0, 37.5]
    assert out["potential_usd"].tolist() == [2777.78, 55555.56, 33333.33, 8333.33]
    assert sum(cents(p) for p in out["potential_usd"]) == cents(100_000.00)
    assert list(out.columns) == [
        "account_id",
        "region_code",
        "segment",
        "trailing_bookings_usd",
        "weight",
        "potential_usd",
    ]


def test_an_account_without_history_carries_its_segment_potential():
    # segment ENT of region N: mean (0 + 400) / 2 = 200; new account w = 0 + 100 = 100, old w = 200 + 100 = 300
    # attainable 10,000 × 1.0 = 10,000: new 10,000 × 100 / 400 = 2,500; old 7,500
    accounts = accounts_frame([("new", "N", "ENT", 0.0), ("old", "N", "ENT", 400.0)])
    market = pd.DataFrame({"region_code": ["N"], "market_size_usd": [10_000.0]})
    out = account_potential(accounts, market, 1.0)
    assert out["potential_usd"].tolist() == [2500.0, 7500.0]


def test_zero_weights_give_equal_parts_with_the_odd_cents_in_account_order():
    # 500,000 × 0.1 = 50,000.00 over 3 accounts: 1,666,666.67 cents each → floors 4,999,998, 2 cents left,
    # equal fractions: to b1 and b2 (account_id order), b3 keeps the floor
    accounts = accounts_frame([("b3", "S", "SMB", 0.0), ("b1", "S", "SMB", 0.0), ("b2", "S", "SMB", -80.0)])
    market = pd.DataFrame({"region_code": ["S"], "market_size_usd": [500_000.0]})
    out = account_potential(accounts, market, 0.1)
    assert dict(zip(out["account_id"], out["potential_usd"])) == {"b1": 16666.67, "b2": 16666.67, "b3": 16666.66}
    assert out["weight"].tolist() == [0.0, 0.0, 0.0]  # negative bookings (credit notes) count as 0


def test_regions_are_spread_apart_and_a_region_without_market_has_no_potential():
    # N: 1,000 × 0.5 = 500 over w 1 and 3 (one segment, mean 2: w = 0.5 + 1 = 1.5 and 1.5 + 1 = 2.5 → 4)
    #   x1 = 500 × 1.5 / 4 = 187.50, x2 = 312.50; region Q has no market row: 0
    accounts = pd.DataFrame(
        {
            "account_id": ["x1", "x2", "q1"],
            "region_code": ["N", "N", "Q"],
            "segment": ["ENT", "ENT", "ENT"],
            "trailing_bookings_usd": [1.0, 3.0, 5.0],
            "owner_rep_id": ["r1", "r2", "r3"],  # other columns are kept
        }
    )
    market = pd.DataFrame({"region_code": ["N", "Z"], "market_size_usd": [1_000.0, 9_999.0]})
    out = account_potential(accounts, market, 0.5)
    assert out["potential_usd"].tolist() == [187.5, 312.5, 0.0]
    assert out["owner_rep_id"].tolist() == ["r1", "r2", "r3"]


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5, float("nan")])
def test_an_attainable_share_outside_0_1_is_refused(share):
    accounts = accounts_frame([("a1", "N", "ENT", 1.0)])
    market = pd.DataFrame({"region_code": ["N"], "market_size_usd": [1.0]})
    with pytest.raises(ValueError, match="attainable_share"):
        account_potential(accounts, market, share)


def test_duplicate_accounts_or_regions_are_refused():
    market = pd.DataFrame({"region_code": ["N"], "market_size_usd": [1.0]})
    with pytest.raises(ValueError, match="a1 appears twice"):
        account_potential(accounts_frame([("a1", "N", "E", 1.0), ("a1", "N", "E", 2.0)]), market, 0.5)
    twice = pd.DataFrame({"region_code": ["N", "N"], "market_size_usd": [1.0, 2.0]})
    with pytest.raises(ValueError, match="region N appears twice"):
        account_potential(accounts_frame([("a1", "N", "E", 1.0)]), twice, 0.5)


def test_default_attainable_share_is_the_current_share():
    # 2,000,000 bookings in a 40,000,000 market: 5%
    assert default_attainable_share(2_000_000.0, 40_000_000.0) == pytest.approx(0.05)
    assert default_attainable_share(50.0, 40.0) == 1.0  # never more than the whole market
    with pytest.raises(ValueError, match="no bookings"):
        default_attainable_share(0.0, 40.0)
    with pytest.raises(ValueError, match="market size"):
        default_attainable_share(10.0, 0.0)


# ---- coverage and balance ----

REPS = pd.DataFrame(
    {
        "rep_id": ["r1", "r2", "r3", "r4"],
        "territory_id": ["T1", "T1", "T2", "T3"],
        "region_code": ["N", "N", "N", "S"],
    }
)


def book_frame():
    rows = [
        # account, region, territory, owner, potential, bookings, opportunities, pipeline
        ("a1", "N", "T1", "r1", 500.0, 100.0, 2, 1000.0),
        ("a2", "N", "T1", "r1", 100.0, 50.0, 1, 0.0),
        ("a3", "N", "T1", "r2", 200.0, 0.0, 0, 500.0),
        ("a4", "N", "T2", "r3", 300.0, 30.0, 3, 200.0),
        ("a5", "N", "T2", "LEAVER", 100.0, 20.0, 1, 100.0),  # owner not a quota rep: uncovered
        ("b1", "S", "T3", "r4", 400.0, 70.0, 2, 300.0),
        ("b2", "S", "T3", "r1", 100.0, 10.0, 0, 0.0),  # owned by a rep of region N: uncovered in S
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "region_code",
            "territory_id",
            "owner_rep_id",
            "potential_usd",
            "trailing_bookings_usd",
            "open_opportunities",
            "open_pipeline_usd",
        ],
    )


def test_rep_books_sum_the_covered_accounts_and_index_them_on_the_fair_share():
    # N: potential 500+100+200+300+100 = 1,200 over 3 reps → fair share 400
    #    r1 = a1 + a2 = 600 (index 1.5), r2 = 200 (0.5), r3 = 300 (0.75); a5 (leaver) is nobody's
    # S: 400 + 100 = 500 over 1 rep → 500; r4 = 400 (0.8); b2 is not in r1's book (r1 sells in N)
    books = rep_books(book_frame(), REPS)
    assert list(books.columns) == REP_BOOK_COLUMNS
    assert books["rep_id"].tolist() == ["r1", "r2", "r3", "r4"]
    assert books["accounts"].tolist() == [2, 1, 1, 1]
    assert books["potential_usd"].tolist() == [600.0, 200.0, 300.0, 400.0]
    assert books["trailing_bookings_usd"].tolist() == [150.0, 0.0, 30.0, 70.0]
    assert books["open_opportunities"].tolist() == [3, 0, 3, 2]
    assert books["open_pipeline_usd"].tolist() == [1000.0, 500.0, 200.0, 300.0]
    assert books["potential_index"].tolist() == pytest.approx([1.5, 0.5, 0.75, 0.8])


def test_a_rep_without_accounts_has_an_empty_book():
    reps = pd.concat([REPS, pd.DataFrame({"rep_id": ["r5"], "territory_id": ["T3"], "region_code": ["S"]})])
    books = rep_books(book_frame(), reps).set_index("rep_id")
    # S: 500 over 2 reps → fair share 250; r4 400 → 1.6, r5 0 → 0
    assert books.loc["r5", "accounts"] == 0 and books.loc["r5", "potential_usd"] == 0.0
    assert books.loc["r4", "potential_index"] == pytest.approx(1.6)
    assert books.loc["r5", "potential_index"] == 0.0


def test_territory_coverage_by_hand():
    coverage = territory_coverage(book_frame(), REPS).set_index("territory_id")
    assert list(coverage.reset_index().columns) == TERRITORY_COLUMNS
    t1, t2, t3 = coverage.loc["T1"], coverage.loc["T2"], coverage.loc["T3"]
    # T1: a1, a2, a3; reps r1 and r2; potential 800 → 400 per rep; 3 opportunities → 1.5 per rep
    assert (t1["accounts"], t1["reps"], t1["potential_usd"]) == (3, 2, 800.0)
    assert t1["trailing_bookings_usd"] == 150.0 and t1["open_pipeline_usd"] == 1500.0
    assert (t1["potential_per_rep_usd"], t1["accounts_per_rep"], t1["open_opportunities_per_rep"]) == (400.0, 1.5, 1.5)
    # reps 600 and 200: mean 400, population std 200 → CV 0.5; indices 1.5 and 0.5
    assert t1["potential_cv"] == pytest.approx(0.5)
    assert (t1["max_potential_index"], t1["min_potential_index"]) == pytest.approx((1.5, 0.5))
    assert t1["uncovered_accounts"] == 0
    # T2: a4 and a5 (uncovered), one rep → CV 0
    assert (t2["accounts"], t2["reps"], t2["uncovered_accounts"], t2["potential_usd"]) == (2, 1, 1, 400.0)
    assert t2["potential_cv"] == 0.0
    assert t2["max_potential_index"] == t2["min_potential_index"] == pytest.approx(0.75)
    # T3: b1 and b2 (its owner r1 is a rep of N)
    assert (t3["region_code"], t3["accounts"], t3["uncovered_accounts"]) == ("S", 2, 1)


def test_region_balance_by_hand_with_a_company_total():
    balance = region_balance(book_frame(), REPS).set_index("region_code")
    assert list(balance.reset_index().columns) == REGION_COLUMNS
    assert balance.index.tolist() == ["N", "S", "total"]
    n, total = balance.loc["N"], balance.loc["total"]
    # N: reps 600, 200, 300: mean 11/3 (×100), deviations 7/3, −5/3, −2/3 → variance 26/9 → CV √26 / 11
    assert n["potential_cv"] == pytest.approx(math.sqrt(26) / 11)
    assert (n["accounts"], n["reps"], n["potential_usd"], n["uncovered_accounts"]) == (5, 3, 1200.0, 1)
    assert n["potential_per_rep_usd"] == 400.0 and n["open_opportunities_per_rep"] == pytest.approx(7 / 3)
    # total: reps 600, 200, 300, 400: mean 375, squared deviations 50,625 + 30,625 + 5,625 + 625 = 87,500
    # → variance 21,875 → CV √21,875 / 375
    assert total["potential_cv"] == pytest.approx(math.sqrt(21_875) / 375)
    assert (total["accounts"], total["reps"], total["potential_usd"], total["uncovered_accounts"]) == (7, 4, 1700.0, 2)
    assert (total["max_potential_index"], total["min_potential_index"]) == pytest.approx((1.5, 0.5))


def test_a_territory_without_reps_has_no_per_rep_measures():
    book = book_frame()
    book.loc[book["account_id"] == "a5", "territory_id"] = "T9"  # a territory nobody sells in
    coverage = territory_coverage(book, REPS).set_index("territory_id")
    t9 = coverage.loc["T9"]
    assert (t9["accounts"], t9["reps"], t9["uncovered_accounts"]) == (1, 0, 1)
    assert math.isnan(t9["potential_per_rep_usd"]) and math.isnan(t9["potential_cv"])


def test_a_book_naming_an_account_twice_is_refused():
    book = pd.concat([book_frame(), book_frame().iloc[[0]]])
    with pytest.raises(ValueError, match="a1 appears twice"):
        region_balance(book, REPS)
