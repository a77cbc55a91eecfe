"""Supply planning: plain Python on pandas and HiGHS, no Dagster.

The supply half of S&OP, as functions of DataFrames (column conventions in ``frames``), in the
order a planning cycle uses them:

1. ``policy``: the planners' policy file (service targets per ABC/XYZ class, thresholds, backlog,
   holding and overtime costs).
2. ``safety_stock``: ABC × XYZ classes, safety stock and reorder points from the forecast error,
   an intermittent-demand method, and a backtest of the policy against actual demand.
3. ``projection``: projected available balance per SKU × site × month from the latest snapshot,
   open receipts and demand.
4. ``mrp``: unconstrained netting into planned orders (lot-for-lot, fixed and period order
   quantity, MOQ, multiples), release months, past-due and reschedule messages.
5. ``capacity``: rough-cut load of a plan per work center × month against its hours.
6. ``lp``: the capacity-constrained plan as a linear program solved with HiGHS: production,
   inventory, backlog and overtime, with the shadow prices of the binding capacity.
7. ``exceptions``: plain-language exceptions from the plan and the solver (stock-outs with the
   binding work center and the lever that closes them, below safety stock, excess, overloads, late
   and past-due supply, EOL stock).
8. ``scenarios``: the planners' what-if file applied to the inputs, one plan and one KPI row per
   scenario.
9. ``versions``: the difference between two plan versions by family × site and its main cause.
"""
