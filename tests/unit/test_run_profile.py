"""The run profile's arithmetic: steps from events, a step's memory from a hand-made trace."""

from __future__ import annotations

import pandas as pd

from orchestration.benchmarks.run_profile import StepSpan, step_report, step_spans, subtree_rss


def test_steps_are_timed_from_their_start_to_their_end_event():
    events = [
        (10.0, "b", "STEP_START", 100),
        (5.0, "a", "STEP_START", 100),
        (12.5, "a", "STEP_SUCCESS", 100),
        (20.0, "b", "STEP_FAILURE", 100),
        (21.0, "c", "STEP_START", 100),
        (30.0, None, "RUN_SUCCESS", 100),
    ]
    spans = step_spans(events)
    assert [(s.step, s.seconds) for s in spans] == [("a", 7.5), ("b", 10.0), ("c", 9.0)]


def _trace():
    # run process 100 with dbt 101 under it; 200 is another program's tree (not the step's)
    rows = [
        (1.0, 100, 1, 500.0, 0),
        (1.0, 200, 1, 50.0, 0),
        (3.0, 100, 1, 600.0, 0),
        (3.0, 101, 100, 2000.0, 1),
        (3.0, 102, 101, 100.0, 0),  # a child of dbt: in the step's tree, not dbt's own process
        (3.0, 200, 1, 50.0, 0),
        (5.0, 100, 1, 900.0, 0),
        (5.0, 200, 1, 1000.0, 0),
    ]
    return pd.DataFrame(rows, columns=["t", "pid", "ppid", "rss_mb", "dbt"])


def test_a_steps_memory_is_its_process_tree_at_each_sample_and_dbt_is_counted_apart():
    tree = subtree_rss(_trace(), 100)
    assert tree.to_dict("list") == {"t": [1.0, 3.0, 5.0], "rss_mb": [500.0, 2700.0, 900.0], "dbt_mb": [0, 2000.0, 0]}
    report = step_report([StepSpan("dbt", 100, 2.0, 4.0), StepSpan("forecast", 100, 4.5, 6.0)], _trace())
    assert report.to_dict("records") == [
        {"step": "dbt", "seconds": 2.0, "step_peak_mb": 2700.0, "dbt_peak_mb": 2000.0, "total_peak_mb": 2750.0},
        {"step": "forecast", "seconds": 1.5, "step_peak_mb": 900.0, "dbt_peak_mb": 0.0, "total_peak_mb": 1900.0},
    ]
