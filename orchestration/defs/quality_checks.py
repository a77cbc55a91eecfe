"""Data-quality asset checks: the Great Expectations suites of ``expectations/`` as blocking checks.

``quality_checks`` is the list the code location loads (``orchestration.definitions``).
"""

quality_checks: list = []
