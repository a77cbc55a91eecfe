"""The xdist group of the shared company's tests, added at collection (``tests/conftest.py``)."""

from __future__ import annotations

import pytest

#: the xdist group of every test that reads the shared company (``built_company``)
SHARED_COMPANY_GROUP = "pipeline"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test that uses ``built_company`` runs on the worker of the ``pipeline`` group, so the
    14-month company is built once per session, not once per worker that happens to get one of its
    tests (``make test`` runs ``--dist loadgroup``; xdist reads the marker after this hook)."""
    for item in items:
        if "built_company" in getattr(item, "fixturenames", ()) and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(SHARED_COMPANY_GROUP))
