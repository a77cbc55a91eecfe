"""Connectors: real source systems delivering into the landing zone, month by month, exactly once.

``extract`` is the framework every connector goes through (the window and its lag, one version
per key, tombstones, the month's folder swapped in whole, ``_extract.json``); ``landing_files``
is the landing contract the demo generator writes too; ``deliveries`` decides which months of a
run are extracted. The connectors themselves only read their system: ``postgres`` (the ERP),
``salesforce`` (the CRM's REST API), ``market_http`` (market data). See docs/connectors.md.
"""
