"""The ``sop forecast`` commands as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SOP = str(Path(sys.executable).with_name("sop"))


def sop(*args, check=True, env=None):
    return subprocess.run([SOP, *args], capture_output=True, text=True, check=check, env={**os.environ, **(env or {})})


@pytest.fixture
def tiny_csv(tmp_path):
    rng = np.random.default_rng(5)
    months = pd.date_range("2021-01-01", periods=48, freq="MS").strftime("%Y-%m-%d")
    rows = []
    for i in range(3):
        y = 100 + 20 * np.sin(2 * np.pi * np.arange(48) / 12) + rng.normal(0, 5, 48)
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": months, "y": y.round(2)}))
    path = tmp_path / "series.csv"
    pd.concat(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "args, expected",
    [
        (["forecast", "--help"], ["evaluate", "bench"]),
        (
            ["forecast", "evaluate", "--help"],
            ["--horizon", "--json", "--candidates", "--per-series", "--backtest-refit", "--intervals"],
        ),
        (["forecast", "bench", "--help"], ["--scale", "--history", "--data-dir"]),
    ],
)
def test_help(args, expected):
    out = sop(*args).stdout
    assert out.startswith(f"usage: sop {' '.join(a for a in args if a != '--help')}")
    for word in expected:
        assert word in out


def test_evaluate_prints_one_json_object(tiny_csv, tmp_path):
    proc = sop(
        "forecast",
        "evaluate",
        str(tiny_csv),
        "--horizon",
        "6",
        "--json",
        "--candidates",
        "AutoETS,SeasonalNaive",
        "--n-jobs",
        "1",
        "--per-series",
        str(tmp_path / "mase.csv"),
    )
    report = json.loads(proc.stdout)
    per_series = pd.read_csv(tmp_path / "mase.csv")
    assert sorted(per_series["unique_id"]) == ["s0", "s1", "s2"]
    assert per_series["selection"].mean() == pytest.approx(report["selection"]["mase"])
    assert per_series["seasonal_naive"].mean() == pytest.approx(report["seasonal_naive"]["mase"])
    assert report["series"] == 3
    assert set(report["candidates"]) == {"AutoETS", "SeasonalNaive", "Ensemble"}
    for key in ("selection", "seasonal_naive", "naive2"):
        assert set(report[key]) == {"smape", "mase", "coverage80", "wape", "bias"}
        assert 0 <= report[key]["coverage80"] <= 1 and report[key]["mase"] > 0
    # the selection picks one candidate's forecast per series: the hindsight best cannot be worse
    assert report["oracle"]["mase"] <= report["selection"]["mase"] + 1e-9


def test_evaluate_table_and_errors(tiny_csv, tmp_path):
    out = sop(
        "forecast",
        "evaluate",
        str(tiny_csv),
        "--horizon",
        "6",
        "--candidates",
        "SeasonalNaive,HistoricAverage",
        "--n-jobs",
        "1",
    ).stdout
    assert out.splitlines()[0].split() == ["forecast", "sMAPE", "MASE", "cover80", "WAPE", "bias"]
    assert "Naive2" in out and "seasonal naive" in out and "series scored: 3" in out
    assert "best candidate in hindsight" in out

    bad = sop("forecast", "evaluate", str(tiny_csv), "--horizon", "6", "--candidates", "Prophet", check=False)
    assert bad.returncode == 2 and "unknown forecast candidate(s) ['Prophet']" in bad.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text("unique_id,ds,y\na,2021-01-01,1\na,March,2\n")
    proc = sop("forecast", "evaluate", str(broken), "--horizon", "1", check=False)
    assert proc.returncode == 2 and "broken.csv, row 3: ds 'March' is not a date like 2024-03-01" in proc.stderr


def test_bench_on_a_file_writes_figures(tiny_csv, tmp_path):
    proc = sop(
        "forecast",
        "bench",
        "--history",
        str(tiny_csv),
        "--horizon",
        "6",
        "--n-jobs",
        "1",
        "--candidates",
        "SeasonalNaive,HistoricAverage",
        "--data-dir",
        str(tmp_path / "data"),
    )
    figures = json.loads((tmp_path / "data" / "bench" / "forecast-series.json").read_text())
    assert figures["forecast"]["series"] == 3 and figures["forecast"]["seconds"] > 0
    assert sum(figures["forecast"]["model_mix"].values()) == 3
    assert "series/s" in proc.stdout


def test_bench_on_a_small_demo_company(tmp_path):
    sop(
        "forecast",
        "bench",
        "--scale",
        "0.02",
        "--start",
        "2021-01",
        "--through",
        "2022-06",
        "--horizon",
        "6",
        "--n-jobs",
        "1",
        "--candidates",
        "SeasonalNaive,HistoricAverage,TSB",
        "--data-dir",
        str(tmp_path / "data"),
    )
    figures = json.loads((tmp_path / "data" / "bench" / "forecast-scale0.02.json").read_text())
    assert figures["forecast"]["series"] > 0
    assert figures["forecast"]["series_per_second"] > 0
    assert not list(tmp_path.glob("data/landing"))  # the company was generated in a scratch folder
