"""The ERP order-to-cash flow: sales orders, shipments and invoices.

Two kinds of orders arrive every month: run-rate replenishment orders from the customers (drawn
from the demand model with noise, one to several lines each) and the orders planned by won CRM
deals (same products, quantities and prices as the deal's line items, ``crm_opportunity_id``
set). Prices are the list price in force, converted at the month's rate, less the customer's
discount and any promotion discount.

When a line is entered its deliveries are decided too: most ship complete within 0-30 days
(some in the next month), some in two partial shipments, deal orders around the requested date.
Deliveries wait in a queue until their month is generated. Each month's shipments are billed
the same day: one invoice per order and ship date, one invoice line per shipment, the header
total the sum of the rounded line amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import calendar as cal
from . import identifiers
from .company import Company
from .demand import MEAN_LINES_PER_ORDER, SEGMENT_UNITS
from .geography import REGIONS, SITES, TERRITORIES
from .market import MarketMonth
from .promotions import PromotionCalendar
from .streams import MonthStream, month_rng

PARTIAL_SHIPMENT_SHARE = 0.12
BACKORDER_SHARE = 0.08
MAX_RUN_RATE_SHIP_DAYS = 30

_LINE_COLUMNS = (
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


@dataclass
class OrdersMonth:
    sales_order_lines: pd.DataFrame
    shipments: pd.DataFrame
    invoices: pd.DataFrame
    invoice_lines: pd.DataFrame
    #: [sku, site] units shipped in the month (for the inventory)
    shipped_units: np.ndarray


class OrderBook:
    def __init__(self, company: Company):
        self.company = company
        self._planned: dict[int, list[pd.DataFrame]] = {}
        self._deliveries: dict[int, list[pd.DataFrame]] = {}
        self._currency_of_territory = np.array([t.currency for t in TERRITORIES], dtype=object)
        self._site_of_territory = np.array([t.site_index for t in TERRITORIES])

    def plan(self, planned: pd.DataFrame) -> None:
        """Queue order lines planned by won deals until their order month."""
        for order_month, frame in planned.groupby("order_month", sort=True):
            self._planned.setdefault(int(order_month), []).append(frame.drop(columns="order_month"))

    def month(
        self,
        month: int,
        market: MarketMonth,
        pmi_last_month: np.ndarray,
        promotions: PromotionCalendar,
        promotions_last_month: PromotionCalendar,
    ) -> OrdersMonth:
        run_rate = self._run_rate_lines(month, market, pmi_last_month, promotions, promotions_last_month)
        planned = self._planned.pop(month, [])
        lines = self._number_orders(month, run_rate, planned)
        self._schedule_deliveries(month, lines)
        shipments, invoices, invoice_lines, shipped = self._ship_and_bill(month)
        order_lines = pd.DataFrame(
            {
                "order_number": lines["order_number"].to_numpy(dtype=object),
                "line_number": lines["line_number"].to_numpy(dtype=np.int64),
                "order_date": lines["order_date"].to_numpy(dtype="datetime64[D]"),
                "customer_number": self.company.accounts.customer_number[lines["customer"].to_numpy(dtype=np.int64)],
                "sku": self.company.products.sku[lines["sku"].to_numpy(dtype=np.int64)],
                "quantity": lines["quantity"].to_numpy(dtype=float),
                "unit_price": lines["unit_price"].to_numpy(dtype=float),
                "currency_code": self._currency_of_territory[lines["territory"].to_numpy(dtype=np.int64)],
                "requested_date": lines["requested_date"].to_numpy(dtype="datetime64[D]"),
                "promo_code": lines["promo_code"].to_numpy(dtype=object),
                "crm_opportunity_id": lines["crm_opportunity_id"].to_numpy(dtype=object),
                "updated_at": lines["entry_ts"].to_numpy(dtype="datetime64[s]"),
            }
        )
        return OrdersMonth(order_lines, shipments, invoices, invoice_lines, shipped)

    # ------------------------------------------------------------------ order entry
    def _run_rate_lines(self, month, market, pmi_last_month, promotions, promotions_last_month) -> pd.DataFrame:
        c = self.company
        book, products = c.accounts, c.products
        rng = month_rng(c.seed, month, MonthStream.RUN_RATE_ORDERS)
        expected = c.demand.expected_lines(month, pmi_last_month, promotions, promotions_last_month)
        noisy = (
            expected * rng.gamma(6.0, 1.0 / 6.0, expected.shape) * rng.lognormal(0.0, 0.04, len(TERRITORIES))[None, :]
        )
        list_usd = products.list_price_usd(month)
        first = cal.first_day(month).astype("datetime64[s]")
        frames = []
        key = 0
        for t in TERRITORIES:
            customers = np.flatnonzero((book.territory == t.index) & (book.customer_created_at < first))
            rates = noisy[:, t.index]
            if customers.size == 0 or rates.sum() <= 0:
                continue
            n_orders = rng.poisson(rates.sum() / MEAN_LINES_PER_ORDER)
            per_order = 1 + rng.poisson(MEAN_LINES_PER_ORDER - 1, n_orders)
            weights = book.activity[customers]
            customer = rng.choice(customers, size=n_orders, p=weights / weights.sum())
            order_day = cal.random_weekdays(rng, month, n_orders)
            entry = cal.at_seconds(order_day, rng.uniform(7.5, 18.5, n_orders) * 3600)
            n_lines = int(per_order.sum())
            order_of_line = np.repeat(np.arange(n_orders), per_order)
            sku = rng.choice(products.count, size=n_lines, p=rates / rates.sum())
            cust = customer[order_of_line]
            region = REGIONS.index(t.region)
            family = products.family[sku]
            promo_code = promotions.code[family, region]
            promo_discount = promotions.discount[family, region]
            units = (
                products.units_per_line[sku]
                * SEGMENT_UNITS[book.segment[cust]]
                * rng.lognormal(-0.15, 0.55, n_lines)
                * np.where(promotions.active[family, region], 1.1, 1.0)
            )
            quantity = np.maximum(1.0, np.rint(units))
            fx = market.fx(t.currency)
            price = np.round(list_usd[sku] / fx * (1 - book.discount[cust]) * (1 - promo_discount), 2)
            requested = order_day[order_of_line] + rng.integers(7, 43, n_lines).astype("timedelta64[D]")
            frames.append(
                pd.DataFrame(
                    {
                        "order_key": key + order_of_line,
                        "entry_ts": entry[order_of_line],
                        "order_date": order_day[order_of_line],
                        "customer": cust,
                        "sku": sku,
                        "quantity": quantity,
                        "unit_price": price,
                        "territory": np.full(n_lines, t.index),
                        "requested_date": requested,
                        "promo_code": promo_code,
                        "crm_opportunity_id": np.full(n_lines, None, dtype=object),
                    }
                )
            )
            key += n_orders
        if not frames:
            return pd.DataFrame({c: [] for c in _LINE_COLUMNS})
        return pd.concat(frames, ignore_index=True)

    def _number_orders(self, month: int, run_rate: pd.DataFrame, planned: list[pd.DataFrame]) -> pd.DataFrame:
        """Order numbers in entry order; line numbers in the order's line order."""
        run_rate = run_rate.assign(source=0)
        parts = [run_rate] + [p.assign(source=1) for p in planned]
        lines = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else run_rate
        lines["entry_ts"] = lines["entry_ts"].astype("datetime64[s]")
        lines["position"] = np.arange(len(lines))
        lines = lines.sort_values(["entry_ts", "source", "order_key", "position"], kind="stable", ignore_index=True)
        new_order = np.ones(len(lines), dtype=bool)
        if len(lines):
            same = (
                (lines["source"].to_numpy()[1:] == lines["source"].to_numpy()[:-1])
                & (lines["order_key"].to_numpy()[1:] == lines["order_key"].to_numpy()[:-1])
                & (lines["entry_ts"].to_numpy()[1:] == lines["entry_ts"].to_numpy()[:-1])
            )
            new_order[1:] = ~same
        order_seq = np.cumsum(new_order)
        starts = np.flatnonzero(new_order)
        line_number = np.arange(len(lines)) - starts[order_seq - 1] + 1
        lines["order_seq"] = order_seq
        lines["order_number"] = identifiers.document_numbers("SO", cal.compact_label(month), order_seq, 6)
        lines["line_number"] = line_number
        return lines

    # ------------------------------------------------------------------ deliveries
    def _schedule_deliveries(self, month: int, lines: pd.DataFrame) -> None:
        rng = month_rng(self.company.seed, month, MonthStream.SHIPMENTS)
        n = len(lines)
        if n == 0:
            return
        order_day = lines["order_date"].to_numpy(dtype="datetime64[D]")
        quantity = lines["quantity"].to_numpy(dtype=float)
        is_deal = lines["crm_opportunity_id"].notna().to_numpy()
        # an order ships together; a few lines wait for stock (backorders)
        order_seq = lines["order_seq"].to_numpy(dtype=np.int64) - 1
        n_orders = int(order_seq.max()) + 1
        order_delay = np.rint(rng.gamma(1.6, 5.5, n_orders)).astype(np.int64)
        deal_offset = np.rint(rng.normal(0, 4, n_orders)).astype(np.int64)
        backorder = np.where(rng.random(n) < BACKORDER_SHARE, rng.integers(3, 21, n), 0)
        delay = np.minimum(MAX_RUN_RATE_SHIP_DAYS, order_delay[order_seq] + backorder)
        requested = lines["requested_date"].to_numpy(dtype="datetime64[D]")
        deal_ship = requested + (deal_offset[order_seq] + backorder).astype("timedelta64[D]")
        first_ship = np.where(is_deal, np.maximum(deal_ship, order_day), order_day + delay.astype("timedelta64[D]"))
        first_ship = cal.next_weekday(first_ship)
        split = (rng.random(n) < PARTIAL_SHIPMENT_SHARE) & (quantity >= 2)
        first_qty = np.where(split, np.maximum(1.0, np.floor(quantity * rng.uniform(0.4, 0.8, n))), quantity)
        second_ship = cal.next_weekday(first_ship + rng.integers(5, 26, n).astype("timedelta64[D]"))
        site = self._site_of_territory[lines["territory"].to_numpy(dtype=np.int64)]
        base = pd.DataFrame(
            {
                "order_number": lines["order_number"].to_numpy(dtype=object),
                "line_number": lines["line_number"].to_numpy(dtype=np.int64),
                "customer": lines["customer"].to_numpy(dtype=np.int64),
                "sku": lines["sku"].to_numpy(dtype=np.int64),
                "unit_price": lines["unit_price"].to_numpy(dtype=float),
                "territory": lines["territory"].to_numpy(dtype=np.int64),
                "site": site,
            }
        )
        first_part = base.assign(part=1, ship_date=first_ship, quantity=first_qty)
        second_part = base[split].assign(part=2, ship_date=second_ship[split], quantity=(quantity - first_qty)[split])
        deliveries = pd.concat([first_part, second_part], ignore_index=True)
        deliveries["ship_month"] = cal.month_of(deliveries["ship_date"].to_numpy())
        for ship_month, frame in deliveries.groupby("ship_month", sort=True):
            self._deliveries.setdefault(int(ship_month), []).append(frame.drop(columns="ship_month"))

    def _ship_and_bill(self, month: int):
        c = self.company
        rng = month_rng(c.seed, month, MonthStream.BILLING)
        frames = self._deliveries.pop(month, [])
        label = cal.compact_label(month)
        shipped = np.zeros((c.products.count, len(SITES)))
        if frames:
            d = pd.concat(frames, ignore_index=True).sort_values(
                ["ship_date", "order_number", "line_number", "part"], kind="stable", ignore_index=True
            )
        else:
            d = pd.DataFrame(
                {
                    "order_number": np.empty(0, object),
                    "line_number": np.empty(0, np.int64),
                    "customer": np.empty(0, np.int64),
                    "sku": np.empty(0, np.int64),
                    "unit_price": np.empty(0, float),
                    "territory": np.empty(0, np.int64),
                    "site": np.empty(0, np.int64),
                    "part": np.empty(0, np.int64),
                    "ship_date": np.empty(0, "datetime64[D]"),
                    "quantity": np.empty(0, float),
                }
            )
        n = len(d)
        ship_date = d["ship_date"].to_numpy(dtype="datetime64[D]")
        shipment_number = identifiers.document_numbers("SH", label, range(1, n + 1), 7)
        np.add.at(
            shipped,
            (d["sku"].to_numpy(dtype=np.int64), d["site"].to_numpy(dtype=np.int64)),
            d["quantity"].to_numpy(dtype=float),
        )
        shipments = pd.DataFrame(
            {
                "shipment_number": shipment_number,
                "order_number": d["order_number"].to_numpy(dtype=object),
                "line_number": d["line_number"].to_numpy(dtype=np.int64),
                "ship_date": ship_date,
                "site_code": np.array([s.code for s in SITES], dtype=object)[d["site"].to_numpy(dtype=np.int64)],
                "quantity_shipped": d["quantity"].to_numpy(dtype=float),
                "updated_at": cal.at_seconds(ship_date, rng.uniform(10, 20, n) * 3600),
            }
        )
        # one invoice per order and ship date; rows are sorted by (ship date, order) already
        order = d["order_number"].to_numpy(dtype=object)
        new_invoice = np.ones(n, dtype=bool)
        if n:
            new_invoice[1:] = (ship_date[1:] != ship_date[:-1]) | (order[1:] != order[:-1])
        invoice_seq = np.cumsum(new_invoice)
        starts = np.flatnonzero(new_invoice)
        invoice_number = identifiers.document_numbers("INV", label, invoice_seq, 6)
        cents = np.rint(d["quantity"].to_numpy(dtype=float) * d["unit_price"].to_numpy(dtype=float) * 100).astype(
            np.int64
        )
        currency = self._currency_of_territory[d["territory"].to_numpy(dtype=np.int64)]
        billed_at = cal.at_seconds(ship_date, 21 * 3600 + rng.uniform(0, 1800, n))
        invoice_lines = pd.DataFrame(
            {
                "invoice_number": invoice_number,
                "invoice_line": np.arange(n) - starts[invoice_seq - 1] + 1 if n else np.empty(0, np.int64),
                "shipment_number": shipment_number,
                "order_number": order,
                "line_number": d["line_number"].to_numpy(dtype=np.int64),
                "sku": c.products.sku[d["sku"].to_numpy(dtype=np.int64)],
                "quantity": d["quantity"].to_numpy(dtype=float),
                "net_amount": cents / 100.0,
                "currency_code": currency,
                "updated_at": billed_at[starts[invoice_seq - 1]] if n else billed_at,
            }
        )
        total_cents = np.add.reduceat(cents, starts) if n else np.empty(0, np.int64)
        invoices = pd.DataFrame(
            {
                "invoice_number": invoice_number[starts],
                "invoice_date": ship_date[starts],
                "customer_number": c.accounts.customer_number[d["customer"].to_numpy(dtype=np.int64)[starts]],
                "currency_code": currency[starts],
                "total_amount": total_cents / 100.0,
                "updated_at": billed_at[starts],
            }
        )
        return shipments, invoices, invoice_lines, shipped
