"""The rebalancing proposal (a MIP solved with HiGHS) and the planners' decisions on it, each checked against a
case worked by hand (or, for the reduction, a brute force over every assignment)."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest

from orchestration.sales_planning.errors import PlannerFileError
from orchestration.sales_planning.rebalance import (
    MOVE_COLUMNS,
    RebalancePolicy,
    apply_moves,
    propose_rebalance,
)
from orchestration.sales_planning.rebalance_decisions import (
    COLUMNS,
    FRAME_COLUMNS,
    apply_decisions,
    read_rebalance_decisions,
)

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


def make_book(rows) -> pd.DataFrame:
    """rows: (account, region, territory, owner, potential, bookings)."""
    book = pd.DataFrame(rows, columns=BOOK_COLUMNS[:6])
    book["open_opportunities"] = 1
    book["open_pipeline_usd"] = 0.0
    return book


def make_reps(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "territory_id", "region_code"])


# reps A (T1) and B (T2); A owns 60 and 20, B 10 and 10: total 100, fair share 50
TWO_REPS = make_reps([("A", "T1", "N"), ("B", "T2", "N")])
TWO_REP_BOOK = make_book(
    [
        ("a60", "N", "T1", "A", 60.0, 10.0),
        ("a20", "N", "T1", "A", 20.0, 10.0),
        ("b10", "N", "T2", "B", 10.0, 10.0),
        ("c10", "N", "T2", "B", 10.0, 10.0),
    ]
)


def test_the_known_best_single_move():
    # band 0.25: each rep within [37.5, 62.5]. A 80, B 20. Moving a20 → A 60, B 40: both in, 1 move.
    # Moving a60 → A 20, B 80: both out. So the best answer is a20 from A to B.
    # cost: 1 + revenue_weight 1 × bookings 10 / mean bookings 10 = 2
    result = propose_rebalance(TWO_REP_BOOK, TWO_REPS, RebalancePolicy(band=0.25))
    assert list(result.moves.columns) == MOVE_COLUMNS
    assert result.moves[
        ["account_id", "from_rep_id", "to_rep_id", "from_territory_id", "to_territory_id"]
    ].values.tolist() == [["a20", "A", "B", "T1", "T2"]]
    assert result.moves["reason"].tolist() == ["balance"]
    assert result.status == "Optimal"
    assert result.objective == pytest.approx(2.0)
    band = result.band_met.set_index("region_code").loc["N"]
    assert bool(band["band_met"]) and band["moves"] == 1
    assert (band["mean_potential_usd"], band["lower_usd"], band["upper_usd"]) == (50.0, 37.5, 62.5)
    # before: A 17.5 over 62.5, B 17.5 under 37.5
    assert (band["violation_before_usd"], band["violation_after_usd"]) == (35.0, 0.0)


def test_before_and_after_cv_by_hand():
    result = propose_rebalance(TWO_REP_BOOK, TWO_REPS, RebalancePolicy(band=0.25))
    before = result.before.set_index("region_code")
    after = result.after.set_index("region_code")
    # before A 80, B 20: mean 50, population std 30 → CV 0.6; after A 60, B 40: std 10 → 0.2
    assert before.loc["N", "potential_cv"] == pytest.approx(0.6)
    assert after.loc["N", "potential_cv"] == pytest.approx(0.2)
    assert (before.loc["N", "max_potential_index"], after.loc["N", "max_potential_index"]) == pytest.approx((1.6, 1.2))


def test_a_band_that_cannot_be_met_gives_the_least_violation_and_says_so():
    # band 0.15: [42.5, 57.5]; no subset of A's accounts lands both reps inside. Moving a20 leaves
    # 60 − 57.5 + 42.5 − 40 = 5 outside (vs 45 before), the least of all assignments
    result = propose_rebalance(TWO_REP_BOOK, TWO_REPS, RebalancePolicy(band=0.15))
    assert result.moves["account_id"].tolist() == ["a20"]
    band = result.band_met.set_index("region_code").loc["N"]
    assert not band["band_met"]
    assert (band["violation_before_usd"], band["violation_after_usd"]) == (45.0, 5.0)


def test_moving_revenue_costs_so_the_account_with_less_bookings_moves():
    # A owns p30 (bookings 100), q30 (bookings 10) and r20; B owns s20: A 80, B 20, fair share 50.
    # Moving either 30 gives 50 / 50; the one with 10 of bookings costs less (mean bookings 110 / 4 = 27.5:
    # 1 + 10 / 27.5 ≈ 1.364 against 1 + 100 / 27.5 ≈ 4.636)
    book = make_book(
        [
            ("p30", "N", "T1", "A", 30.0, 100.0),
            ("q30", "N", "T1", "A", 30.0, 10.0),
            ("r20", "N", "T1", "A", 20.0, 0.0),
            ("s20", "N", "T2", "B", 20.0, 0.0),
        ]
    )
    result = propose_rebalance(book, TWO_REPS, RebalancePolicy(band=0.05))
    assert result.moves["account_id"].tolist() == ["q30"]
    assert result.objective == pytest.approx(1 + 10 / 27.5)


def test_the_reduced_model_finds_the_best_answer_of_the_full_model():
    # three reps X, Y, Z; X above the fair share, Y and Z below; a8's owner has left
    reps = make_reps([("X", "T1", "N"), ("Y", "T1", "N"), ("Z", "T2", "N")])
    rows = [
        ("a1", "X", 50.0, 40.0),
        ("a2", "X", 30.0, 5.0),
        ("a3", "X", 25.0, 30.0),
        ("a4", "X", 15.0, 2.0),
        ("a5", "Y", 40.0, 10.0),
        ("a6", "Y", 20.0, 8.0),
        ("a7", "Z", 10.0, 1.0),
        ("a8", "GONE", 20.0, 4.0),
    ]
    book = make_book([(a, "N", "T1" if o != "Z" else "T2", o, p, b) for a, o, p, b in rows])
    result = propose_rebalance(book, reps, RebalancePolicy(band=0.15, revenue_weight=1.0))

    # brute force over all 3^8 assignments of the full model: every account to any rep
    # fair share 210 / 3 = 70, band [59.5, 80.5]; mean bookings 100 / 8 = 12.5
    names = ["X", "Y", "Z"]
    best = None
    for assignment in itertools.product(range(3), repeat=len(rows)):
        load = np.zeros(3)
        cost = 0.0
        for (_, owner, potential, bookings), rep in zip(rows, assignment):
            load[rep] += potential
            if owner in names and names[rep] != owner:
                cost += 1 + bookings / 12.5
        violation = float((np.maximum(0, 59.5 - load) + np.maximum(0, load - 80.5)).sum())
        key = (round(violation, 9), round(cost, 9))
        best = key if best is None or key < best else best
    # the best: a2 (1 + 5/12.5 = 1.4) and a4 (1 + 2/12.5 = 1.16) leave X, no violation: X 75, Y 75 or 60, Z 60 or 75
    assert best == (0.0, 2.56)
    assert result.objective == pytest.approx(2.56)
    assert sorted(result.moves["account_id"]) == ["a2", "a4", "a8"]
    assert result.band_met["violation_after_usd"].tolist() == [0.0]


def test_when_the_leaving_accounts_cannot_be_packed_the_full_model_decides():
    # D owns 30, 30, 40, 60 (160); R1 and R2 own 70 each: fair share 100, band 0.05 → [95, 105].
    # Shedding the 60 alone (1 move) fits the receivers' summed band (200 in [190, 210]) but one receiver
    # would get 130: the best real answer sheds 30 + 30, one to each receiver: all at 100, 2 moves
    reps = make_reps([("D", "T1", "N"), ("R1", "T1", "N"), ("R2", "T2", "N")])
    book = make_book(
        [
            ("d30a", "N", "T1", "D", 30.0, 0.0),
            ("d30b", "N", "T1", "D", 30.0, 0.0),
            ("d40", "N", "T1", "D", 40.0, 0.0),
            ("d60", "N", "T1", "D", 60.0, 0.0),
            ("r1", "N", "T1", "R1", 70.0, 0.0),
            ("r2", "N", "T2", "R2", 70.0, 0.0),
        ]
    )
    result = propose_rebalance(book, reps, RebalancePolicy(band=0.05, revenue_weight=0.0))
    assert sorted(result.moves["account_id"]) == ["d30a", "d30b"]
    assert sorted(result.moves["to_rep_id"]) == ["R1", "R2"]
    assert bool(result.band_met["band_met"].iloc[0])
    assert result.status == "Optimal" and result.objective == pytest.approx(2.0)


def two_region_case():
    # N: A (60, 20) and B (10, 10): fair share 50, band 0.25: moving n20 clears 35 of violation
    # S: C (40, 30) and D (30): fair share 50: moving s30 clears 15 (C 70 → 40, D 30 → 60)
    # S also has u0, owned by a leaver (potential 0: the fair share stays 50)
    reps = make_reps([("A", "T1", "N"), ("B", "T2", "N"), ("C", "T3", "S"), ("D", "T4", "S")])
    book = make_book(
        [
            ("n60", "N", "T1", "A", 60.0, 5.0),
            ("n20", "N", "T1", "A", 20.0, 5.0),
            ("n10a", "N", "T2", "B", 10.0, 5.0),
            ("n10b", "N", "T2", "B", 10.0, 5.0),
            ("s40", "S", "T3", "C", 40.0, 5.0),
            ("s30", "S", "T3", "C", 30.0, 5.0),
            ("t30", "S", "T4", "D", 30.0, 5.0),
            ("u0", "S", "T3", "LEFT", 0.0, 5.0),
        ]
    )
    return book, reps


def test_accounts_never_leave_their_region():
    book, reps = two_region_case()
    result = propose_rebalance(book, reps, RebalancePolicy(band=0.25))
    region_of_rep = dict(zip(reps["rep_id"], reps["region_code"]))
    region_of_account = dict(zip(book["account_id"], book["region_code"]))
    assert len(result.moves) == 3  # n20, s30 and the uncovered u0
    for account, region, to_rep in result.moves[["account_id", "region_code", "to_rep_id"]].values:
        assert region == region_of_account[account] == region_of_rep[to_rep]
    assert result.band_met["band_met"].tolist() == [True, True]


def test_the_move_limit_holds_for_the_company_and_leaves_the_band_unmet():
    book, reps = two_region_case()
    result = propose_rebalance(book, reps, RebalancePolicy(band=0.25, max_moves=1))
    balance_moves = result.moves[result.moves["reason"] == "balance"]
    # one balance move for the whole company: in N, where it clears more violation (35 against 15)
    assert balance_moves["account_id"].tolist() == ["n20"]
    # the uncovered account moves anyway and is not counted against the limit
    assert result.moves.loc[result.moves["reason"] == "uncovered", "account_id"].tolist() == ["u0"]
    band = result.band_met.set_index("region_code")
    assert bool(band.loc["N", "band_met"]) and not band.loc["S", "band_met"]
    assert band.loc["S", "violation_after_usd"] == 15.0  # C 70: 7.5 over 62.5; D 30: 7.5 under 37.5
    assert result.status == "Optimal"

    none = propose_rebalance(book, reps, RebalancePolicy(band=0.25, max_moves=0))
    assert none.moves["reason"].tolist() == ["uncovered"]


def test_uncovered_accounts_are_given_to_a_rep_of_their_region():
    # the leaver's accounts and b2 (owned by A, a rep of N) must go to a quota rep of S
    reps = make_reps([("A", "T1", "N"), ("C", "T3", "S"), ("D", "T4", "S")])
    book = make_book(
        [
            ("a1", "N", "T1", "A", 100.0, 10.0),
            ("b1", "S", "T3", "C", 50.0, 10.0),
            ("b2", "S", "T3", "A", 50.0, 10.0),
            ("b3", "S", "T4", "LEAVER", 20.0, 10.0),
            ("b4", "S", "T4", "D", 30.0, 10.0),
        ]
    )
    result = propose_rebalance(book, reps, RebalancePolicy(band=0.15))
    moves = result.moves.set_index("account_id")
    assert sorted(moves.index) == ["b2", "b3"]
    assert set(moves["reason"]) == {"uncovered"}
    assert set(moves["to_rep_id"]) <= {"C", "D"}
    # S: 150 over C and D → fair share 75, band [63.75, 86.25]: C 50 and D 30 need both: b2 to one, b3 to
    # the other (C 50 + 20 = 70 and D 30 + 50 = 80, or C 100 / D 50 out): b2 → D, b3 → C
    assert moves.loc["b2", "to_rep_id"] == "D" and moves.loc["b3", "to_rep_id"] == "C"
    assert moves.loc["b3", "to_territory_id"] == "T3"
    assert result.before.set_index("region_code").loc["S", "uncovered_accounts"] == 2
    assert result.after.set_index("region_code").loc["S", "uncovered_accounts"] == 0
    assert result.objective == pytest.approx(0.0)  # uncovered moves cost nothing


def test_a_region_without_quota_reps_is_left_as_it_is():
    reps = make_reps([("A", "T1", "N")])
    book = make_book([("a1", "N", "T1", "A", 10.0, 1.0), ("z1", "Z", "T9", "GONE", 10.0, 1.0)])
    result = propose_rebalance(book, reps)
    band = result.band_met.set_index("region_code")
    assert band.loc["Z", "status"] == "No quota reps" and not band.loc["Z", "band_met"]
    assert result.moves.empty
    assert result.status == "N: Optimal; Z: No quota reps"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"band": 1.2}, "band"),
        ({"max_moves": -1}, "max_moves"),
        ({"max_moves": 2.5}, "max_moves"),
        ({"revenue_weight": -1.0}, "revenue_weight"),
        ({"time_limit_seconds": 0}, "time_limit_seconds"),
        ({"mip_rel_gap": 1.0}, "mip_rel_gap"),
    ],
)
def test_a_policy_out_of_range_is_refused(kwargs, words):
    with pytest.raises(ValueError, match=words):
        RebalancePolicy(**kwargs)


def synthetic_book(n_accounts: int, n_reps: int, regions: list[str], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A generated book: reps dealt round-robin over the regions (two territories each), accounts with
    lognormal potential given to the region's reps unevenly (Dirichlet shares), 3% owned by a leaver."""
    rng = np.random.default_rng(seed)
    rep_region = [regions[i % len(regions)] for i in range(n_reps)]
    reps = make_reps([(f"R{i:03d}", f"{r}-T{i % 2}", r) for i, r in enumerate(rep_region)])
    territory_of = dict(zip(reps["rep_id"], reps["territory_id"]))
    shares = {}
    for region in regions:
        ids = reps.loc[reps["region_code"] == region, "rep_id"].to_numpy()
        shares[region] = (ids, rng.dirichlet(np.full(len(ids), 3.0)))
    account_region = rng.choice(regions, size=n_accounts)
    potential = np.round(rng.lognormal(10, 1.0, n_accounts), 2)
    rows = []
    for i, region in enumerate(account_region):
        ids, p = shares[region]
        owner = "LEAVER" if rng.random() < 0.03 else str(rng.choice(ids, p=p))
        rows.append(
            (
                f"A{i:05d}",
                region,
                territory_of.get(owner, f"{region}-T0"),
                owner,
                potential[i],
                round(potential[i] * rng.uniform(0, 0.5), 2),
            )
        )
    return make_book(rows), reps


def test_a_generated_case_of_2000_accounts_and_46_reps_solves_to_optimal():
    book, reps = synthetic_book(2000, 46, ["G1", "G2", "G3", "G4", "G5"], seed=7)
    result = propose_rebalance(book, reps, RebalancePolicy(time_limit_seconds=60))
    assert result.status == "Optimal"
    assert result.band_met["band_met"].all()
    assert (result.after["uncovered_accounts"] == 0).all()
    assert (result.after["potential_cv"] < result.before["potential_cv"]).all()
    region_of_rep = dict(zip(reps["rep_id"], reps["region_code"]))
    assert (result.moves["to_rep_id"].map(region_of_rep) == result.moves["region_code"]).all()
    assert result.variables > 0 and result.constraints > 0


def test_apply_moves_changes_owner_and_territory():
    moves = pd.DataFrame([{"account_id": "a20", "to_rep_id": "B", "to_territory_id": "T2"}])
    out = apply_moves(TWO_REP_BOOK, moves)
    row = out.set_index("account_id").loc["a20"]
    assert (row["owner_rep_id"], row["territory_id"]) == ("B", "T2")
    assert TWO_REP_BOOK.set_index("account_id").loc["a20", "owner_rep_id"] == "A"  # the input is not changed
    with pytest.raises(ValueError, match="zz is not in the book"):
        apply_moves(TWO_REP_BOOK, pd.DataFrame([{"account_id": "zz", "to_rep_id": "B", "to_territory_id": "T2"}]))


# ---- the planners' decisions ----

HEADER = ",".join(COLUMNS)


def write(tmp_path, text: str):
    path = tmp_path / "territory_decisions.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_reading_decisions(tmp_path):
    text = (
        f"{HEADER}\n"
        '2026-01,a20,accept,j.doe,"agreed, both reps"\n'
        "\n"
        "2026-01,b10,Reject,j.doe,\n"
        "2025-12,a60,accept,k.lee,old\n"
    )
    path = write(tmp_path, text)
    before = path.read_bytes()
    frame = read_rebalance_decisions(path)
    assert path.read_bytes() == before  # read, never rewritten
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame["row"].tolist() == [2, 4, 5]  # the blank line 3 is skipped
    assert frame["decision"].tolist() == ["accept", "reject", "accept"]
    assert frame["note"].tolist() == ["agreed, both reps", "", "old"]


def test_a_missing_decisions_file_is_no_decisions(tmp_path):
    frame = read_rebalance_decisions(tmp_path / "absent.csv")
    assert frame.empty and list(frame.columns) == FRAME_COLUMNS
    assert not (tmp_path / "absent.csv").exists()


def test_a_wrong_header_is_refused(tmp_path):
    path = write(tmp_path, "month,account_id,decision,decided_by,note\n2026-01,a20,accept,j.doe,\n")
    with pytest.raises(PlannerFileError) as error:
        read_rebalance_decisions(path)
    assert "inputs/territory_decisions.csv: row 1: rule bad_header" in str(error.value)


@pytest.mark.parametrize(
    "row, rule, words",
    [
        ("2026-13,a20,accept,j.doe,", "bad_month", "'2026-13' is not a month YYYY-MM"),
        ("26-01,a20,accept,j.doe,", "bad_month", "'26-01' is not a month"),
        ("2026-01,a20,maybe,j.doe,", "bad_decision", "'maybe' must be accept or reject"),
        ("2026-01,a20,accept,,", "missing_decided_by", "decided_by is empty"),
        ("2026-01,,accept,j.doe,", "missing_account_id", "account_id is empty"),
        ("2026-01,a20,accept,j.doe", "bad_row_length", "4 fields, the header 5"),
    ],
)
def test_each_rule_names_the_file_row_and_rule(tmp_path, row, rule, words):
    path = write(tmp_path, f"{HEADER}\n2026-01,b10,reject,j.doe,\n{row}\n")
    with pytest.raises(PlannerFileError) as error:
        read_rebalance_decisions(path, display_name="inputs/territory_decisions.csv")
    message = str(error.value)
    assert message.startswith("inputs/territory_decisions.csv: row 3: rule " + rule)
    assert words in message
    assert error.value.file == "inputs/territory_decisions.csv" and len(error.value.problems) == 1


def test_the_same_account_and_month_twice_is_refused_and_all_problems_are_listed(tmp_path):
    text = (
        f"{HEADER}\n2026-01,a20,accept,j.doe,\n2026-01,a20,reject,k.lee,\n2025-12,a20,accept,j.doe,\n2026-01,b10,no,,\n"
    )
    with pytest.raises(PlannerFileError) as error:
        read_rebalance_decisions(write(tmp_path, text))
    problems = error.value.problems
    assert problems[0] == "row 3: rule duplicate_decision: a20 in the proposal of 2026-01 is also decided on row 2"
    assert [p.split(":")[1].strip() for p in problems] == [
        "rule duplicate_decision",
        "rule bad_decision",
        "rule missing_decided_by",
    ]
    assert all(p.startswith("row 3") or p.startswith("row 5") for p in problems)  # 2025-12 is another proposal


def proposal():
    return propose_rebalance(TWO_REP_BOOK, TWO_REPS, RebalancePolicy(band=0.25)).moves


def test_accepted_moves_are_made_rejected_and_pending_are_not(tmp_path):
    # the proposal of 2026-01 moves a20 (A → B); add a second proposed move by hand for the pending case
    moves = pd.concat(
        [
            proposal(),
            pd.DataFrame([["c10", "N", "B", "A", "T2", "T1", 10.0, 10.0, "balance"]], columns=MOVE_COLUMNS),
        ],
        ignore_index=True,
    )
    path = write(tmp_path, f"{HEADER}\n2026-01,a20,accept,j.doe,fine\n2025-12,zz,accept,j.doe,an older proposal\n")
    decisions = read_rebalance_decisions(path)
    book, decided = apply_decisions(TWO_REP_BOOK, moves, decisions, date(2026, 1, 31))
    assert decided["decision"].tolist() == ["accept", "pending"]
    assert decided["decided_by"].tolist() == ["j.doe", ""]
    owners = dict(zip(book["account_id"], book["owner_rep_id"]))
    territories = dict(zip(book["account_id"], book["territory_id"]))
    assert (owners["a20"], territories["a20"]) == ("B", "T2")  # accepted: made
    assert (owners["c10"], territories["c10"]) == ("B", "T2")  # pending: not made

    path = write(tmp_path, f"{HEADER}\n2026-01,a20,reject,j.doe,keep it\n")
    book, decided = apply_decisions(TWO_REP_BOOK, moves, read_rebalance_decisions(path), "2026-01")
    assert decided["decision"].tolist() == ["reject", "pending"]
    assert book.set_index("account_id").loc["a20", "owner_rep_id"] == "A"  # rejected: stays


def test_a_decision_on_an_account_not_in_the_proposal_is_an_error(tmp_path):
    path = write(tmp_path, f"{HEADER}\n2026-01,a20,accept,j.doe,\n2026-01,a60,accept,j.doe,\n")
    with pytest.raises(PlannerFileError) as error:
        apply_decisions(TWO_REP_BOOK, proposal(), read_rebalance_decisions(path), "2026-01")
    assert str(error.value) == (
        "inputs/territory_decisions.csv: row 3: rule not_in_proposal: account a60 not in the proposal of 2026-01"
    )


def test_no_decisions_leaves_every_move_pending(tmp_path):
    decisions = read_rebalance_decisions(tmp_path / "absent.csv")
    book, decided = apply_decisions(TWO_REP_BOOK, proposal(), decisions, "2026-01")
    assert decided["decision"].tolist() == ["pending"]
    assert book.equals(TWO_REP_BOOK)
