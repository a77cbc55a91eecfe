"""The sales organisation: two directors, a manager per territory, and the reps over time.

Drawn once from the WORKFORCE master stream over the fixed horizon. Reps leave (a replacement
joins on the 1st of their last month, for a hand-over), a few move to a neighbouring territory
(a backfill joins the old one), and territories hire as they grow. All staff changes take
effect on the 1st of a month; a leaver's last working day is the last day of the month before.
The staffing timeline is also emitted as ``StaffChange`` events for the account owners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from . import identifiers, names
from .geography import TERRITORIES
from .streams import MasterStream, master_rng

ROLE_REP = "Sales Rep"
ROLE_MANAGER = "Sales Manager"
ROLE_DIRECTOR = "Sales Director"
COMPANY_DOMAIN = "kestrel-industrial.com"

REPS_AT_SCALE_1 = 46
MONTHLY_LEAVE_RATE = 0.005
MONTHLY_MOVE_RATE = 0.0012
MONTHLY_GROWTH_HIRE_RATE_PER_REP = 0.0025

#: the two directors and the territories whose managers report to them
DIRECTORATES = (("NAM-E", (0, 1, 2)), ("EUR-DACH", (3, 4, 5, 6, 7)))


@dataclass(frozen=True)
class StaffChange:
    """A rep joining or leaving a territory on the 1st of horizon month ``position``.

    ``join``: ``user`` starts selling in ``territory``; with ``takes_share`` they take over a
    fair share of the territory's accounts (growth hires, reps moving in).
    ``depart``: ``user`` stops selling in ``territory``; ``successor`` takes over their accounts.
    """

    position: int
    kind: str
    user: int
    territory: int
    successor: int = -1
    takes_share: bool = False


@dataclass
class Workforce:
    user_id: np.ndarray  # str
    name: np.ndarray  # str
    email: np.ndarray  # str
    role: np.ndarray  # str
    hire_date: np.ndarray  # datetime64[D]
    leave_date: np.ndarray  # datetime64[D]: deactivation date (1st of the month after the last day)
    skill: np.ndarray  # win-rate multiplier of the rep
    territory_at: np.ndarray  # [user, horizon month] territory at month end (-1 before hire)
    manager_of_territory: np.ndarray  # [territory] user index
    director_of_territory: np.ndarray  # [territory] user index
    changes: list[StaffChange]
    #: (user, timestamp) of every change to a user record (hire, move, deactivation)
    change_times: tuple[np.ndarray, np.ndarray]

    @property
    def count(self) -> int:
        return len(self.user_id)

    def manager_id_at(self, position: int) -> np.ndarray:
        """ManagerId of every user at the end of horizon month ``position`` (None for directors)."""
        manager = np.full(self.count, None, dtype=object)
        for u in range(self.count):
            t = self.territory_at[u, position]
            if t < 0:
                continue
            if self.role[u] == ROLE_REP:
                manager[u] = self.user_id[self.manager_of_territory[t]]
            elif self.role[u] == ROLE_MANAGER:
                manager[u] = self.user_id[self.director_of_territory[t]]
        return manager

    def reps_selling_in(self, month: int) -> np.ndarray:
        """Reps employed during ``month`` (quota holders)."""
        first = cal.first_day(month)
        r = cal.horizon_position(month)
        employed = (self.hire_date <= cal.last_day(month)) & (np.isnat(self.leave_date) | (self.leave_date > first))
        return np.flatnonzero(employed & (self.role == ROLE_REP) & (self.territory_at[:, r] >= 0))


def build_workforce(seed: int, scale: float) -> Workforce:
    rng = master_rng(seed, MasterStream.WORKFORCE)
    months = cal.HORIZON_MONTHS
    names_taken: set[str] = set()
    emails_taken: set[str] = set()
    rows: list[dict] = []
    territory_from: list[list[tuple[int, int]]] = []  # per user: (from position, territory)
    changes: list[StaffChange] = []
    change_user: list[int] = []
    change_ts: list[np.datetime64] = []

    def add_user(role: str, territory: int, hire: np.datetime64, position: int) -> int:
        culture = TERRITORIES[territory].culture
        name = names.person_name(rng, culture)
        while name in names_taken:
            name = names.person_name(rng, culture)
        names_taken.add(name)
        rows.append(
            dict(
                name=name,
                email=names.email_address(name, COMPANY_DOMAIN, emails_taken),
                role=role,
                hire=hire,
                leave=np.datetime64("NaT", "D"),
                skill=float(rng.lognormal(0.0, 0.15)),
            )
        )
        territory_from.append([(position, territory)])
        change_user.append(len(rows) - 1)
        change_ts.append(hire.astype("datetime64[s]") + np.timedelta64(8 * 3600, "s"))
        return len(rows) - 1

    def past_date(first: str, last: str) -> np.datetime64:
        lo, hi = np.datetime64(first), np.datetime64(last)
        return lo + np.timedelta64(int(rng.integers(0, (hi - lo).astype(int))), "D")

    directors = {}
    for home, terrs in DIRECTORATES:
        t_home = next(t.index for t in TERRITORIES if t.name == home)
        d = add_user(ROLE_DIRECTOR, t_home, past_date("2009-01-01", "2016-12-31"), 0)
        for t in terrs:
            directors[t] = d
    managers = [add_user(ROLE_MANAGER, t.index, past_date("2011-01-01", "2019-12-31"), 0) for t in TERRITORIES]

    active: dict[int, list[int]] = {t.index: [] for t in TERRITORIES}
    for t in TERRITORIES:
        for _ in range(max(1, int(round(REPS_AT_SCALE_1 * scale * t.rep_share)))):
            active[t.index].append(add_user(ROLE_REP, t.index, past_date("2013-01-01", "2020-12-01"), 0))

    leaving: list[tuple[int, int, int]] = []  # (user, territory, replacement) leaving at this month's 1st
    for r in range(1, months):
        day = cal.first_day(cal.EPOCH_INDEX + r)
        ts = day.astype("datetime64[s]")
        # leavers decided last month: deactivated today, their accounts go to the replacement
        for user, t, successor in leaving:
            active[t].remove(user)
            rows[user]["leave"] = day
            changes.append(StaffChange(r, "depart", user, t, successor=successor))
            change_user.append(user)
            change_ts.append(ts + np.timedelta64(6 * 3600, "s"))
        leaving = []
        # reps who will leave at the end of this month: a replacement joins today
        if r < months - 1:
            for t in range(len(TERRITORIES)):
                for user in list(active[t]):
                    tenure = (day - rows[user]["hire"]).astype(int)
                    if tenure > 180 and rng.random() < MONTHLY_LEAVE_RATE:
                        repl = add_user(ROLE_REP, t, day, r)
                        active[t].append(repl)
                        changes.append(StaffChange(r, "join", repl, t))
                        leaving.append((user, t, repl))
        departing = {u for u, _, _ in leaving}
        # moves to a neighbouring territory, with a backfill in the old one
        for t in range(len(TERRITORIES)):
            for user in list(active[t]):
                tenure = (day - rows[user]["hire"]).astype(int)
                if user in departing or tenure < 365 or rng.random() >= MONTHLY_MOVE_RATE:
                    continue
                region = TERRITORIES[t].region
                same = [o.index for o in TERRITORIES if o.region == region and o.index != t]
                others = same or [o.index for o in TERRITORIES if o.index != t]
                new_t = others[rng.integers(len(others))]
                backfill = add_user(ROLE_REP, t, day, r)
                active[t].append(backfill)
                changes.append(StaffChange(r, "join", backfill, t))
                active[t].remove(user)
                changes.append(StaffChange(r, "depart", user, t, successor=backfill))
                active[new_t].append(user)
                changes.append(StaffChange(r, "join", user, new_t, takes_share=True))
                territory_from[user].append((r, new_t))
                change_user.append(user)
                change_ts.append(ts + np.timedelta64(7 * 3600, "s"))
        # growth hires
        for t in range(len(TERRITORIES)):
            if rng.random() < MONTHLY_GROWTH_HIRE_RATE_PER_REP * len(active[t]):
                hire = add_user(ROLE_REP, t, day, r)
                active[t].append(hire)
                changes.append(StaffChange(r, "join", hire, t, takes_share=True))

    n = len(rows)
    territory_at = np.full((n, months), -1, dtype=np.int16)
    for u in range(n):
        hire_pos = max(0, cal.month_of(np.array([rows[u]["hire"]]))[0] - cal.EPOCH_INDEX)
        for position, t in territory_from[u]:
            territory_at[u, max(position, hire_pos) :] = t
    ids = identifiers.salesforce_ids(identifiers.USER, range(1, n + 1))
    order = np.argsort(np.array(change_ts), kind="stable")
    return Workforce(
        user_id=ids,
        name=np.array([row["name"] for row in rows], dtype=object),
        email=np.array([row["email"] for row in rows], dtype=object),
        role=np.array([row["role"] for row in rows], dtype=object),
        hire_date=np.array([row["hire"] for row in rows], dtype="datetime64[D]"),
        leave_date=np.array([row["leave"] for row in rows], dtype="datetime64[D]"),
        skill=np.array([row["skill"] for row in rows]),
        territory_at=territory_at,
        manager_of_territory=np.array(managers),
        director_of_territory=np.array([directors[t.index] for t in TERRITORIES]),
        changes=changes,
        change_times=(np.array(change_user)[order], np.array(change_ts, dtype="datetime64[s]")[order]),
    )
