"""The Dagster UI as a user starts it (`sop dev`, what `make dev` runs) loads the code location.

The server is started with a PATH that does not contain this environment's ``bin`` (no
activated virtualenv), and the test waits until the location has loaded, failing with its load
error if it does not.
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


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """``sop dev`` on a free port, with a data root of its own and no virtualenv on PATH."""
    data = tmp_path_factory.mktemp("dev-data")
    log = data / "sop-dev.log"
    port = free_port()
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != BIN)
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "SOP_DATA_DIR", "VIRTUAL_ENV")}
    env["PATH"] = path
    with open(log, "w") as out:
        proc = subprocess.Popen([SOP, "dev", "--data-dir", str(data), "--port", str(port)], cwd=data, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_loaded(port, proc, log)
        yield port
    finally:
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
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
