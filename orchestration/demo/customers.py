"""Customer accounts: the CRM account, its ERP customer, and who owns it over time.

Drawn once from the ACCOUNTS master stream over the fixed horizon. Most accounts exist when
the history starts; new ones are created every month. Every CRM account has an ERP customer
(``C100234``), but about one in eight CRM accounts never gets the ERP number typed into
``ERP_Customer_Number__c`` (a few more get it filled in later), and about a third of the ERP
customers are spelled differently from the CRM name. A few ERP customers (cash sales, spare
parts dealers) have no CRM account at all. Owners follow the staffing changes: a leaver's
accounts go to the replacement, growth hires and reps moving in take a share of the territory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from . import identifiers, names
from .geography import TERRITORIES
from .streams import MasterStream, master_rng
from .workforce import ROLE_REP, Workforce

SEGMENTS: tuple[str, ...] = ("Enterprise", "Mid-Market", "SMB")
SEGMENT_SHARE = np.array([0.12, 0.33, 0.55])
#: relative ordering activity and customer discount range per segment
SEGMENT_ACTIVITY = np.array([8.0, 3.0, 1.0])
SEGMENT_DISCOUNT = ((0.14, 0.24), (0.07, 0.14), (0.0, 0.07))
SEGMENT_PAYMENT_TERMS = (("NET60", "NET90"), ("NET45", "NET30"), ("NET30",))

INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("Chemicals", 0.15),
    ("Oil & Gas", 0.12),
    ("Water & Wastewater", 0.13),
    ("Food & Beverage", 0.12),
    ("Pharmaceuticals", 0.08),
    ("Mining", 0.08),
    ("Power Generation", 0.09),
    ("Pulp & Paper", 0.06),
    ("HVAC", 0.09),
    ("Automotive", 0.08),
)

ACCOUNTS_AT_START_SCALE_1 = 1500
NEW_ACCOUNTS_PER_MONTH_SCALE_1 = 7.0
ERP_ONLY_SHARE = 0.04
MISSING_ERP_NUMBER_SHARE = 0.15
MISSING_LATER_FILLED_SHARE = 0.2
ERP_RESPELLED_SHARE = 0.35
PAYMENT_TERMS_CHANGE_SHARE = 0.15


@dataclass
class AccountBook:
    """One row per ERP customer; CRM columns apply where ``in_crm``. Sorted by creation."""

    in_crm: np.ndarray
    account_id: np.ndarray  # str or None
    account_name: np.ndarray  # CRM name
    erp_name: np.ndarray  # ERP legal name as typed in the ERP
    industry: np.ndarray
    segment: np.ndarray  # int index into SEGMENTS
    country: np.ndarray
    territory: np.ndarray  # int
    created_at: np.ndarray  # datetime64[s], CRM account (or ERP-only customer) creation
    customer_number: np.ndarray
    customer_created_at: np.ndarray  # datetime64[s]
    erp_number_filled_at: np.ndarray  # datetime64[s]; NaT: never filled in the CRM
    activity: np.ndarray  # relative ordering activity
    discount: np.ndarray  # customer discount off list price
    payment_terms: np.ndarray  # initial terms
    terms_change_at: np.ndarray  # datetime64[s]; NaT: never changed
    terms_after_change: np.ndarray
    owner: np.ndarray  # [account, horizon month] user index (-1: none)
    owner_change_times: tuple[np.ndarray, np.ndarray]  # (account, timestamp)

    @property
    def count(self) -> int:
        return len(self.customer_number)

    def payment_terms_at(self, when: np.datetime64) -> np.ndarray:
        changed = ~np.isnat(self.terms_change_at) & (self.terms_change_at <= when)
        return np.where(changed, self.terms_after_change, self.payment_terms)


def _random_times(rng, lo: np.datetime64, hi: np.datetime64, size: int) -> np.ndarray:
    span = (hi - lo).astype("timedelta64[D]").astype(int)
    days = lo.astype("datetime64[D]") + rng.integers(0, span, size).astype("timedelta64[D]")
    return cal.at_seconds(days, rng.uniform(7.5, 18.5, size) * 3600)


def build_account_book(seed: int, scale: float, workforce: Workforce) -> AccountBook:
    rng = master_rng(seed, MasterStream.ACCOUNTS)
    n_terr = len(TERRITORIES)
    n_start = max(2 * n_terr, int(round(ACCOUNTS_AT_START_SCALE_1 * scale)))
    n_new = int(round(NEW_ACCOUNTS_PER_MONTH_SCALE_1 * scale * cal.HORIZON_MONTHS))
    n_crm = n_start + n_new
    n_erp_only = int(round(ERP_ONLY_SHARE * n_crm))
    n = n_crm + n_erp_only

    share = np.array([t.account_share for t in TERRITORIES])
    territory = rng.choice(n_terr, size=n, p=share / share.sum())
    territory[: 2 * n_terr] = np.tile(np.arange(n_terr), 2)  # every territory has accounts at start
    in_crm = np.zeros(n, dtype=bool)
    in_crm[:n_crm] = True
    epoch = cal.first_day(cal.EPOCH_INDEX).astype("datetime64[s]")
    horizon_end = cal.first_day(cal.HORIZON_INDEX + 1).astype("datetime64[s]")
    created = np.empty(n, dtype="datetime64[s]")
    created[:n_start] = _random_times(rng, np.datetime64("2012-01-01"), np.datetime64("2020-12-31"), n_start)
    created[n_start:n_crm] = _random_times(rng, epoch, horizon_end, n_new)
    created[n_crm:] = np.where(
        rng.random(n_erp_only) < 0.7,
        _random_times(rng, np.datetime64("2012-01-01"), np.datetime64("2020-12-31"), n_erp_only),
        _random_times(rng, epoch, horizon_end, n_erp_only),
    )
    segment = rng.choice(3, size=n, p=SEGMENT_SHARE)
    segment[~in_crm] = 2  # dealers and cash customers are small
    ind_names = [i for i, _ in INDUSTRIES]
    ind_w = np.array([w for _, w in INDUSTRIES])
    industry = np.array(ind_names, dtype=object)[rng.choice(len(ind_names), size=n, p=ind_w / ind_w.sum())]

    country = np.empty(n, dtype=object)
    crm_name = np.empty(n, dtype=object)
    taken: set[str] = set()
    for i in range(n):
        t = TERRITORIES[territory[i]]
        codes = [c for c, _ in t.countries]
        w = np.array([w for _, w in t.countries])
        country[i] = codes[rng.choice(len(codes), p=w / w.sum())]
        crm_name[i] = names.company_name(rng, t.culture, country[i], taken)
    erp_name = crm_name.copy()
    for i in np.flatnonzero(rng.random(n) < ERP_RESPELLED_SHARE):
        erp_name[i] = names.erp_spelling(crm_name[i], rng)

    customer_created = created + (rng.uniform(0, 10, n) * 86400).astype("timedelta64[s]")
    customer_created[~in_crm] = created[~in_crm]
    missing = in_crm & (rng.random(n) < MISSING_ERP_NUMBER_SHARE)
    filled_later = missing & (rng.random(n) < MISSING_LATER_FILLED_SHARE)
    # sales types the number in once the ERP customer exists
    filled_at = customer_created.copy()
    filled_at[missing] = np.datetime64("NaT")
    base = np.maximum(customer_created, epoch)
    delay = (rng.uniform(6, 60, n) * 30.4 * 86400).astype("timedelta64[s]")
    filled_at[filled_later] = (base + delay)[filled_later]
    filled_at[~in_crm] = np.datetime64("NaT")

    discount = np.array([rng.uniform(*SEGMENT_DISCOUNT[s]) for s in segment])
    activity = SEGMENT_ACTIVITY[segment] * rng.lognormal(0.0, 0.7, n)
    terms = np.array(
        [SEGMENT_PAYMENT_TERMS[s][rng.integers(len(SEGMENT_PAYMENT_TERMS[s]))] for s in segment], dtype=object
    )
    all_terms = ("NET30", "NET45", "NET60", "NET90")
    changes_terms = rng.random(n) < PAYMENT_TERMS_CHANGE_SHARE
    change_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    change_at[changes_terms] = (
        np.maximum(customer_created, epoch) + (rng.uniform(1, 120, n) * 30.4 * 86400).astype("timedelta64[s]")
    )[changes_terms]
    new_terms = np.array([all_terms[(all_terms.index(t) + 1 + rng.integers(3)) % 4] for t in terms], dtype=object)

    # sort by creation: account ids in CRM creation order, customer numbers in ERP order
    order = np.argsort(created, kind="stable")
    (
        in_crm,
        territory,
        created,
        segment,
        industry,
        country,
        crm_name,
        erp_name,
        customer_created,
        filled_at,
        discount,
        activity,
        terms,
        change_at,
        new_terms,
    ) = (
        a[order]
        for a in (
            in_crm,
            territory,
            created,
            segment,
            industry,
            country,
            crm_name,
            erp_name,
            customer_created,
            filled_at,
            discount,
            activity,
            terms,
            change_at,
            new_terms,
        )
    )
    account_id = np.full(n, None, dtype=object)
    account_id[in_crm] = identifiers.salesforce_ids(identifiers.ACCOUNT, range(1, in_crm.sum() + 1))
    crm_name[~in_crm] = None
    customer_number = np.empty(n, dtype=object)
    by_erp = np.argsort(customer_created, kind="stable")
    customer_number[by_erp] = [identifiers.customer_number(k + 1) for k in range(n)]

    owner, owner_changes = _replay_ownership(rng, workforce, territory, created, in_crm)
    return AccountBook(
        in_crm=in_crm,
        account_id=account_id,
        account_name=crm_name,
        erp_name=erp_name,
        industry=industry,
        segment=segment,
        country=country,
        territory=territory,
        created_at=created,
        customer_number=customer_number,
        customer_created_at=customer_created,
        erp_number_filled_at=filled_at,
        activity=activity,
        discount=discount,
        payment_terms=terms,
        terms_change_at=change_at,
        terms_after_change=new_terms,
        owner=owner,
        owner_change_times=owner_changes,
    )


def _replay_ownership(rng, workforce: Workforce, territory, created, in_crm):
    """Owner of every CRM account in every horizon month, following the staffing changes."""
    months = cal.HORIZON_MONTHS
    n = len(territory)
    owner = np.full(n, -1, dtype=np.int32)
    matrix = np.full((n, months), -1, dtype=np.int32)
    reps: dict[int, list[int]] = {t.index: [] for t in TERRITORIES}
    for u in range(workforce.count):
        if workforce.role[u] == ROLE_REP and workforce.hire_date[u] < cal.first_day(cal.EPOCH_INDEX):
            reps[int(workforce.territory_at[u, 0])].append(u)
    changes_by_month: dict[int, list] = {}
    for change in workforce.changes:
        changes_by_month.setdefault(change.position, []).append(change)
    changed_acct: list[np.ndarray] = []
    changed_ts: list[np.ndarray] = []
    month_of_creation = cal.month_of(created) - cal.EPOCH_INDEX

    def assign(accounts: np.ndarray) -> None:
        for a in accounts:
            pool = reps[int(territory[a])]
            owner[a] = pool[rng.integers(len(pool))]

    assign(np.flatnonzero(in_crm & (month_of_creation < 0)))
    for r in range(months):
        stamp = cal.first_day(cal.EPOCH_INDEX + r).astype("datetime64[s]") + np.timedelta64(7 * 3600, "s")
        for change in changes_by_month.get(r, ()):
            t = change.territory
            if change.kind == "depart":
                reps[t].remove(change.user)
                moved = np.flatnonzero(owner == change.user)
                owner[moved] = change.successor
            else:
                reps[t].append(change.user)
                moved = np.empty(0, dtype=int)
                if change.takes_share:
                    candidates = np.flatnonzero((territory == t) & (owner >= 0))
                    moved = candidates[rng.random(candidates.size) < 1.0 / len(reps[t])]
                    owner[moved] = change.user
            if moved.size:
                changed_acct.append(moved)
                changed_ts.append(np.full(moved.size, stamp))
        assign(np.flatnonzero(in_crm & (month_of_creation == r)))
        matrix[:, r] = owner
    if changed_acct:
        acct = np.concatenate(changed_acct)
        ts = np.concatenate(changed_ts)
    else:
        acct, ts = np.empty(0, dtype=int), np.empty(0, dtype="datetime64[s]")
    return matrix, (acct, ts)
