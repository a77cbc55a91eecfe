"""One month of the demo company's life, as the frames of every catalog entity.

``CompanySimulation`` owns the state that carries from month to month (market series, open
deals, planned orders, deliveries in transit, stock and open supply) and must be stepped
through consecutive months from the first one. Within a month: market data first (prices
and deals use its exchange rates), then the CRM (new deals plan their ERP orders), then order
entry, shipping and billing, then stock and supply, then the master-data extracts.
"""

from __future__ import annotations

import pandas as pd

from . import calendar as cal
from . import master_extracts
from .company import Company
from .market import Market
from .orders import OrderBook
from .planning_master import PlanningMaster
from .promotions import promotions_in
from .sales import SalesPipeline
from .supply import SupplyChain


class CompanySimulation:
    def __init__(self, company: Company, start_month: int):
        self.company = company
        self.start_month = start_month
        self.market = Market(company.seed, company.revenue_at_epoch_usd)
        self.sales = SalesPipeline(company, start_month)
        self.orders = OrderBook(company)
        self.supply = SupplyChain(company, start_month)
        self.planning = PlanningMaster(company)
        self._next_month = start_month

    def month(self, month: int) -> dict[str, pd.DataFrame]:
        """Frames of every catalog entity for ``month``, keyed by ``<system>_<entity>``."""
        if month != self._next_month:
            raise ValueError(
                f"months must be generated in order: expected {cal.month_label(self._next_month)}, "
                f"got {cal.month_label(month)}"
            )
        self._next_month += 1
        c = self.company
        market_month = self.market.month(month)
        pmi_last_month = self.market.pmi_before(month)
        promotions = promotions_in(c.seed, month)
        promotions_last_month = promotions_in(c.seed, month - 1)

        sales = self.sales.month(month, market_month)
        self.orders.plan(sales.planned_orders)
        orders = self.orders.month(month, market_month, pmi_last_month, promotions, promotions_last_month)
        supply = self.supply.month(month, orders.shipped_units)
        initial_load = month == self.start_month

        frames = {
            "crm_territories": master_extracts.territories(month),
            "crm_users": master_extracts.users(c, month),
            "crm_accounts": master_extracts.accounts(c, month, initial_load),
            "crm_opportunities": sales.opportunities,
            "crm_opportunity_history": sales.opportunity_history,
            "crm_opportunity_line_items": sales.opportunity_line_items,
            "crm_quotas": sales.quotas,
            "erp_customers": master_extracts.customers(c, month, initial_load),
            "erp_items": master_extracts.items(c, month),
            "erp_sales_order_lines": orders.sales_order_lines,
            "erp_shipments": orders.shipments,
            "erp_invoices": orders.invoices,
            "erp_invoice_lines": orders.invoice_lines,
            "erp_inventory_snapshots": supply.inventory_snapshots,
            "erp_scheduled_receipts": supply.scheduled_receipts,
            "erp_work_center_capacity": supply.work_center_capacity,
            "erp_routings": supply.routings,
            "erp_item_sites": self.planning.item_sites(month),
            "erp_sourcing_rules": self.planning.sourcing_rules(month),
        }
        frames.update(self.market.extracts(month))
        return frames
