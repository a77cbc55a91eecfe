"""What ``make bench`` measures, one module per step, each on the demo company at chosen scales.

- ``pipeline``: generate, ingest, dbt build, close a month, its quality checks, publish (``sop bench``);
- ``forecasting``: the whole forecast step on the demand history (``sop forecast bench``);
- ``supply``: one supply-planning cycle, LP included (``python -m orchestration.benchmarks.supply``).

Speed and memory are measured here and written down in ``benchmarks/``, never asserted in tests.
"""
