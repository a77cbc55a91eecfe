"""The Data Docs site in a real browser with the network off: nothing fails to load, the pages read right.

A small site (one failing check of a month) is built like a run builds it, then opened from
disk in headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; no browser is
downloaded). The context is offline and every request that is not ``file://`` is aborted and
counted: a page that needs a CDN fails here. Skipped when Chromium or Playwright is missing,
except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.quality.data_docs import site_dir_for
from orchestration.quality.engine import run_raw_suite
from tests.browser import chromium
from tests.unit.test_quality_engine import MONTH, OPPS, _load, _opportunity


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """A month's site with one failing check (errors, warnings and passes on one page) and that check's page."""
    tmp = tmp_path_factory.mktemp("data-docs")
    rows = [_opportunity(i) for i in range(1, 6)]
    rows[1]["Amount"] = "-1200.00"
    rows[2]["CloseDate"] = "2199-01-31"
    con, _ = _load(tmp, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH], reports_root=tmp / "reports")
    assert not outcome.passed
    return site_dir_for(tmp / "reports", MONTH), outcome.data_docs


class _Offline:
    """A page in an offline browser context that aborts and records every request off the machine."""

    def __init__(self, browser):
        self.context = browser.new_context(offline=True)
        self.aborted: list[str] = []
        self.failed: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.aborted.append(route.request.url)
            route.abort()

    def open(self, path: Path):
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def offline(browser):
    session = _Offline(browser)
    yield session
    session.close()


def test_the_index_loads_everything_from_disk_and_links_the_page(offline, site):
    root, validation_page = site
    page = offline.open(root / "index.html")
    assert offline.aborted == [] and offline.failed == [] and offline.errors == []
    # the local stylesheet applied: the index's layout and a failing suite's row tinted
    assert page.locator("main.sop-index").evaluate("m => getComputedStyle(m).maxWidth") != "none"
    row = page.locator("tr.error")
    assert row.count() == 1 and row.evaluate("r => getComputedStyle(r.cells[0]).backgroundColor") != "rgba(0, 0, 0, 0)"
    row.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url == validation_page.as_uri()
    assert offline.aborted == [] and offline.failed == []


def test_a_validation_page_reads_right_offline(offline, site):
    root, validation_page = site
    page = offline.open(validation_page)
    assert offline.aborted == [] and offline.failed == [] and offline.errors == []
    assert "2024-03" in page.title()

    # status icons are drawn by the local stylesheet: a check mark, a cross
    glyph = "el => getComputedStyle(el, '::before').content"
    assert page.locator("i.fa-check-circle").first.evaluate(glyph) == '"✔"'
    assert page.locator("i.fa-times").first.evaluate(glyph) == '"✘"'

    # observed values, not "--"
    assert page.get_by_text("unexpected values found").count() >= 2
    # "Show more info..." opens the run's details: the run is named after the month
    info = page.get_by_text("Show more info...")
    info.click()
    details = page.locator("table", has_text="Run Name")
    assert details.is_visible() and "2024-03" in details.inner_text()
    # "Failed Only" hides the passing expectations
    passing = page.locator("i.fa-check-circle").first
    assert passing.is_visible()
    page.get_by_role("button", name="Failed Only").click()
    assert not passing.is_visible() and page.locator("i.fa-times").first.is_visible()
    page.get_by_role("button", name="Show All").click()
    assert passing.is_visible()

    # the way back to the index is a local file
    page.get_by_role("link", name="Home").click()
    page.wait_for_load_state("load")
    assert page.url == (root / "index.html").as_uri()
    assert offline.aborted == [] and offline.failed == [] and offline.errors == []
