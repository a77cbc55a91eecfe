"""Territory coverage and balance: how much potential, revenue and work each quota rep carries, and how evenly.

The book is the CRM's accounts with their territory, owner, market potential (``potential``), trailing twelve
months' bookings and open pipeline; the reps are the ones carrying a quota now. Three views of it:

- ``rep_books``: per rep, the accounts owned, their potential, bookings, open opportunities (the workload) and
  open pipeline, and the potential index = the rep's potential / the region's fair share, the region's total
  potential / its number of quota reps. An index of 1 is a fair book; the rebalancer (``rebalance``) aims at
  1 ± its band. The fair share counts every account of the region, uncovered ones too: they are to be given
  to the reps, so the index says where each rep stands against the book it should have.
- ``territory_coverage``: per territory (the accounts' territory and the reps' territory), the totals, the
  potential, accounts and open opportunities per rep, the coefficient of variation of the reps' potential
  (population standard deviation / mean, among the territory's reps; 0 with one rep, empty with none), the
  uncovered accounts and the highest and lowest potential index of its reps.
- ``region_balance``: the same per region (the CV across all reps of the region), and a ``total`` row (the CV
  across all reps of the company; the index range over all reps, each against its own region).

An account is uncovered when its owner is not a quota rep of the account's region: a leaver, a manager, an
empty owner, or (rarely) a rep of another region. It belongs to no rep's book, is counted in its territory's
and region's ``uncovered_accounts``, and must move: the rebalancer always gives it to a rep of its region.
Amounts are rounded to the cent; ratios are not rounded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.sales_planning.frames import require_columns

TOTAL = "total"
BOOK_COLUMNS = [
    "account_id",
    "region_code",
    "territory_id",
    "owner_rep_id",
    "potential_usd",
    "trailing_bookings_usd",
    "open_opportunities",
    "open_pipeline_usd",
]
REP_COLUMNS = ["rep_id", "territory_id", "region_code"]
AMOUNTS = ["potential_usd", "trailing_bookings_usd", "open_opportunities", "open_pipeline_usd"]
REP_BOOK_COLUMNS = ["rep_id", "territory_id", "region_code", "accounts", *AMOUNTS, "potential_index"]
MEASURE_COLUMNS = [
    "accounts",
    "reps",
    *AMOUNTS,
    "potential_per_rep_usd",
    "accounts_per_rep",
    "open_opportunities_per_rep",
    "potential_cv",
    "uncovered_accounts",
    "max_potential_index",
    "min_potential_index",
]
TERRITORY_COLUMNS = ["territory_id", "region_code", *MEASURE_COLUMNS]
REGION_COLUMNS = ["region_code", *MEASURE_COLUMNS]


def check_book(book: pd.DataFrame, reps: pd.DataFrame) -> None:
    """Raise ValueError when the book or the reps lack a column, or name an account or a rep twice."""
    require_columns(book, BOOK_COLUMNS, "book")
    require_columns(reps, REP_COLUMNS, "reps")
    for frame, key, what in ((book, "account_id", "book"), (reps, "rep_id", "reps")):
        if frame[key].duplicated().any():
            raise ValueError(f"{what}: {key} {frame.loc[frame[key].duplicated(), key].iloc[0]} appears twice")


def covered(book: pd.DataFrame, reps: pd.DataFrame) -> pd.Series:
    """Per account of ``book`` (same index): True when its owner is a quota rep of the account's region."""
    region_of_rep = dict(zip(reps["rep_id"], reps["region_code"]))
    return pd.Series(
        [region_of_rep.get(owner, None) == region for owner, region in zip(book["owner_rep_id"], book["region_code"])],
        index=book.index,
        dtype=bool,
    )


def _amounts(book: pd.DataFrame) -> pd.DataFrame:
    out = book.copy()
    for column in AMOUNTS:
        out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0.0).astype(float)
    return out


def fair_share(book: pd.DataFrame, reps: pd.DataFrame) -> dict:
    """{region: the region's total potential / its number of quota reps} (regions with reps only)."""
    potential = _amounts(book).groupby("region_code")["potential_usd"].sum()
    headcount = reps.groupby("region_code")["rep_id"].count()
    return {region: float(potential.get(region, 0.0)) / int(n) for region, n in headcount.items()}


def rep_books(book: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per quota rep (every rep of ``reps``, in rep_id order, with or without accounts): the covered accounts
    owned, their potential, trailing bookings, open opportunities and open pipeline, and the potential index
    (rep potential / the region's fair share; empty when the region has no potential). Columns
    ``REP_BOOK_COLUMNS``."""
    check_book(book, reps)
    amounts = _amounts(book)
    owned = amounts[covered(book, reps)]
    sums = owned.groupby("owner_rep_id")[AMOUNTS].sum()
    counts = owned.groupby("owner_rep_id")["account_id"].count()
    out = reps[REP_COLUMNS].sort_values("rep_id", kind="stable").reset_index(drop=True)
    out["accounts"] = out["rep_id"].map(counts).fillna(0).astype(int)
    for column in AMOUNTS:
        out[column] = out["rep_id"].map(sums[column]).fillna(0.0).astype(float)
    out["open_opportunities"] = out["open_opportunities"].round().astype(int)
    share = out["region_code"].map(fair_share(book, reps)).astype(float)
    out["potential_index"] = (out["potential_usd"] / share.where(share > 0)).astype(float)
    for column in ("potential_usd", "trailing_bookings_usd", "open_pipeline_usd"):
        out[column] = out[column].round(2)
    return out[REP_BOOK_COLUMNS]


def _cv(values: np.ndarray) -> float:
    """Population standard deviation / mean; 0 with one value or a mean of 0, NaN with none."""
    if len(values) == 0:
        return float("nan")
    mean = float(values.mean())
    if len(values) == 1 or mean == 0:
        return 0.0
    return float(values.std(ddof=0) / mean)


def _measures(accounts: pd.DataFrame, is_covered: pd.Series, books: pd.DataFrame) -> dict:
    """The ``MEASURE_COLUMNS`` of a group of accounts and the books of the group's reps."""
    n_reps = len(books)
    totals = {column: float(accounts[column].sum()) for column in AMOUNTS}
    per_rep = (lambda x: x / n_reps) if n_reps else (lambda x: float("nan"))
    index = books["potential_index"].dropna()
    return {
        "accounts": len(accounts),
        "reps": n_reps,
        "potential_usd": round(totals["potential_usd"], 2),
        "trailing_bookings_usd": round(totals["trailing_bookings_usd"], 2),
        "open_opportunities": int(round(totals["open_opportunities"])),
        "open_pipeline_usd": round(totals["open_pipeline_usd"], 2),
        "potential_per_rep_usd": round(per_rep(totals["potential_usd"]), 2),
        "accounts_per_rep": per_rep(float(len(accounts))),
        "open_opportunities_per_rep": per_rep(totals["open_opportunities"]),
        "potential_cv": _cv(books["potential_usd"].to_numpy(dtype=float)),
        "uncovered_accounts": int((~is_covered.loc[accounts.index]).sum()),
        "max_potential_index": float(index.max()) if len(index) else float("nan"),
        "min_potential_index": float(index.min()) if len(index) else float("nan"),
    }


def territory_coverage(book: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per territory of the accounts or the reps (territory_id order): coverage and balance measures,
    columns ``TERRITORY_COLUMNS`` (defined in the module doc)."""
    books = rep_books(book, reps)
    amounts = _amounts(book)
    is_covered = covered(book, reps)
    region_of_territory = dict(zip(amounts["territory_id"], amounts["region_code"]))
    region_of_territory.update(zip(reps["territory_id"], reps["region_code"]))
    rows = []
    for territory in sorted(region_of_territory, key=str):
        own = amounts[amounts["territory_id"] == territory]
        rows.append(
            {
                "territory_id": territory,
                "region_code": region_of_territory[territory],
                **_measures(own, is_covered, books[books["territory_id"] == territory]),
            }
        )
    return pd.DataFrame(rows, columns=TERRITORY_COLUMNS)


def region_balance(book: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per region of the accounts or the reps (region_code order) and a ``total`` row last: coverage and
    balance measures, columns ``REGION_COLUMNS`` (defined in the module doc)."""
    books = rep_books(book, reps)
    amounts = _amounts(book)
    is_covered = covered(book, reps)
    regions = sorted(set(amounts["region_code"]) | set(reps["region_code"]), key=str)
    rows = [
        {
            "region_code": region,
            **_measures(amounts[amounts["region_code"] == region], is_covered, books[books["region_code"] == region]),
        }
        for region in regions
    ]
    rows.append({"region_code": TOTAL, **_measures(amounts, is_covered, books)})
    return pd.DataFrame(rows, columns=REGION_COLUMNS)
