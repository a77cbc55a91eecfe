"""Fixtures for tests against a real PostgreSQL server: one throwaway server per test session (per xdist
worker), one fresh database per test.

Import both into a test module (``from tests.integration.postgres_fixtures import postgres_server,
erp_database  # noqa: F401``) and mark the module ``pytest.mark.xdist_group("postgres")`` so that,
under ``--dist loadgroup``, one worker runs those tests and starts one server. Without the server
binaries the tests are skipped locally (with how to install them) and fail under CI (``CI`` set), so
CI never skips them silently.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import pytest

from orchestration.connectors.postgres import PostgresConnection
from orchestration.demo.local_postgres import LocalPostgres, find_postgres_bin

MISSING_BINARIES = (
    "PostgreSQL server binaries not found: install Debian's postgresql package (apt-get install postgresql)"
)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory) -> Iterator[LocalPostgres]:
    """A started local PostgreSQL server with a random password, stopped (and its data removed) at the end."""
    if find_postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING_BINARIES}; CI must run the PostgreSQL tests")
        pytest.skip(MISSING_BINARIES)
    server = LocalPostgres(tmp_path_factory.mktemp("postgres"), secrets.token_urlsafe(24))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def erp_database(postgres_server: LocalPostgres) -> Iterator[PostgresConnection]:
    """A fresh, empty database of its own for one test; dropped afterwards."""
    name = f"erp_{uuid.uuid4().hex[:12]}"
    connection = postgres_server.create_database(name)
    try:
        yield connection
    finally:
        postgres_server.drop_database(name)
