"""Sales planning: quotas from market potential and history, territory coverage and rebalancing, comp payouts
and their forecast, sales headcount. Plain Python over the warehouse's marts; docs/sales_planning.md."""
