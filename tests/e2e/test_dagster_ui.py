"""The Dagster UI (what `make dev` serves) loads the code location from workspace.yaml."""

from __future__ import annotations

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
WEBSERVER = str(Path(sys.executable).with_name("dagster-webserver"))

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


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster-home")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "SOP_DATA_DIR": str(home / "data")}
    proc = subprocess.Popen(
        [WEBSERVER, "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dagster-webserver did not come up")
                time.sleep(1)
        yield port
    finally:
        proc.terminate()
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
