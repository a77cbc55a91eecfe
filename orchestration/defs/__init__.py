"""Dagster-facing code: thin assets, resources, partitions, jobs and schedules."""
