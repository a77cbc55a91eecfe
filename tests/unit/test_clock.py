"""Every date-dependent default comes from ``orchestration.clock``, and is right on any day.

The tests marked ``today_sensitive`` run in CI on several pinned dates (``pytest -m
today_sensitive --today 2027-01-01``, a 1st of a month, a leap day); on a plain ``make test``
they run on the machine's date. Expected values are computed here with other arithmetic
(the day before the 1st of this month) than the code's (month - 1 with a year wrap).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from orchestration import clock


def previous_month(day: date) -> str:
    return (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2027, 1, 1), "2026-12"),
        (date(2026, 3, 1), "2026-02"),
        (date(2028, 2, 29), "2028-01"),
        (date(2026, 12, 31), "2026-11"),
    ],
)
def test_last_complete_month_on_hand_picked_days(day, expected):
    assert clock.last_complete_month(day) == expected == previous_month(day)


def test_sop_today_pins_the_clock_and_a_bad_value_is_named(monkeypatch):
    monkeypatch.setenv(clock.TODAY_ENV, "2027-01-01")
    assert clock.today() == date(2027, 1, 1) and clock.last_complete_month() == "2026-12"
    monkeypatch.setenv(clock.TODAY_ENV, "01/01/2027")
    with pytest.raises(ValueError, match="SOP_TODAY must be a date like 2027-01-01, got '01/01/2027'"):
        clock.today()


@pytest.mark.today_sensitive
def test_cli_defaults_close_the_last_complete_month():
    from orchestration.cli.main import build_parser

    expected = previous_month(clock.today())
    parser = build_parser()
    assert parser.parse_args(["demo"]).through == expected
    assert parser.parse_args(["bench"]).through == expected
    assert parser.parse_args(["forecast", "bench"]).through == expected


@pytest.mark.today_sensitive
def test_the_schedule_and_the_partitions_end_at_the_last_complete_month():
    from dagster import build_schedule_context

    from orchestration.definitions import defs
    from orchestration.defs.partitions import monthly_partitions

    today = clock.today()
    expected = f"{previous_month(today)}-01"
    at = datetime(today.year, today.month, today.day, 5, 0)
    assert monthly_partitions.get_partition_keys(current_time=at)[-1] == expected
    schedule = defs.resolve_schedule_def("monthly_sop_cycle_schedule")
    requests = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=at)).run_requests
    assert [r.partition_key for r in requests] == [expected]


@pytest.mark.today_sensitive
def test_sop_run_without_a_month_closes_the_last_complete_one(tmp_path):
    """The command's own default, in a separate process that sees the pinned date through SOP_TODAY."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    sop = str(Path(sys.executable).with_name("sop"))
    env = {**os.environ, clock.TODAY_ENV: clock.today().isoformat()}
    # without --from the range starts at the default month, here after --to: refused before anything runs
    proc = subprocess.run(
        [sop, "run", "--to", "2000-01", "--data-dir", str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 2
    assert proc.stdout.strip() == f"--from {previous_month(clock.today())} is after --to 2000-01"
