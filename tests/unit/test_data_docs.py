"""The Data Docs site of a run works offline, links only files it has, shows what GX observed and stays small.

Small hand-made extracts (the helpers of ``test_quality_engine``) are checked with
``reports_root`` set; the site is then read as a browser would: every ``href``/``src`` of
every page must be local and resolve (a file of the site, or an anchor of the page).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.quality.data_docs import prune, run_name, site_dir_for
from orchestration.quality.engine import run_raw_suite
from tests.unit.test_quality_engine import MONTH, OPPS, _load, _opportunity, _write_csv


class _Page(HTMLParser):
    """The links (``href``, ``src``) and element ids of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, value))
            elif name == "id" and value:
                self.ids.add(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(site: Path) -> list[str]:
    """Every link of the site's pages that leaves the machine or points at nothing."""
    problems = []
    for path in sorted(site.rglob("*.html")):
        page = _parse(path)
        for tag, link in page.links:
            where = f"{path.relative_to(site)}: <{tag}> {link}"
            parts = urlsplit(link)
            if parts.scheme == "data":
                continue
            if parts.scheme or parts.netloc or link.startswith("//"):
                problems.append(f"{where}: not local")
            elif not parts.path:
                if parts.fragment and parts.fragment not in page.ids:
                    problems.append(f"{where}: no element with this id")
            else:
                target = (path.parent / unquote(parts.path)).resolve()
                if not target.is_file():
                    problems.append(f"{where}: no such file")
                elif not target.is_relative_to(site.resolve()):
                    problems.append(f"{where}: outside the site")
    for css in site.rglob("*.css"):
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text())
        problems += [f"{css.relative_to(site)}: url({u})" for u in urls if not u.startswith("data:")]
    return problems


def observed_cells(page: Path) -> list[str]:
    """The text of the "Observed Value" cells of a GX validation page (third cell of each result row)."""
    cells = re.findall(r'<td id="section-\d+-content-block-\d+-cell-\d+-3"[^>]*>(.*?)</td>', page.read_text(), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def site_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())


def test_run_names_say_the_months():
    assert run_name(["2024-03"]) == "2024-03"
    assert run_name(["2024-03", "2024-01", "2024-02"]) == "2024-01..2024-03"


def test_a_months_site_is_local_linked_and_shows_observed_values(tmp_path):
    rows = [_opportunity(i) for i in range(1, 5)]
    rows[1]["Amount"] = "-1200.00"
    rows[2]["CurrencyIsoCode"] = "XXX"
    con, _ = _load(tmp_path, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH], reports_root=tmp_path / "reports")
    site = site_dir_for(tmp_path / "reports", MONTH)
    page = outcome.data_docs
    assert page == site / "validations" / "raw_crm_opportunities.html"
    assert site_files(site) == [
        "index.html",
        "sop_checks.json",
        "static/styles/data_docs.css",
        "validations/raw_crm_opportunities.html",
    ]

    # nothing from the web, nothing missing; no link to a suite page the site does not have
    assert broken_links(site) == []
    text = page.read_text()
    assert not re.search(r"https?://", text)
    assert "expectations/" not in text
    assert 'href="static/styles/data_docs.css"' in (site / "index.html").read_text()
    assert 'href="../static/styles/data_docs.css"' in text and 'href="../index.html"' in text

    # what GX observed is on the page, for every expectation, failed or passed
    observed = observed_cells(page)
    assert len(observed) == outcome.expectations and "--" not in observed
    assert any(o.endswith("% unexpected") for o in observed)
    assert "-1200.0" in text and "XXX" in text  # the unexpected values GX sampled
    assert "unexpected values found" in text

    # the run is named after the month it closes
    assert re.search(r">\s*Run Name\s*<.*?>\s*2024-03\s*<", text, re.S)


def test_a_range_run_has_one_page_per_suite_with_each_months_results(tmp_path):
    rows = [_opportunity(i) for i in range(1, 4)]
    con, _ = _load(tmp_path, rows)
    _write_csv(tmp_path / "landing", OPPS, "2024-02", [])  # nothing changed in February
    load_month(con, OPPS, "2024-02", LandingFolderReader(tmp_path / "landing"), load_id="load-2")
    outcome = run_raw_suite(con, OPPS, ["2024-02", MONTH], reports_root=tmp_path / "reports")
    site = site_dir_for(tmp_path / "reports", MONTH)
    # the rows once and each month's freshness: all on the suite's one page
    assert site_files(site) == [
        "index.html",
        "sop_checks.json",
        "static/styles/data_docs.css",
        "validations/raw_crm_opportunities.html",
    ]
    text = outcome.data_docs.read_text()
    assert re.search(r">\s*Run Name\s*<.*?>\s*2024-02\.\.2024-03\s*<", text, re.S)
    assert "2024-02: values of latest_updated_at must be at least" in text
    assert "2024-03: values of latest_updated_at must be at least" in text
    # February's summary has no newest timestamp: the page says so rather than "--"
    observed = observed_cells(outcome.data_docs)
    assert len(observed) == outcome.expectations and "--" not in observed and "null" in observed
    assert "2024-02..2024-03" in (site / "index.html").read_text()
    assert broken_links(site) == []


def test_checking_again_overwrites_the_page_and_prunes_what_the_site_no_longer_links(tmp_path):
    con, _ = _load(tmp_path, [_opportunity(i) for i in range(1, 4)])
    site = site_dir_for(tmp_path / "reports", MONTH)
    # a site of the former layout: a page per run and time, GX's images, an index entry pointing there
    stale = site / "validations" / "raw_crm_opportunities" / "__none__" / "20240401T000000.000000Z" / "x.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<html></html>")
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo-long.png").write_bytes(b"png")
    (site / "sop_checks.json").write_text(
        json.dumps(
            {
                "raw_old": {
                    "suite": "raw_old",
                    "months": [MONTH],
                    "passed": True,
                    "severity": "",
                    "failures": 0,
                    "page": str(stale),
                    "validated_at": "2024-04-01 00:00:00",
                }
            }
        )
    )

    first = run_raw_suite(con, OPPS, [MONTH], reports_root=tmp_path / "reports")
    files = site_files(site)
    assert files == [
        "index.html",
        "sop_checks.json",
        "static/styles/data_docs.css",
        "validations/raw_crm_opportunities.html",
    ]
    index = (site / "index.html").read_text()
    assert ">raw_old<" in index and 'href="validations/raw_old' not in index  # listed, its page gone
    assert broken_links(site) == []

    for _ in range(2):
        again = run_raw_suite(con, OPPS, [MONTH], reports_root=tmp_path / "reports")
        assert again.data_docs == first.data_docs and site_files(site) == files
    assert prune(site, {}) == [site / "validations" / "raw_crm_opportunities.html"]
