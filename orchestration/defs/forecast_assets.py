"""Forecast assets: demand and revenue forecasts, consensus, snapshots and accuracy.

``forecast_assets`` is the list the code location loads (``orchestration.definitions``);
``FORECAST_MART_KEYS`` are the forecast tables in the ``marts`` schema that publishing waits for.
"""

forecast_assets: list = []
FORECAST_MART_KEYS: list = []
