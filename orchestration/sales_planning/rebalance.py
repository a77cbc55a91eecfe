"""The territory rebalancing proposal: which accounts to give to which rep so that every quota rep carries a fair
share of the market potential, moving as few accounts (and as little revenue) as possible. A mixed-integer
program, solved with HiGHS (``highspy``).

Why a MIP. Each move disrupts a customer relationship and a rep's income, so the question is not "what is a
balanced book" but "what is the smallest change that makes the books balanced enough": an assignment of whole
accounts, with a count of moves to minimise, which is what a MIP expresses exactly.

The model, per region (accounts never leave their region; regions are independent blocks)
    Fair share (the mean) m = the region's total potential / its number of quota reps (``territory_balance``).
    Binary x[a, r] = 1 when account a is assigned to rep r; Σ_r x[a, r] = 1 per account.
    Rep potential P_r = Σ_a potential_a · x[a, r].
    Soft band, with slacks s⁻_r, s⁺_r ≥ 0: P_r + s⁻_r ≥ (1 − band)·m and P_r − s⁺_r ≤ (1 + band)·m
    (the model works in units of m: potential_a / m, so the band rows read 1 ± band).
    moved_a = 1 − x[a, current owner]. An uncovered account (owner not a quota rep of the region) has no
    current owner among the x: it always moves, and its move costs nothing.
    Objective (minimised), lexicographic by weights:
        W · Σ_r (s⁻_r + s⁺_r) / m  +  Σ_a moved_a  +  revenue_weight · Σ_a moved_a · bookings_a / b̄
    with bookings_a the account's trailing twelve months' bookings (negative as 0) and b̄ the region's mean
    per account: band violation first, then the number of accounts moved, then the revenue moved (an account
    with the region's average bookings costs 1 + revenue_weight). W = (the cost of moving every movable
    account + 1) / ``BAND_TOLERANCE``, so that cutting the violation by more than ``BAND_TOLERANCE`` · m
    always beats any number of moves: within that tolerance the order is strict.
    Move limit (``max_moves``, company-wide): Σ of the balance moves ≤ max_moves. The limit binds the
    discretionary moves only: uncovered accounts must move anyway and are not counted. With a limit, all
    regions are solved as one model (their blocks joined only by that row), so the limit holds exactly for
    the company; without one, each region is its own model.

The reduction that keeps it small (8,000 accounts × 40 reps would be 320,000 binaries)
    Donors are the reps whose current potential is above the fair share, receivers the others. Only donors'
    accounts and uncovered accounts may move: a donor's account stays or goes to a receiver, an uncovered
    account goes to a receiver; every receiver's account stays (a constant in P_r). Why this loses little:
    moving an account out of a below-share rep only deepens its shortfall, and moving one into an above-share
    rep only pushes it farther over, so a best answer needs such a move only to fine-tune granularity (a swap
    of a large account for small ones), which the band's width normally makes unnecessary. The answer is
    optimal for the reduced model; it can, rarely, need a move more (or leave a little more violation) than
    the full model would. The tests check it against a brute force over every assignment of a small case.

Solving, in two steps (every HiGHS MIP with ``threads`` 1, ``mip_rel_gap`` and ``time_limit`` from the policy)
    The receivers are interchangeable for the cost (a move costs the same whoever receives the account), so
    the x[a, r] model is full of symmetric solutions that make HiGHS's search slow. Hence:
    1. Which accounts leave: binary y_a per donor account (y_a = moved_a), the donors' soft bands as above,
       and the receivers' bands summed into one on what they take in, I = uncovered + Σ_a potential_a · y_a:
       Σ_r max(0, (1 − band)·m − book_r) ≤ I ≤ Σ_r ((1 + band)·m − book_r), soft with its own slacks (their
       own accounts stay, so no receiver can pass a surplus to another); same objective and move limit. Every
       solution of the reduced model maps onto this one with the same move cost and a violation at least as
       large (the summed band is violated by no more than the receivers' bands together), so its optimum is
       a lower bound of the reduced model's.
    2. Where they go: the leaving and uncovered accounts, largest first, each to the receiver farthest below
       the fair share, then single moves between receivers while one cuts the violation. When the receivers'
       violation then equals the summed band's, the assignment reaches the lower bound: it is optimal for
       the reduced model, status ``Optimal``. Otherwise (the leaving
       accounts do not split into the receivers' needs: a receiver is left just short of its lower edge) a
       receiver still short gets one more donor account, the cheapest that fills its gap, and the reduced
       x[a, r] model itself is solved, started from that assignment, in the time left. Its status is
       reported, with the gap measured against the better of step 1's bound and HiGHS's own (``Optimal``
       when that gap is within ``mip_rel_gap``). When step 1 itself stops short (time limit), its
       assignment is packed and its status reported with the gap.
    The time limit is a budget for the whole proposal: each region's model gets the time left divided by the
    regions left. Every solve starts from a feasible assignment (no moves; uncovered accounts packed), so a
    time limit still leaves a proposal; the status is HiGHS's model status text, with the remaining gap when
    it stopped short.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.sales_planning.territory_balance import check_book, covered, fair_share, region_balance, rep_books

#: a rep within (1 ± band) · fair share ± this share of the fair share meets the band
BAND_TOLERANCE = 1e-4
#: values of binaries above this are read as 1
ONE = 0.5
#: at most this many single-account moves between receivers improve a packing
PACKING_ROUNDS = 200
MOVE_COLUMNS = [
    "account_id",
    "region_code",
    "from_rep_id",
    "to_rep_id",
    "from_territory_id",
    "to_territory_id",
    "potential_usd",
    "trailing_bookings_usd",
    "reason",
]
BAND_COLUMNS = [
    "region_code",
    "reps",
    "mean_potential_usd",
    "lower_usd",
    "upper_usd",
    "violation_before_usd",
    "violation_after_usd",
    "band_met",
    "moves",
    "status",
]


@dataclass(frozen=True)
class RebalancePolicy:
    """How the proposal trades balance against disruption.

    ``band``: each rep's potential should lie within ±band of the region's fair share. ``max_moves``: at most
    this many balance moves company-wide (None: no limit; uncovered accounts move regardless).
    ``revenue_weight``: the cost of moving an account with the region's average trailing bookings, on top of
    the 1 every move costs. ``time_limit_seconds``: the solver's budget for the whole proposal.
    ``mip_rel_gap``: the relative gap at which HiGHS may stop (0: prove optimal).
    """

    band: float = 0.15
    max_moves: int | None = None
    revenue_weight: float = 1.0
    time_limit_seconds: float = 8.0
    mip_rel_gap: float = 0.0

    def __post_init__(self):
        problems = []
        if not (isinstance(self.band, (int, float)) and 0 <= self.band < 1):
            problems.append(f"band {self.band!r} must be in [0, 1)")
        if self.max_moves is not None and (
            isinstance(self.max_moves, bool) or not isinstance(self.max_moves, int) or self.max_moves < 0
        ):
            problems.append(f"max_moves {self.max_moves!r} must be None or an integer ≥ 0")
        if not (isinstance(self.revenue_weight, (int, float)) and math.isfinite(self.revenue_weight)):
            problems.append(f"revenue_weight {self.revenue_weight!r} must be a number ≥ 0")
        elif self.revenue_weight < 0:
            problems.append(f"revenue_weight {self.revenue_weight!r} must be a number ≥ 0")
        if not (isinstance(self.time_limit_seconds, (int, float)) and self.time_limit_seconds > 0):
            problems.append(f"time_limit_seconds {self.time_limit_seconds!r} must be > 0")
        if not (isinstance(self.mip_rel_gap, (int, float)) and 0 <= self.mip_rel_gap < 1):
            problems.append(f"mip_rel_gap {self.mip_rel_gap!r} must be in [0, 1)")
        if problems:
            raise ValueError("RebalancePolicy: " + "; ".join(problems))


@dataclass
class RebalanceResult:
    """The proposal and what it does.

    - ``moves``: ``MOVE_COLUMNS``, one row per account to move (region, account_id order); ``reason``
      ``balance`` or ``uncovered``.
    - ``before``, ``after``: ``territory_balance.region_balance`` of the book as it is and with every move made.
    - ``status``: HiGHS's model status (``Optimal``; ``Time limit reached (gap 1.20%)``), one text when every
      model agrees, else ``region: status`` per region.
    - ``objective``: the model's objective at the proposal (module doc), summed over regions.
    - ``band_met``: ``BAND_COLUMNS`` per region: the fair share and band in USD, the violation (USD outside the
      band, summed over reps) before and after, whether every rep is within the band after (and no account is
      left uncovered), the moves and the status of the region's model.
    - ``solve_seconds``: HiGHS's run time, summed; ``variables``, ``constraints``: the size of the model(s).
    """

    moves: pd.DataFrame
    before: pd.DataFrame
    after: pd.DataFrame
    status: str
    objective: float
    band_met: pd.DataFrame
    solve_seconds: float
    variables: int
    constraints: int


@dataclass
class _Block:
    """One region's part of the model: its reps, their current books and the accounts that may move."""

    region: str
    rep_ids: list
    mean: float  # the fair share, USD
    current: np.ndarray  # per rep: potential of the covered accounts it owns now, USD
    accounts: pd.DataFrame  # movable accounts: account_id, potential_usd, owner (rep position, -1 uncovered), cost

    @property
    def scale(self) -> float:
        return self.mean if self.mean > 0 else 1.0

    @property
    def is_donor(self) -> np.ndarray:
        return self.current > self.mean

    @property
    def receivers(self) -> np.ndarray:
        return np.flatnonzero(~self.is_donor)

    @property
    def fixed(self) -> np.ndarray:
        """Per rep, the potential that cannot move (scaled): a receiver's whole book, nothing of a donor's."""
        return np.where(self.is_donor, 0.0, self.current) / self.scale

    def potential(self) -> np.ndarray:
        return self.accounts["potential_usd"].to_numpy(dtype=float) / self.scale


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _block(region: str, accounts: pd.DataFrame, rep_ids: list, mean: float, policy: RebalancePolicy) -> _Block:
    """The region's reps, their books and the movable accounts with the cost of moving each."""
    position = {rep: i for i, rep in enumerate(rep_ids)}
    potential = _numbers(accounts["potential_usd"])
    owner = np.array(
        [position.get(o, -1) if ok else -1 for o, ok in zip(accounts["owner_rep_id"], accounts["_covered"])],
        dtype=int,
    )
    current = np.zeros(len(rep_ids))
    np.add.at(current, owner[owner >= 0], potential[owner >= 0])
    movable = (owner < 0) | ((current > mean)[np.maximum(owner, 0)] & (owner >= 0))
    bookings = np.maximum(_numbers(accounts["trailing_bookings_usd"]), 0.0)
    mean_bookings = float(bookings.mean()) if len(bookings) else 0.0
    ratio = bookings / mean_bookings if mean_bookings > 0 else np.zeros_like(bookings)
    cost = np.where(owner < 0, 0.0, 1.0 + policy.revenue_weight * ratio)
    movable_accounts = pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[movable],
            "potential_usd": potential[movable],
            "owner": owner[movable],
            "cost": cost[movable],
        }
    )
    return _Block(region, list(rep_ids), mean, current, movable_accounts.reset_index(drop=True))


def _band_weight(blocks: list[_Block]) -> float:
    """W: one mean of band violation outweighs moving every movable account, by 1 / BAND_TOLERANCE."""
    return (sum(float(b.accounts["cost"].sum()) for b in blocks) + 1.0) / BAND_TOLERANCE


def _violation(block: _Block, chosen: np.ndarray, band: float) -> np.ndarray:
    """Per rep: how far (in means) its book with the accounts assigned as ``chosen`` lies outside the band."""
    load = block.fixed.copy()
    np.add.at(load, chosen, block.potential())
    return np.maximum(0.0, (1 - band) - load) + np.maximum(0.0, load - (1 + band))


def _objective(blocks: list[_Block], chosen: list[np.ndarray], band: float) -> float:
    """The model's objective of an assignment: W · violation + the cost of the accounts moved."""
    weight = _band_weight(blocks)
    total = 0.0
    for b, c in zip(blocks, chosen):
        total += weight * float(_violation(b, c, band).sum())
        total += float(b.accounts["cost"].to_numpy()[c != b.accounts["owner"].to_numpy()].sum())
    return total


@dataclass
class _Run:
    """What one HiGHS run gives back: its model status text, whether optimal, the values (None when it found no
    solution), its run time and the dual bound (−inf when none)."""

    status: str
    optimal: bool
    values: np.ndarray | None
    seconds: float
    dual_bound: float


@dataclass
class _Mip:
    """A MIP in column form: minimise cost · x, 0 ≤ x ≤ upper, row_lower ≤ A x ≤ row_upper."""

    cost: list = field(default_factory=list)
    upper: list = field(default_factory=list)
    integer: list = field(default_factory=list)
    start: list = field(default_factory=list)
    row_lower: list = field(default_factory=list)
    row_upper: list = field(default_factory=list)
    entries: list = field(default_factory=list)  # (rows, cols, values) arrays
    n_col: int = 0
    n_row: int = 0

    def columns(self, cost, upper, integer, start) -> np.ndarray:
        n = len(cost)
        self.cost.append(np.asarray(cost, dtype=float))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        self.integer.append(np.full(n, bool(integer)))
        self.start.append(np.asarray(start, dtype=float))
        self.n_col += n
        return np.arange(self.n_col - n, self.n_col)

    def rows(self, lower, upper) -> np.ndarray:
        n = len(lower)
        self.row_lower.append(np.asarray(lower, dtype=float))
        self.row_upper.append(np.asarray(upper, dtype=float))
        self.n_row += n
        return np.arange(self.n_row - n, self.n_row)

    def add(self, rows, cols, values) -> None:
        rows, cols = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
        self.entries.append((rows, cols, np.broadcast_to(np.asarray(values, dtype=float), rows.shape)))

    def solve(self, time_limit: float, gap: float) -> _Run:
        """HiGHS on this MIP, from its start."""
        import highspy

        inf = highspy.kHighsInf
        rows = np.concatenate([e[0] for e in self.entries]) if self.entries else np.zeros(0, dtype=np.int32)
        cols = np.concatenate([e[1] for e in self.entries]) if self.entries else np.zeros(0, dtype=np.int32)
        values = np.concatenate([e[2] for e in self.entries]) if self.entries else np.zeros(0)
        keep = values != 0
        rows, cols, values = rows[keep], cols[keep], values[keep]
        order = np.lexsort((rows, cols))
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = self.n_col, self.n_row
        model.col_cost_ = np.concatenate(self.cost)
        model.col_lower_ = np.zeros(self.n_col)
        model.col_upper_ = np.where(np.isinf(np.concatenate(self.upper)), inf, np.concatenate(self.upper))
        model.row_lower_ = np.where(np.isinf(np.concatenate(self.row_lower)), -inf, np.concatenate(self.row_lower))
        model.row_upper_ = np.where(np.isinf(np.concatenate(self.row_upper)), inf, np.concatenate(self.row_upper))
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = np.searchsorted(cols[order], np.arange(self.n_col + 1)).astype(np.int32)
        model.a_matrix_.index_ = rows[order]
        model.a_matrix_.value_ = values[order]
        model.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in np.concatenate(self.integer)
        ]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        h.setOptionValue("mip_rel_gap", float(gap))
        h.passModel(model)
        start = highspy.HighsSolution()
        start.col_value = list(np.concatenate(self.start))
        start.value_valid = True
        h.setSolution(start)
        h.run()
        status, info = h.getModelStatus(), h.getInfo()
        found = info.primal_solution_status == 2  # kSolutionStatusFeasible
        return _Run(
            status=h.modelStatusToString(status),
            optimal=status == highspy.HighsModelStatus.kOptimal,
            values=np.asarray(h.getSolution().col_value, dtype=float) if found else None,
            seconds=float(h.getRunTime()),
            dual_bound=float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else -math.inf,
        )


def _pool_bounds(block: _Block, band: float) -> tuple[float, float]:
    """What the receivers must take in to reach their lower edges, Σ_r max(0, (1 − band) − book_r), and the room
    they have to their upper edges, Σ_r ((1 + band) − book_r) (in means). Their own accounts stay, so no
    receiver can pass a surplus to another: taking in I, the receivers are outside the band by at least
    max(0, need − I) + max(0, I − room) in total."""
    fixed = block.fixed[block.receivers]
    return float(np.maximum(0.0, (1 - band) - fixed).sum()), float(((1 + band) - fixed).sum())


def _stage_one(blocks: list[_Block], policy: RebalancePolicy, max_moves: int | None) -> tuple[_Mip, list]:
    """Which donor accounts leave: binaries y (1 = the account leaves its donor), the donors' soft bands, and the
    receivers' band summed over them (the receivers as one pool), with the move limit when there is one."""
    mip, band, weight = _Mip(), policy.band, _band_weight(blocks)
    leaving_cols, all_y = [], []
    for b in blocks:
        owner = b.accounts["owner"].to_numpy()
        donor_accounts = np.flatnonzero(owner >= 0)
        p = b.potential()
        y = mip.columns(b.accounts["cost"].to_numpy()[donor_accounts], 1.0, True, np.zeros(len(donor_accounts)))
        leaving_cols.append((donor_accounts, y))
        all_y.append(y)
        donors = np.flatnonzero(b.is_donor)
        load = b.current[donors] / b.scale
        slack_low = mip.columns(np.full(len(donors), weight), np.inf, False, np.maximum(0, (1 - band) - load))
        slack_high = mip.columns(np.full(len(donors), weight), np.inf, False, np.maximum(0, load - (1 + band)))
        low = mip.rows((1 - band) - load, np.full(len(donors), np.inf))
        high = mip.rows(np.full(len(donors), -np.inf), (1 + band) - load)
        donor_row = {d: i for i, d in enumerate(donors)}
        which = np.array([donor_row[o] for o in owner[donor_accounts]], dtype=int)
        mip.add(low[which], y, -p[donor_accounts])
        mip.add(high[which], y, -p[donor_accounts])
        mip.add(low, slack_low, 1.0)
        mip.add(high, slack_high, -1.0)
        # the pool: what the receivers take in (uncovered accounts + what leaves the donors) between what they
        # need to reach the lower edge and the room they have to the upper edge
        need, room = _pool_bounds(b, band)
        uncovered = float(p[owner < 0].sum())
        lower, upper = need - uncovered, room - uncovered
        pool_low = mip.columns([weight], np.inf, False, [max(0.0, lower)])
        pool_high = mip.columns([weight], np.inf, False, [max(0.0, -upper)])
        rows = mip.rows([lower, -np.inf], [np.inf, upper])
        mip.add(np.full(len(y), rows[0]), y, p[donor_accounts])
        mip.add(np.full(len(y), rows[1]), y, p[donor_accounts])
        mip.add([rows[0]], pool_low, 1.0)
        mip.add([rows[1]], pool_high, -1.0)
    if max_moves is not None:
        y = np.concatenate(all_y) if all_y else np.zeros(0, dtype=int)
        row = mip.rows([-np.inf], [float(max_moves)])
        mip.add(np.full(len(y), row[0]), y, 1.0)
    return mip, leaving_cols


def _pack(block: _Block, leaving: np.ndarray, band: float) -> np.ndarray:
    """The assignment of every movable account: a donor account that stays keeps its owner; the leaving and the
    uncovered accounts go, largest first, each to the receiver farthest below the fair share (ties: the receiver
    given the fewest so far, then rep order); then, while one cuts the band violation, the best single move of a
    packed account to another receiver (at most ``PACKING_ROUNDS``)."""
    owner = block.accounts["owner"].to_numpy()
    chosen = owner.copy()
    to_pack = np.flatnonzero(leaving | (owner < 0))
    p = block.potential()
    to_pack = to_pack[np.argsort(-p[to_pack], kind="stable")]
    receivers = block.receivers
    load = block.fixed[receivers].copy()
    packed = np.zeros(len(receivers), dtype=int)
    at = np.zeros(len(to_pack), dtype=int)  # receiver position of each packed account
    for n, k in enumerate(to_pack):
        lowest = np.flatnonzero(load == load.min())
        i = int(lowest[np.argmin(packed[lowest])])  # equal books (e.g. accounts without potential): fewest first
        at[n] = i
        load[i] += p[k]
        packed[i] += 1

    # then the best single move of a packed account between receivers, while one cuts the violation
    def outside(x):
        return np.maximum(0.0, (1 - band) - x) + np.maximum(0.0, x - (1 + band))

    for _ in range(PACKING_ROUNDS):
        if not len(to_pack):
            break
        size = p[to_pack][:, None]
        after = outside(load[at][:, None] - size) + outside(load[None, :] + size)
        gain = outside(load[at])[:, None] + outside(load)[None, :] - after
        gain[np.arange(len(to_pack)), at] = 0.0
        n, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[n, j] <= 1e-12:
            break
        load[at[n]] -= p[to_pack[n]]
        load[j] += p[to_pack[n]]
        at[n] = j
    chosen[to_pack] = receivers[at]
    return chosen


def _full_model(blocks: list[_Block], policy: RebalancePolicy, max_moves: int | None, start: list) -> tuple:
    """The reduced model of the module doc: x[a, r] for each movable account over its owner (a donor account)
    and the receivers, with every rep's soft band and the move limit; started from ``start``."""
    mip, band, weight = _Mip(), policy.band, _band_weight(blocks)
    layout, balance_moves = [], []
    for b, chosen in zip(blocks, start):
        owner = b.accounts["owner"].to_numpy()
        cost = b.accounts["cost"].to_numpy()
        receivers = b.receivers
        col_account, col_rep = [], []
        for k, o in enumerate(owner):
            candidates = ([o] if o >= 0 else []) + [r for r in receivers if r != o]
            col_account += [k] * len(candidates)
            col_rep += candidates
        col_account, col_rep = np.array(col_account, dtype=int), np.array(col_rep, dtype=int)
        moved = col_rep != owner[col_account]
        x = mip.columns(np.where(moved, cost[col_account], 0.0), 1.0, True, col_rep == chosen[col_account])
        layout.append((x, col_account, col_rep))
        balance_moves.append(x[moved & (owner[col_account] >= 0)])
        assign = mip.rows(np.ones(len(owner)), np.ones(len(owner)))
        mip.add(assign[col_account], x, 1.0)
        n_rep = len(b.rep_ids)
        fixed = b.fixed
        load = fixed.copy()
        np.add.at(load, chosen, b.potential())
        low = mip.rows((1 - band) - fixed, np.full(n_rep, np.inf))
        high = mip.rows(np.full(n_rep, -np.inf), (1 + band) - fixed)
        coefficient = b.potential()[col_account]
        mip.add(low[col_rep], x, coefficient)
        mip.add(high[col_rep], x, coefficient)
        slack_low = mip.columns(np.full(n_rep, weight), np.inf, False, np.maximum(0, (1 - band) - load))
        slack_high = mip.columns(np.full(n_rep, weight), np.inf, False, np.maximum(0, load - (1 + band)))
        mip.add(low, slack_low, 1.0)
        mip.add(high, slack_high, -1.0)
    if max_moves is not None:
        cols = np.concatenate(balance_moves) if balance_moves else np.zeros(0, dtype=int)
        row = mip.rows([-np.inf], [float(max_moves)])
        mip.add(np.full(len(cols), row[0]), cols, 1.0)
    return mip, layout


@dataclass
class _Solved:
    assignment: list[np.ndarray]  # per block: chosen rep position per movable account
    status: str
    objective: float  # the model's objective at the assignment
    seconds: float
    variables: int
    constraints: int


def _repair(block: _Block, chosen: np.ndarray, band: float) -> np.ndarray:
    """A packing with receivers just short of their lower edge (the leaving accounts' sizes do not split into
    the receivers' needs): give the receiver farthest below one more donor account, the cheapest that fills its
    gap without taking its donor below the lower edge or the receiver above the upper edge, while there is one
    (at most ``PACKING_ROUNDS`` times)."""
    chosen = chosen.copy()
    owner = block.accounts["owner"].to_numpy()
    cost = block.accounts["cost"].to_numpy()
    p = block.potential()
    receivers = block.receivers
    for _ in range(PACKING_ROUNDS):
        load = block.fixed.copy()
        np.add.at(load, chosen, p)
        short = (1 - band) - load[receivers]
        if short.max() <= 1e-12:
            break
        r = int(receivers[np.argmax(short)])
        gap = float(short.max())
        staying = (owner >= 0) & (chosen == owner)
        fits = staying & (p >= gap) & (load[np.maximum(owner, 0)] - p >= 1 - band) & (load[r] + p <= 1 + band)
        if not fits.any():
            break
        candidates = np.flatnonzero(fits)
        k = candidates[np.lexsort((p[candidates], cost[candidates]))[0]]
        chosen[k] = r
    return chosen


def _solve(blocks: list[_Block], policy: RebalancePolicy, max_moves: int | None, time_limit: float) -> _Solved:
    """The blocks' proposal (joined by the move limit when there is one), in two steps (module doc): which donor
    accounts leave, then where they go; the full reduced model only when the packing cannot prove the first
    step's optimum."""
    started = time.monotonic()
    band = policy.band
    first, leaving_cols = _stage_one(blocks, policy, max_moves)
    run = first.solve(time_limit, policy.mip_rel_gap)
    seconds, variables, constraints = run.seconds, first.n_col, first.n_row
    lower_bound = run.dual_bound  # of the reduced model too (module doc)
    chosen = []
    certified = run.optimal
    for b, (donor_accounts, y) in zip(blocks, leaving_cols):
        leaving = np.zeros(len(b.accounts), dtype=bool)
        if run.values is not None:
            leaving[donor_accounts] = run.values[y] > ONE
        chosen.append(_pack(b, leaving, band))
        # the pool's violation is a lower bound of the receivers' summed violation: equal, the packing is optimal
        receivers = b.receivers
        violation = float(_violation(b, chosen[-1], band)[receivers].sum())
        taken_in = float(b.potential()[np.isin(chosen[-1], receivers) & (chosen[-1] != b.accounts["owner"])].sum())
        need, room = _pool_bounds(b, band)
        pool = max(0.0, need - taken_in) + max(0.0, taken_in - room)
        certified = certified and violation <= pool + 1e-9 * max(1, len(receivers))
    if not certified and run.optimal:
        repaired = [_repair(b, c, band) for b, c in zip(blocks, chosen)]
        if _objective(blocks, repaired, band) < _objective(blocks, chosen, band):
            chosen = repaired
        full, layout = _full_model(blocks, policy, max_moves, chosen)
        run = full.solve(time_limit - (time.monotonic() - started), policy.mip_rel_gap)
        seconds += run.seconds
        variables, constraints = variables + full.n_col, constraints + full.n_row
        lower_bound = max(lower_bound, run.dual_bound)
        if run.values is not None:
            improved = []
            for b, (x, col_account, col_rep) in zip(blocks, layout):
                picked = x[run.values[x] > ONE]
                assignment = np.full(len(b.accounts), -1)
                assignment[col_account[picked - x[0]]] = col_rep[picked - x[0]]
                improved.append(assignment)
            if _objective(blocks, improved, band) <= _objective(blocks, chosen, band):
                chosen = improved
    objective = _objective(blocks, chosen, band)
    status = run.status
    if not run.optimal and math.isfinite(lower_bound):
        gap = max(0.0, objective - lower_bound) / max(abs(objective), 1e-9)
        status = "Optimal" if gap <= policy.mip_rel_gap + 1e-9 else f"{status} (gap {gap:.2%})"
    return _Solved(chosen, status, objective, seconds, variables, constraints)


def _combined_status(statuses: dict) -> str:
    """One status when every region's model agrees, else ``region: status`` per region."""
    distinct = sorted(set(statuses.values()))
    if len(distinct) <= 1:
        return distinct[0] if distinct else "Optimal"
    return "; ".join(f"{region}: {status}" for region, status in statuses.items())


def apply_moves(book: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    """``book`` with every move of ``moves`` made: the account's owner becomes ``to_rep_id`` and its territory
    ``to_territory_id``. Raises ValueError for a move of an account that is not in the book."""
    out = book.copy()
    if moves.empty:
        return out
    position = pd.Index(out["account_id"])
    unknown = [a for a in moves["account_id"] if a not in position]
    if unknown:
        raise ValueError(f"apply_moves: account {unknown[0]} is not in the book")
    rows = position.get_indexer(moves["account_id"])
    owner_col, territory_col = out.columns.get_loc("owner_rep_id"), out.columns.get_loc("territory_id")
    out["owner_rep_id"] = out["owner_rep_id"].astype(object)
    out["territory_id"] = out["territory_id"].astype(object)
    out.iloc[rows, owner_col] = moves["to_rep_id"].to_numpy()
    out.iloc[rows, territory_col] = moves["to_territory_id"].to_numpy()
    return out


def _band_rows(book: pd.DataFrame, after_book: pd.DataFrame, reps: pd.DataFrame, policy, moves, statuses) -> list:
    means = fair_share(book, reps)
    before_books, after_books = rep_books(book, reps), rep_books(after_book, reps)
    uncovered_after = after_book[~covered(after_book, reps)].groupby("region_code")["account_id"].count()
    moves_per_region = moves.groupby("region_code")["account_id"].count() if len(moves) else pd.Series(dtype=int)
    rows = []
    for region, status in statuses.items():
        mean = means.get(region, float("nan"))
        lower, upper = (1 - policy.band) * mean, (1 + policy.band) * mean

        def outside(books: pd.DataFrame) -> np.ndarray:
            p = books.loc[books["region_code"] == region, "potential_usd"].to_numpy(dtype=float)
            return np.maximum(0.0, lower - p) + np.maximum(0.0, p - upper)

        after = outside(after_books)
        met = (
            math.isfinite(mean)
            and bool((after <= BAND_TOLERANCE * mean + 0.005).all())
            and int(uncovered_after.get(region, 0)) == 0
        )
        rows.append(
            {
                "region_code": region,
                "reps": int((reps["region_code"] == region).sum()),
                "mean_potential_usd": round(mean, 2),
                "lower_usd": round(lower, 2),
                "upper_usd": round(upper, 2),
                "violation_before_usd": round(float(outside(before_books).sum()), 2),
                "violation_after_usd": round(float(after.sum()), 2),
                "band_met": met,
                "moves": int(moves_per_region.get(region, 0)),
                "status": status,
            }
        )
    return rows


def propose_rebalance(
    book: pd.DataFrame, reps: pd.DataFrame, policy: RebalancePolicy = RebalancePolicy()
) -> RebalanceResult:
    """The rebalancing proposal for ``book`` (``territory_balance.BOOK_COLUMNS``) over the quota ``reps``
    (rep_id, territory_id, region_code): the MIP of the module doc, one model per region (one joined model
    when ``policy.max_moves`` is set), solved with HiGHS. A region without quota reps is left as it is (its
    uncovered accounts stay uncovered, ``band_met`` false, status ``No quota reps``)."""
    check_book(book, reps)
    data = book.copy()
    data["_covered"] = covered(book, reps)
    means = fair_share(book, reps)
    regions = sorted(set(data["region_code"]) | set(reps["region_code"]), key=str)
    statuses: dict = {}
    blocks: list[_Block] = []
    for region in regions:
        rep_ids = sorted(reps.loc[reps["region_code"] == region, "rep_id"], key=str)
        if not rep_ids:
            statuses[region] = "No quota reps"
            continue
        accounts = data[data["region_code"] == region].sort_values("account_id", kind="stable")
        block = _block(region, accounts, rep_ids, means[region], policy)
        statuses[region] = "Optimal"  # nothing to decide when no account may move
        if len(block.accounts):
            blocks.append(block)

    started = time.monotonic()
    solved: list[tuple[_Block, np.ndarray]] = []
    objective = seconds = 0.0
    variables = constraints = 0
    groups = [[b] for b in blocks] if policy.max_moves is None else ([blocks] if blocks else [])
    for i, group in enumerate(groups):
        left = policy.time_limit_seconds - (time.monotonic() - started)
        result = _solve(group, policy, policy.max_moves, left / (len(groups) - i))
        solved += list(zip(group, result.assignment))
        objective += result.objective
        seconds += result.seconds
        variables += result.variables
        constraints += result.constraints
        for b in group:
            statuses[b.region] = result.status

    territory_of_rep = dict(zip(reps["rep_id"], reps["territory_id"]))
    by_account = data.set_index("account_id")
    moves = []
    for b, chosen in solved:
        for account, owner, rep in zip(b.accounts["account_id"], b.accounts["owner"], chosen):
            if rep == owner:
                continue
            row = by_account.loc[account]
            to_rep = b.rep_ids[rep]
            moves.append(
                {
                    "account_id": account,
                    "region_code": b.region,
                    "from_rep_id": row["owner_rep_id"],
                    "to_rep_id": to_rep,
                    "from_territory_id": row["territory_id"],
                    "to_territory_id": territory_of_rep[to_rep],
                    "potential_usd": float(row["potential_usd"]),
                    "trailing_bookings_usd": float(row["trailing_bookings_usd"]),
                    "reason": "balance" if owner >= 0 else "uncovered",
                }
            )
    moves_frame = pd.DataFrame(moves, columns=MOVE_COLUMNS)
    if len(moves_frame):
        moves_frame = moves_frame.sort_values(["region_code", "account_id"], kind="stable").reset_index(drop=True)
    after_book = apply_moves(book, moves_frame)
    band = pd.DataFrame(_band_rows(book, after_book, reps, policy, moves_frame, statuses), columns=BAND_COLUMNS)
    return RebalanceResult(
        moves=moves_frame,
        before=region_balance(book, reps),
        after=region_balance(after_book, reps),
        status=_combined_status(statuses),
        objective=objective,
        band_met=band,
        solve_seconds=seconds,
        variables=variables,
        constraints=constraints,
    )
