"""The ``sop`` command: ``main`` runs, demos and closes months (``cli.main``), ``sop forecast``
evaluates and benchmarks the forecast step (``cli.forecast``), ``sop actions`` edits the S&OP
action register (``cli.actions``); ``cli.arguments`` holds the argument types they share."""
