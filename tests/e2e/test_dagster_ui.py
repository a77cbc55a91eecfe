"""The Dagster UI as a user starts it (`sop dev`, what `make dev` runs) loads the code location
and tells the truth about a run made from the command line.

On a copy of the shared company, ``sop run`` closes its last month again with the next one (one
range run, as a user would; ``next_month``), then ``sop dev`` is started on that data root and instance with a
PATH that does not contain this environment's ``bin`` (no activated virtualenv); the tests wait
until the location has loaded, failing with its load error if it does not. Headless Chromium
(Debian's, driven by Playwright) then reads the job's runs, the timeline, a raw partition's row
count and a check's partitions.
Screenshots go to the test's temporary folder, never into the repository.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.conftest import FIRST as COMPANY_FIRST
from tests.conftest import LAST as COMPANY_LAST
from tests.conftest import NEXT

ROOT = Path(__file__).resolve().parents[2]
SOP = str(Path(sys.executable).with_name("sop"))
BIN = str(Path(sys.executable).parent)

LOCATIONS = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message stack } }
      }
    }
  }
}
"""

QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { name location { name } jobs { name } schedules { name cronSchedule } }
    }
  }
  assetNodes { assetKey { path } groupName }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def wait_until_loaded(port: int, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    """Return once the code location ``sop`` has loaded; fail with its load error otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sop dev exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            entries = graphql(port, LOCATIONS)["data"]["workspaceOrError"]["locationEntries"]
        except (OSError, KeyError, TypeError, ValueError):
            time.sleep(1)
            continue
        last = entries
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            if errors:
                error = errors[0]["locationOrLoadError"]
                pytest.fail(f"code location {errors[0]['name']} failed to load: {error['message']}")
            return
        time.sleep(1)
    pytest.fail(f"the code location did not load in {timeout:.0f}s: {last}\n{log.read_text()[-4000:]}")


#: the range the command-line run closed
FIRST, LAST = COMPANY_LAST, NEXT


@pytest.fixture(scope="module")
def webserver(next_month):
    """``sop dev`` on a free port, on the run's data root and instance, with no virtualenv on PATH."""
    data = next_month.root
    log = data / "sop-dev.log"
    port = free_port()
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != BIN)
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "SOP_DATA_DIR", "VIRTUAL_ENV")}
    env["PATH"] = path
    env["DAGSTER_HOME"] = str(next_month.dagster_home)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [SOP, "dev", "--data-dir", str(data), "--port", str(port)],
            cwd=data,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_loaded(port, proc, log)
        yield port
    finally:
        import signal

        # a throwaway server: a few seconds to stop, then its whole process group is killed
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def test_ui_shows_the_job_schedule_and_asset_graph(webserver):
    data = graphql(webserver, QUERY)["data"]
    repos = data["repositoriesOrError"]["nodes"]
    assert [r["location"]["name"] for r in repos] == ["sop"]
    jobs = {j["name"] for r in repos for j in r["jobs"]}
    assert "monthly_sop_cycle" in jobs
    schedules = {s["name"]: s["cronSchedule"] for r in repos for s in r["schedules"]}
    assert schedules == {"monthly_sop_cycle_schedule": "0 5 2 * *"}
    groups = {tuple(a["assetKey"]["path"]): a["groupName"] for a in data["assetNodes"]}
    assert groups[("raw_crm_opportunities",)] == "raw_crm"
    assert groups[("stg_erp__sales_order_lines",)] == "staging"
    assert groups[("revenue_by_region_family_monthly",)] == "marts_revenue"
    assert groups[("serving_marts",)] == "serving"


def test_sop_run_shows_progress_and_ends_with_its_verdict(next_month):
    lines = next_month.fixed.stdout.splitlines()
    assert any(line.strip().startswith("built stg_erp__sales_order_lines (") for line in lines)
    assert any(line.strip().startswith(f"demand forecast {LAST}:") for line in lines)
    verdict = lines[-1]
    # the publication holds every month of the company; the run built the two it closed
    published = f"(months {COMPANY_FIRST} .. {LAST}): built {FIRST} .. {LAST} in "
    assert verdict.startswith("PUBLISHED v") and published in verdict, verdict


# ------------------------------------------------------------------ in a real browser
@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def test_no_first_visit_dialog_covers_the_page(webserver):
    assert graphql(webserver, "{ shouldShowNux }")["data"]["shouldShowNux"] is False


@pytest.fixture
def open_page(browser, webserver, tmp_path):
    """Open a UI path (and a tab of it), wait for ``text``; return the page's text.

    No dialog can cover the page: the instance's dagster.yaml turns Dagster's first-visit
    dialog off (``nux: enabled: false``)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1200})

    def _open(path: str, text: str, click_tab: str | None = None) -> str:
        page.goto(f"http://127.0.0.1:{webserver}{path}")
        page.wait_for_load_state("networkidle")
        if click_tab:
            page.locator("button[role=tab]", has_text=click_tab).click()
        page.get_by_text(text).first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '_')[:60]}.png"))
        return page.inner_text("body")

    yield _open
    page.close()


def _last_run_id(data: Path, dagster_home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOP_DATA_DIR"}
    status = subprocess.run(
        [SOP, "status", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "DAGSTER_HOME": str(dagster_home)},
    ).stdout
    line = next(line for line in status.splitlines() if line.startswith("last run"))
    return line.rsplit("(run ", 1)[1].rstrip(")")


def test_the_cli_run_is_listed_under_its_job_and_on_the_timeline(next_month, open_page):
    run_id = _last_run_id(next_month.root, next_month.dagster_home)
    assert run_id == next_month.runs()[1]
    text = open_page("/locations/sop/jobs/monthly_sop_cycle/runs", run_id[:8])
    assert "You have not materialized any assets with this job yet" not in text
    assert "Success" in text
    timeline = open_page("/overview/activity/timeline", "monthly_sop_cycle")
    assert "sop" in timeline


def test_a_raw_partition_shows_its_own_months_row_count(next_month, open_page):
    import duckdb

    data = next_month.root
    with duckdb.connect(str(data / "warehouse" / "sop.duckdb"), read_only=True) as con:
        counts = dict(
            con.execute(
                "SELECT strftime(_partition_month, '%Y-%m'), count(*) FROM raw.erp_sales_order_lines GROUP BY 1"
            ).fetchall()
        )
    # the run's two months differ: a range total would show on both of them
    assert counts[FIRST] != counts[LAST]
    text = open_page(f"/assets/raw_erp_sales_order_lines?view=partitions&partition={LAST}-01", "dagster/row_count")
    after = text.split("dagster/row_count", 1)[1].split()
    assert after[0] == str(counts[LAST]), after[:3]


def test_a_checks_partitions_show_the_months_it_checked(open_page):
    text = open_page("/assets/raw_erp_sales_order_lines?view=checks", "Passed (", click_tab="Partitions")
    assert "Passed (2)" in text and "Skipped (0)" in text and "Failed (0)" in text
