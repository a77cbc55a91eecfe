"""Demand and revenue forecasting: plain Python on pandas and statsforecast, no Dagster."""
