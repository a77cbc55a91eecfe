"""`sop bench` measures every stage and writes its figures."""

from __future__ import annotations

import json

import pytest

from orchestration.benchmarks.pipeline import months_between, run_benchmark
from orchestration.defs.quality_checks import quality_checks


def test_months_between_spans_year_ends():
    assert months_between("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]


@pytest.mark.slow
def test_benchmark_times_every_stage_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    lines: list[str] = []
    figures = run_benchmark(
        scale=0.02, seed=3, start="2021-01", through="2021-02", work_dir=tmp_path / "work", output=out, say=lines.append
    )
    assert set(figures["stages"]) == {"generate", "ingest", "dbt_build", "close_month", "quality", "publish"}
    assert figures["stages"]["ingest"]["rows"] == figures["stages"]["generate"]["rows"] > 0
    assert all(stage["seconds"] > 0 for stage in figures["stages"].values())
    assert json.loads(out.read_text()) == figures
    assert any("publish" in line for line in lines)
    # closing the last month again re-ingests exactly that month's extracts
    last_month_rows = figures["stages"]["close_month"]["rows"]
    assert 0 < last_month_rows < figures["stages"]["ingest"]["rows"]
    quality = figures["stages"]["quality"]
    assert quality["failed_suites"] == [] and quality["suites"] == len(quality_checks)
    ratio = quality["seconds"] / figures["stages"]["close_month"]["seconds"]
    assert quality["ratio_to_close_month"] == pytest.approx(ratio, abs=0.01)
    assert any("quality" in line and "of closing the month" in line for line in lines)
