"""Data quality: Great Expectations suites run on DataFrames, quarantine, Data Docs; no Dagster."""
