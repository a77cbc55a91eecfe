"""The CRM sales process: opportunities with their whole stage path, line items, quotas.

Opportunities are created every month on existing accounts (Enterprise accounts more often,
with bigger deals and longer cycles). At creation the month's OPPORTUNITIES stream decides the
whole future of the deal: won or lost (the win rate depends on segment, deal type and the rep),
how long it takes, which stages it passes, how often the close date slips, and, for won deals,
when the customer's ERP orders come (0-3 months after closing, sometimes split over several
deliveries). Future stage changes wait in a queue until their month is generated.

Month extracts: ``opportunities`` has every opportunity created or changed in the month in its
state at month end; ``opportunity_history`` one row per change (the first at creation);
``opportunity_line_items`` the products of the month's new opportunities. The Amount is the sum
of the line items and never changes afterwards. ``quotas`` gives every rep employed in the
month a bookings quota sized to what their accounts can be expected to close.

The company is a going concern from its first month: the deal flow of the
``OPENING_PIPELINE_MONTHS`` before it is simulated too, and the deals still open on the first
day come in the first month's extracts as the CRM's initial load (their state on that day as
one history row, their products with the line items, as loaded then). Deals that closed before it are not
extracted. When a rep leaves or moves, their open deals go to the successor who takes over
their accounts: the deal shows the new owner from the 1st of that month (an owner change is not
a history row, as in Salesforce, where OpportunityHistory tracks stage, amount and close date).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import calendar as cal
from . import identifiers
from .company import Company
from .geography import CURRENCIES, TERRITORIES
from .market import MarketMonth
from .products import FAMILIES, PHASE_OUT_DAYS
from .streams import MonthStream, month_rng

STAGES: tuple[str, ...] = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
STAGE_PROBABILITY = np.array([10, 20, 30, 50, 75, 100, 0])
FORECAST_CATEGORY = np.array(
    ["Pipeline", "Pipeline", "Pipeline", "Best Case", "Commit", "Closed", "Omitted"], dtype=object
)
WON, LOST = 5, 6
OPPORTUNITY_TYPES: tuple[str, ...] = ("New Business", "Expansion", "Renewal")
TYPE_SHARE = np.array([0.35, 0.45, 0.20])
TYPE_WIN_ADJUSTMENT = np.array([-0.05, 0.03, 0.20])
LEAD_SOURCES: tuple[str, ...] = ("Web", "Referral", "Partner", "Trade Show", "Outbound", "Existing Customer")
LEAD_SOURCE_SHARE = np.array([0.18, 0.14, 0.16, 0.10, 0.17, 0.25])

# per segment (Enterprise, Mid-Market, SMB)
OPPORTUNITIES_PER_ACCOUNT_MONTH = np.array([0.8, 0.35, 0.15])
DEAL_MEDIAN_USD = np.array([180_000.0, 45_000.0, 12_000.0])
DEAL_SIGMA = np.array([0.6, 0.55, 0.5])
WIN_RATE = np.array([0.22, 0.27, 0.31])
CYCLE_DAYS = np.array([[120, 270], [60, 150], [30, 90]])
DEAL_DISCOUNT = np.array([[0.10, 0.25], [0.05, 0.18], [0.0, 0.10]])
PIPELINE_GROWTH = 0.05
LINE_ITEMS_PER_DEAL = np.array([0.30, 0.28, 0.20, 0.13, 0.09])
#: deals come in a little above target because quantities round up to whole units
_ROUNDING_UPLIFT = 1.08
_CREATION_SEASON = np.array([0.95, 1.0, 1.08, 1.02, 1.0, 1.03, 0.92, 0.85, 1.05, 1.08, 1.02, 0.80])
#: months of deal flow before the first generated month: longer than the longest sales cycle
#: (270 days, lost deals up to 10% longer), so the first month opens with a full pipeline
OPENING_PIPELINE_MONTHS = 10


@dataclass
class SalesMonth:
    opportunities: pd.DataFrame
    opportunity_history: pd.DataFrame
    opportunity_line_items: pd.DataFrame
    quotas: pd.DataFrame
    #: order lines planned from deals created this month (any future month)
    planned_orders: pd.DataFrame


class SalesPipeline:
    def __init__(self, company: Company, start_month: int):
        self.company = company
        self.start_month = start_month
        self._pending: dict[int, list[pd.DataFrame]] = {}
        #: the last extracted state of every open deal, by Id
        self._open = pd.DataFrame()

    # ------------------------------------------------------------------ the month
    def month(self, month: int, market: MarketMonth) -> SalesMonth:
        opening_items, opening_planned = self._open_pipeline(market) if month == self.start_month else (None, None)
        self._hand_over_departures(month)
        rng = month_rng(self.company.seed, month, MonthStream.OPPORTUNITIES)
        line_items, events, planned = self._create(rng, month, market)
        self._queue(events)
        month_events = self._pending.pop(month, [])
        opps, history = self._extract(month, month_events)
        self._remember(month_events)
        if opening_items is not None:
            line_items = pd.concat([opening_items, line_items], ignore_index=True)
            planned = pd.concat([opening_planned, planned], ignore_index=True)
        quotas = self._quotas(month, market)
        return SalesMonth(opps, history, line_items, quotas, planned)

    def _queue(self, events: pd.DataFrame) -> None:
        for event_month, frame in events.groupby("event_month", sort=True):
            self._pending.setdefault(int(event_month), []).append(frame.drop(columns="event_month"))

    def _remember(self, month_events: list[pd.DataFrame]) -> None:
        """Keep the month-end state of the deals still open (for owner hand-overs)."""
        if not month_events:
            return
        last = pd.concat(month_events, ignore_index=True).sort_values(["ts", "Id"], kind="stable")
        last = last.drop_duplicates("Id", keep="last").set_index("Id")
        kept = self._open[~self._open.index.isin(last.index)] if len(self._open) else self._open
        merged = pd.concat([kept, last]) if len(kept) else last
        self._open = merged[merged["stage"].to_numpy(dtype=np.int64) < WON]

    # ------------------------------------------------------------------ the opening pipeline
    def _open_pipeline(self, market: MarketMonth):
        """Simulate the deal flow of the months before the first one; queue the deals still open
        on its first day as the initial load (one state row each at the start of the month).

        Returns the open deals' line items and the ERP orders they will place once won."""
        start = self.start_month
        first_ts = cal.first_day(start).astype("datetime64[s]")
        items, planned, events = [], [], []
        for month in range(start - OPENING_PIPELINE_MONTHS, start):
            rng = month_rng(self.company.seed, month, MonthStream.OPPORTUNITIES)
            month_items, month_events, month_planned = self._create(rng, month, market, as_of=start)
            closes = month_events.groupby("Id")["ts"].max()
            still_open = closes.index[closes.to_numpy() >= first_ts]
            items.append(month_items[month_items["OpportunityId"].isin(still_open)])
            planned.append(month_planned[month_planned["crm_opportunity_id"].isin(still_open)])
            events.append(month_events[month_events["Id"].isin(still_open)])
        events = pd.concat(events, ignore_index=True)
        before = events[events["ts"].to_numpy() < first_ts]
        state = before.sort_values(["ts", "Id"], kind="stable").drop_duplicates("Id", keep="last")
        state = state.sort_values("Id", kind="stable").reset_index(drop=True)
        # the initial load's state rows, a second apart in the first minutes of the month
        state["ts"] = first_ts + np.arange(len(state)).astype("timedelta64[s]")
        state["event_month"] = start
        self._queue(pd.concat([state, events[events["ts"].to_numpy() >= first_ts]], ignore_index=True))
        # the initial load writes the products with their deal's state row (an extract holds the
        # line items created, i.e. loaded, in its month)
        items = pd.concat(items, ignore_index=True)
        loaded_at = state.set_index("Id")["ts"]
        items["CreatedDate"] = loaded_at.loc[items["OpportunityId"]].to_numpy() + np.timedelta64(5, "s")
        return items, pd.concat(planned, ignore_index=True)

    def _hand_over_departures(self, month: int) -> None:
        """Give the open deals of reps leaving (or moving away) on this month's 1st to their
        successor: every queued change shows the new owner, and a deal with no change this
        month gets an owner-change row so the month's extract carries it."""
        workforce = self.company.workforce
        r = cal.horizon_position(month)
        successor = {
            workforce.user_id[c.user]: workforce.user_id[c.successor]
            for c in workforce.changes
            if c.kind == "depart" and c.position == r and c.successor >= 0
        }
        if not successor:
            return
        for frames in self._pending.values():
            for frame in frames:
                frame["OwnerId"] = frame["OwnerId"].replace(successor)
        if not len(self._open):
            return
        changing = set()
        for frame in self._pending.get(month, []):
            changing.update(frame["Id"])
        handed = self._open[self._open["OwnerId"].isin(list(successor)) & ~self._open.index.isin(list(changing))]
        if not len(handed):
            return
        handed = handed.sort_index().reset_index()
        handed["OwnerId"] = handed["OwnerId"].replace(successor)
        handed["ts"] = cal.first_day(month).astype("datetime64[s]") + np.arange(len(handed)).astype("timedelta64[s]")
        handed["owner_change"] = True
        self._pending.setdefault(month, []).insert(0, handed)

    # ------------------------------------------------------------------ creation
    def _create(self, rng, month: int, market: MarketMonth, as_of: int | None = None):
        """The deals created in ``month``: their line items, every future change, their ERP orders.

        ``as_of``: for a month before the first generated one, the month whose account owners,
        catalogue and prices stand in for it (the master data starts with the first month)."""
        c = self.company
        book, products, workforce = c.accounts, c.products, c.workforce
        r = cal.horizon_position(month if as_of is None else as_of)
        first = cal.first_day(month)
        eligible = np.flatnonzero(
            book.in_crm & (book.created_at < first.astype("datetime64[s]")) & (book.owner[:, r] >= 0)
        )
        seg_of = book.segment[eligible]
        rate = (
            OPPORTUNITIES_PER_ACCOUNT_MONTH[seg_of]
            * (1 + PIPELINE_GROWTH) ** cal.years_since_epoch(month)
            * _CREATION_SEASON[cal.month_of_year(month) - 1]
        )
        acct = np.repeat(eligible, rng.poisson(rate))
        n = acct.size
        created_date = cal.random_weekdays(rng, month, n)
        created_ts = np.sort(cal.at_seconds(created_date, rng.uniform(8, 18, n) * 3600))
        seg = book.segment[acct]
        owner = book.owner[acct, r]
        territory = book.territory[acct]
        currency = np.array([TERRITORIES[t].currency for t in territory], dtype=object)
        fx = market.usd_per_unit[[CURRENCIES.index(cur) for cur in currency]] if n else np.empty(0)
        opp_type = rng.choice(3, size=n, p=TYPE_SHARE)
        lead = np.array(LEAD_SOURCES, dtype=object)[rng.choice(len(LEAD_SOURCES), size=n, p=LEAD_SOURCE_SHARE)]
        p_win = np.clip((WIN_RATE[seg] + TYPE_WIN_ADJUSTMENT[opp_type]) * workforce.skill[owner], 0.03, 0.9)
        won = rng.random(n) < p_win
        lo, hi = CYCLE_DAYS[seg, 0], CYCLE_DAYS[seg, 1]
        cycle = rng.uniform(lo, hi)
        cycle = np.where(won, cycle, cycle * rng.uniform(0.3, 1.1, n))
        target_usd = rng.lognormal(np.log(DEAL_MEDIAN_USD[seg]), DEAL_SIGMA[seg])
        discount = rng.uniform(DEAL_DISCOUNT[seg, 0], DEAL_DISCOUNT[seg, 1])
        n_items = 1 + rng.choice(5, size=n, p=LINE_ITEMS_PER_DEAL)
        start_stage = np.where(rng.random(n) < 0.25, 1, 0)
        # about half of the reps are optimistic about the close date (those deals slip)
        optimism = np.where(rng.random(n) < 0.45, rng.uniform(0.55, 0.9, n), rng.uniform(0.97, 1.08, n))

        ids = identifiers.document_numbers(identifiers.OPPORTUNITY, cal.compact_label(month), range(1, n + 1), 6)
        items, main_family = self._line_items(
            rng, month if as_of is None else as_of, ids, created_ts, acct, n_items, target_usd, discount, currency, fx
        )
        amount_cents = np.bincount(items["opp"].to_numpy(), weights=items["cents"].to_numpy(), minlength=n).astype(
            np.int64
        )
        opp_name = np.array(
            [
                f"{book.account_name[a]} - {FAMILIES[f].name} {OPPORTUNITY_TYPES[t]}"
                for a, f, t in zip(acct, main_family, opp_type)
            ],
            dtype=object,
        )

        static = pd.DataFrame(
            {
                "Id": ids,
                "Name": opp_name,
                "AccountId": book.account_id[acct],
                "OwnerId": workforce.user_id[owner],
                "Type": np.array(OPPORTUNITY_TYPES, dtype=object)[opp_type],
                "LeadSource": lead,
                "amount_cents": amount_cents,
                "CurrencyIsoCode": currency,
                "CreatedDate": created_ts,
            }
        )
        events = self._trajectories(rng, created_ts, won, cycle, start_stage, optimism)
        events = static.iloc[events["opp"].to_numpy()].reset_index(drop=True).join(events)
        events["owner_change"] = False
        events["event_month"] = cal.month_of(events["ts"].to_numpy())

        close_ts = created_ts + (cycle * 86400).astype("timedelta64[s]")
        planned = self._planned_orders(rng, ids, acct, won, close_ts, items)
        line_items = pd.DataFrame(
            {
                "Id": identifiers.document_numbers(
                    identifiers.LINE_ITEM, cal.compact_label(month), range(1, len(items) + 1), 6
                ),
                "OpportunityId": ids[items["opp"].to_numpy()],
                "ProductCode": products.sku[items["sku"].to_numpy()],
                "Quantity": items["quantity"].to_numpy().astype(float),
                "UnitPrice": items["unit_price"].to_numpy(),
                "TotalPrice": items["cents"].to_numpy() / 100.0,
                "CurrencyIsoCode": currency[items["opp"].to_numpy()],
                "CreatedDate": created_ts[items["opp"].to_numpy()] + np.timedelta64(5, "s"),
            }
        )
        return line_items, events, planned

    def _line_items(self, rng, month, ids, created_ts, acct, n_items, target_usd, discount, currency, fx):
        """1-5 products per deal, mostly from one family, priced off the list price in force."""
        products = self.company.products
        n = len(ids)
        first, last = cal.first_day(month), cal.last_day(month)
        quotable = products.sellable_on(first) & (
            np.isnat(products.eol_date) | (products.eol_date > last + np.timedelta64(PHASE_OUT_DAYS, "D"))
        )
        list_usd = products.list_price_usd(month)
        revenue_weight = np.where(quotable, self.company.demand.base_lines * products.units_per_line * list_usd, 0.0)
        fam_weight = np.bincount(products.family, weights=revenue_weight, minlength=len(FAMILIES))
        fam_p = fam_weight / fam_weight.sum()
        main_family = rng.choice(len(FAMILIES), size=n, p=fam_p)
        opp = np.repeat(np.arange(n), n_items)
        k = opp.size
        family = np.where(rng.random(k) < 0.7, main_family[opp], rng.choice(len(FAMILIES), size=k, p=fam_p))
        sku = np.zeros(k, dtype=np.int64)
        for f in range(len(FAMILIES)):
            mask = family == f
            if mask.any():
                members = np.flatnonzero((products.family == f) & quotable)
                w = revenue_weight[members]
                sku[mask] = rng.choice(members, size=mask.sum(), p=w / w.sum())
        share = rng.gamma(2.0, 1.0, k)
        share /= np.bincount(opp, weights=share, minlength=n)[opp]
        net_usd = list_usd[sku] * (1 - discount[opp])
        unit_price = np.round(net_usd / fx[opp], 2)
        quantity = np.maximum(1, np.rint(target_usd[opp] * share / net_usd)).astype(np.int64)
        cents = np.rint(quantity * unit_price * 100).astype(np.int64)
        items = pd.DataFrame({"opp": opp, "sku": sku, "quantity": quantity, "unit_price": unit_price, "cents": cents})
        return items, main_family

    def _trajectories(self, rng, created_ts, won, cycle, start_stage, optimism) -> pd.DataFrame:
        """Every future change of every new deal: stage moves, close-date slips, the close."""
        out_opp, out_ts, out_stage, out_close = [], [], [], []
        day = np.timedelta64(1, "D")
        for i in range(len(created_ts)):
            created = created_ts[i]
            created_day = created.astype("datetime64[D]")
            length = float(cycle[i])
            close_day = (created + np.timedelta64(int(length * 86400), "s")).astype("datetime64[D]")
            s0 = int(start_stage[i])
            if won[i]:
                path = [s for s in range(s0 + 1, 5) if rng.random() >= 0.15] + [WON]
            else:
                top = s0 + int(rng.random() ** 1.5 * (5 - s0))
                path = list(range(s0 + 1, min(top, 4) + 1)) + [LOST]
            stage_times = np.sort(rng.uniform(0.05, 0.95, len(path) - 1)) * length
            expected = created_day + int(round(length * optimism[i])) * day
            changes = [(float(t), "stage", s) for t, s in zip(stage_times, path[:-1])]
            slips = 0
            while expected < close_day - 7 * day and slips < 4:
                when = (expected - created_day) / day - float(rng.integers(0, 6))
                when = min(max(when, 1.0), length - 0.5)
                expected = expected + int(rng.integers(14, 61)) * day
                changes.append((when, "slip", expected))
                slips += 1
            changes.sort(key=lambda c: c[0])
            stage, close = s0, created_day + int(round(length * optimism[i])) * day
            out_opp.append(i)
            out_ts.append(0.0)
            out_stage.append(stage)
            out_close.append(close)
            for when, kind, value in changes:
                if kind == "stage":
                    stage = value
                else:
                    close = value
                out_opp.append(i)
                out_ts.append(when)
                out_stage.append(stage)
                out_close.append(close)
            out_opp.append(i)
            out_ts.append(length)
            out_stage.append(path[-1])
            out_close.append(close_day)
        opp = np.array(out_opp, dtype=np.int64)
        offset = np.array(out_ts) * 86400
        # keep every deal's changes strictly ordered, a minute apart at least
        seq = np.arange(opp.size) - np.searchsorted(opp, opp)
        ts = (
            created_ts[opp] + (np.floor(offset) + 60 * seq).astype("timedelta64[s]")
            if opp.size
            else np.empty(0, "datetime64[s]")
        )
        return pd.DataFrame(
            {
                "opp": opp,
                "ts": ts,
                "stage": np.array(out_stage, dtype=np.int64),
                "close_date": np.array(out_close, dtype="datetime64[D]"),
            }
        )

    def _planned_orders(self, rng, ids, acct, won, close_ts, items: pd.DataFrame) -> pd.DataFrame:
        """ERP order lines of the won deals: 0-3 months after closing, sometimes split."""
        book = self.company.accounts
        columns: dict[str, list] = {name: [] for name in _PLANNED_COLUMNS}
        item_groups = {k: g for k, g in items.groupby("opp", sort=True)}
        for i in np.flatnonzero(won):
            close_day = close_ts[i].astype("datetime64[D]")
            lag = int(rng.choice(4, p=[0.30, 0.35, 0.23, 0.12]))
            splits = int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1]))
            lines = item_groups[i]
            qty = lines["quantity"].to_numpy()
            sku = lines["sku"].to_numpy()
            unit_price = lines["unit_price"].to_numpy()
            parts = rng.multinomial(qty, np.full(splits, 1.0 / splits)).reshape(len(qty), splits)
            month = int(cal.month_of(np.array([close_day]))[0]) + lag
            for j in range(splits):
                keep = parts[:, j] > 0
                k = int(keep.sum())
                if k == 0:
                    continue
                days = cal.weekdays_in_month(month + j)
                days = days[days >= close_day]
                if days.size == 0:
                    days = cal.weekdays_in_month(month + j + 1)
                order_day = days[rng.integers(days.size)]
                columns["order_key"].append(np.full(k, int(ids[i][-12:]) * 10 + j, dtype=np.int64))
                columns["entry_ts"].append(np.full(k, cal.at_seconds(order_day, rng.uniform(8, 18) * 3600)))
                columns["order_date"].append(np.full(k, order_day))
                columns["customer"].append(np.full(k, acct[i], dtype=np.int64))
                columns["sku"].append(sku[keep])
                columns["quantity"].append(parts[keep, j].astype(float))
                columns["unit_price"].append(unit_price[keep])
                columns["territory"].append(np.full(k, book.territory[acct[i]], dtype=np.int64))
                columns["requested_date"].append(np.full(k, order_day + np.timedelta64(int(rng.integers(14, 76)), "D")))
                columns["promo_code"].append(np.full(k, None, dtype=object))
                columns["crm_opportunity_id"].append(np.full(k, ids[i], dtype=object))
        if not columns["order_key"]:
            return _empty_planned()
        planned = pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
        planned["order_month"] = cal.month_of(planned["order_date"].to_numpy())
        return planned

    # ------------------------------------------------------------------ extracts
    def _extract(self, month: int, frames: list[pd.DataFrame]):
        if frames:
            events = pd.concat(frames, ignore_index=True).sort_values(["ts", "Id"], kind="stable", ignore_index=True)
        else:
            events = pd.DataFrame(
                columns=[
                    "Id",
                    "Name",
                    "AccountId",
                    "OwnerId",
                    "Type",
                    "LeadSource",
                    "amount_cents",
                    "CurrencyIsoCode",
                    "CreatedDate",
                    "opp",
                    "ts",
                    "stage",
                    "close_date",
                    "owner_change",
                ]
            )
        all_events = events
        # an owner change is no OpportunityHistory row (that object tracks stage, amount, close date)
        events = events[~events["owner_change"].to_numpy(dtype=bool)]
        stage = events["stage"].to_numpy(dtype=np.int64)
        amount = events["amount_cents"].to_numpy(dtype=np.int64) / 100.0
        history = pd.DataFrame(
            {
                "Id": identifiers.document_numbers(
                    identifiers.OPPORTUNITY_HISTORY, cal.compact_label(month), range(1, len(events) + 1), 6
                ),
                "OpportunityId": events["Id"].to_numpy(dtype=object),
                "StageName": np.array(STAGES, dtype=object)[stage],
                "Amount": amount,
                "Probability": STAGE_PROBABILITY[stage],
                "ForecastCategory": FORECAST_CATEGORY[stage],
                "CloseDate": events["close_date"].to_numpy(dtype="datetime64[D]"),
                "CreatedDate": events["ts"].to_numpy(dtype="datetime64[s]"),
            }
        )
        last = all_events.drop_duplicates("Id", keep="last").sort_values("Id", kind="stable")
        stage = last["stage"].to_numpy(dtype=np.int64)
        opps = pd.DataFrame(
            {
                "Id": last["Id"].to_numpy(dtype=object),
                "Name": last["Name"].to_numpy(dtype=object),
                "AccountId": last["AccountId"].to_numpy(dtype=object),
                "OwnerId": last["OwnerId"].to_numpy(dtype=object),
                "Type": last["Type"].to_numpy(dtype=object),
                "LeadSource": last["LeadSource"].to_numpy(dtype=object),
                "StageName": np.array(STAGES, dtype=object)[stage],
                "Amount": last["amount_cents"].to_numpy(dtype=np.int64) / 100.0,
                "CurrencyIsoCode": last["CurrencyIsoCode"].to_numpy(dtype=object),
                "Probability": STAGE_PROBABILITY[stage],
                "ForecastCategoryName": FORECAST_CATEGORY[stage],
                "CloseDate": last["close_date"].to_numpy(dtype="datetime64[D]"),
                "IsClosed": stage >= WON,
                "IsWon": stage == WON,
                "CreatedDate": last["CreatedDate"].to_numpy(dtype="datetime64[s]"),
                "LastModifiedDate": last["ts"].to_numpy(dtype="datetime64[s]"),
            }
        )
        return opps, history

    def _quotas(self, month: int, market: MarketMonth) -> pd.DataFrame:
        """A quota per rep employed in the month: the bookings their accounts can be expected
        to close (pipeline still filling up in the first months included), stretched a bit."""
        c = self.company
        book, workforce = c.accounts, c.workforce
        rng = month_rng(c.seed, month, MonthStream.QUOTAS)
        r = cal.horizon_position(month)
        reps = workforce.reps_selling_in(month)
        first = cal.first_day(month)
        accounts = np.flatnonzero(
            book.in_crm & (book.created_at < first.astype("datetime64[s]")) & (book.owner[:, r] >= 0)
        )
        seg = book.segment[accounts]
        win = WIN_RATE + float((TYPE_SHARE * TYPE_WIN_ADJUSTMENT).sum())
        mean_deal = DEAL_MEDIAN_USD * np.exp(DEAL_SIGMA**2 / 2) * _ROUNDING_UPLIFT
        opening = cal.first_day(self.start_month - OPENING_PIPELINE_MONTHS)
        days_running = (cal.last_day(month) - opening).astype(int) + 1
        maturity = np.clip((days_running - CYCLE_DAYS[:, 0]) / (CYCLE_DAYS[:, 1] - CYCLE_DAYS[:, 0]), 0.0, 1.0)
        per_account = (OPPORTUNITIES_PER_ACCOUNT_MONTH * win * mean_deal * maturity)[seg]
        per_account = (
            per_account
            * (1 + PIPELINE_GROWTH) ** cal.years_since_epoch(month)
            * _CREATION_SEASON[cal.month_of_year(month) - 1]
        )
        expected = np.bincount(book.owner[accounts, r], weights=per_account, minlength=workforce.count)[reps]
        territory = workforce.territory_at[reps, r]
        terr_mean = np.array(
            [expected[territory == t].mean() if (territory == t).any() else 0.0 for t in range(len(TERRITORIES))]
        )
        expected = np.maximum(expected, 0.3 * terr_mean[territory])
        months_employed = (cal.month_of(workforce.hire_date[reps]) - month) * -1
        ramp = np.clip(0.4 + 0.2 * months_employed, 0.4, 1.0)
        # quotas sit a little under the expected value: deal flow is lumpy, attainment skewed
        stretch = rng.uniform(0.78, 1.08, reps.size)
        currency = np.array([TERRITORIES[t].currency for t in territory], dtype=object)
        fx = market.usd_per_unit[[CURRENCIES.index(cur) for cur in currency]] if reps.size else np.empty(0)
        step = np.where(currency == "JPY", 100_000.0, 1_000.0)
        amount = np.maximum(step, np.round(expected * ramp * stretch / fx / step) * step)
        return pd.DataFrame(
            {
                "Id": np.array(
                    [f"{identifiers.QUOTA}{cal.compact_label(month)}{u + 1:06d}" for u in reps], dtype=object
                ),
                "QuotaOwnerId": workforce.user_id[reps],
                "StartDate": np.full(reps.size, first),
                "QuotaAmount": amount,
                "CurrencyIsoCode": currency,
                "LastModifiedDate": np.full(reps.size, cal.month_end_time(month, 12)),
            }
        )


_PLANNED_COLUMNS = (
    "order_key",
    "entry_ts",
    "order_date",
    "customer",
    "sku",
    "quantity",
    "unit_price",
    "territory",
    "requested_date",
    "promo_code",
    "crm_opportunity_id",
)


def _empty_planned() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_key": np.empty(0, np.int64),
            "entry_ts": np.empty(0, "datetime64[s]"),
            "order_date": np.empty(0, "datetime64[D]"),
            "customer": np.empty(0, np.int64),
            "sku": np.empty(0, np.int64),
            "quantity": np.empty(0, float),
            "unit_price": np.empty(0, float),
            "territory": np.empty(0, np.int64),
            "requested_date": np.empty(0, "datetime64[D]"),
            "promo_code": np.empty(0, object),
            "crm_opportunity_id": np.empty(0, object),
            "order_month": np.empty(0, np.int64),
        }
    )
