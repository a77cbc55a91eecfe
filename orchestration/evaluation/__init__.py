"""Evaluation tooling: how good the forecasting choices are on data held out from them.

Not part of a monthly run. ``evaluate`` scores the model selection against every candidate on
real monthly series (``sop forecast evaluate``); ``hierarchy_backtest`` scores the
reconciliation methods on past cycles of the demo company (``sop forecast hierarchy-eval``).
"""
