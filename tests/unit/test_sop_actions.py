"""The S&OP action register: one test per validation rule, snapshots that leave the planners' file alone, the
status history across cycles (numbers worked out by hand), and edits that change one line and nothing else."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from orchestration.sop_cycle import actions as act
from orchestration.sop_cycle import tables
from orchestration.sop_cycle.kpis import KPI_IDS

LABEL = "inputs/sop_actions.csv"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "sop_actions.csv"
GOOD = {
    "action_id": "A-001",
    "raised_cycle": "2026-09",
    "title": "Agree safety stock for pumps",
    "owner": "li.wei",
    "due_date": "2026-10-15",
    "status": "open",
    "link": "kpi:fill_rate",
    "closed_on": "",
    "note": "",
}


def csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def write(folder: Path, *rows: dict, header=act.COLUMNS) -> Path:
    """A register file with ``rows`` (dicts of column -> text) under ``header``."""
    path = folder / "sop_actions.csv"
    path.write_text(csv_line(header) + "".join(csv_line([r.get(c, "") for c in header]) for r in rows))
    return path


def row(**changes) -> dict:
    return {**GOOD, **changes}


def rules_of(error: str) -> set[str]:
    return set(re.findall(r"rule (\w+):", error or ""))


# ---------------------------------------------------------------- one test per rule
BAD_ROWS = [
    ("missing_id", {"action_id": ""}),
    ("missing_id", {"action_id": "   "}),
    ("missing_title", {"title": ""}),
    ("missing_owner", {"owner": " "}),
    ("bad_cycle", {"raised_cycle": "2026-13", "due_date": "2027-01-10"}),
    ("bad_cycle", {"raised_cycle": "Sep 2026"}),
    ("bad_cycle", {"raised_cycle": "2026-9"}),
    ("bad_due_date", {"due_date": "2026-02-30"}),
    ("bad_due_date", {"due_date": "15/10/2026"}),
    ("bad_due_date", {"due_date": ""}),
    ("due_not_before_raised", {"raised_cycle": "2026-10", "due_date": "2026-09-30"}),
    ("bad_status", {"status": "Open"}),
    ("bad_status", {"status": "closed"}),
    ("bad_status", {"status": ""}),
    ("bad_closed_on", {"status": "done", "closed_on": "2026-10-32"}),
    ("done_without_closed_on", {"status": "done"}),
    ("done_without_closed_on", {"status": "dropped"}),
    ("closed_on_while_open", {"status": "in_progress", "closed_on": "2026-10-01"}),
    ("closed_on_while_open", {"status": "open", "closed_on": "2026-10-01"}),
    ("closed_before_raised", {"raised_cycle": "2026-10", "due_date": "2026-10-20", "status": "done",
                              "closed_on": "2026-09-30"}),
    ("unknown_kpi", {"link": "kpi:nope"}),
    ("unknown_kpi", {"link": "kpi:"}),
    ("unknown_kpi", {"link": "kpi:Fill_Rate"}),
    ("bad_link", {"link": "exception:"}),
    ("bad_link", {"link": "KPI:fill_rate"}),
    ("bad_link", {"link": "https://wiki/actions/1"}),
]  # fmt: skip


def test_every_rule_has_a_bad_row_here():
    assert {rule for rule, _ in BAD_ROWS} | {"duplicate_id", "extra_values"} == set(act.RULES)


@pytest.mark.parametrize("rule, changes", BAD_ROWS, ids=[f"{r}-{i}" for i, (r, _) in enumerate(BAD_ROWS)])
def test_a_row_breaking_one_rule_is_refused_with_file_row_and_rule(tmp_path, rule, changes):
    path = write(tmp_path, row(action_id="A-000"), row(**changes), row(action_id="A-002"))
    read = act.read_actions(path)
    assert read.refused["row"].tolist() == [3]
    error = read.refused["error"].iloc[0]
    assert error.startswith(f"{LABEL} row 3: rule {rule}:")
    assert rules_of(error) == {rule}
    assert read.valid["row"].tolist() == [2, 4]
    assert read.valid["error"].isna().all()


def test_the_due_date_message_names_the_date_and_the_cycle(tmp_path):
    path = write(tmp_path, row(), row(action_id="A-004", raised_cycle="2026-10", due_date="2026-09-30"))
    assert act.read_actions(path).refused["error"].tolist() == [
        f"{LABEL} row 3: rule due_not_before_raised: due date 2026-09-30 is before cycle 2026-10 was raised"
    ]


def test_the_earliest_due_and_closing_day_is_the_first_day_of_the_raised_cycle(tmp_path):
    path = write(
        tmp_path,
        row(action_id="A-001", raised_cycle="2026-10", due_date="2026-10-01"),
        row(action_id="A-002", raised_cycle="2026-10", due_date="2026-10-01", status="done", closed_on="2026-10-01"),
    )
    assert act.read_actions(path).rows["valid"].all()


def test_every_row_sharing_an_id_is_refused(tmp_path):
    path = write(
        tmp_path, row(action_id="A-001"), row(action_id="A-002"), row(action_id=" A-001 "), row(action_id="A-1")
    )
    read = act.read_actions(path)
    refused = read.refused.set_index("row")["error"]
    assert sorted(refused.index) == [2, 4]
    assert refused[2].startswith(f"{LABEL} row 2: rule duplicate_id:") and "row 4" in refused[2]
    assert refused[4].startswith(f"{LABEL} row 4: rule duplicate_id:") and "row 2" in refused[4]
    assert all(rules_of(e) == {"duplicate_id"} for e in refused)


def test_values_beyond_the_header_are_refused(tmp_path):
    path = tmp_path / "sop_actions.csv"
    good = csv_line([GOOD[c] for c in act.COLUMNS])
    path.write_text(
        csv_line(act.COLUMNS) + good.replace("A-001", "A-002")
        # an unquoted comma in the note: one value too many
        + good.replace("A-001", "A-003").rstrip("\n") + "Call Tom, then the plant\n"
        + good.replace("A-001", "A-004").rstrip("\n") + ",,\n"  # empty extra values are harmless
    )  # fmt: skip
    read = act.read_actions(path)
    assert read.refused["row"].tolist() == [3]
    error = read.refused["error"].iloc[0]
    assert error.startswith(f"{LABEL} row 3: rule extra_values:") and rules_of(error) == {"extra_values"}
    assert read.valid["action_id"].tolist() == ["A-002", "A-004"]


def test_a_row_breaking_several_rules_lists_them_all(tmp_path):
    bad = row(title="", status="done", link="kpi:nope", raised_cycle="2026-11")
    path = write(tmp_path, bad)
    error = act.read_actions(path).rows["error"].iloc[0]
    assert error.startswith(f"{LABEL} row 2: ")
    assert rules_of(error) == {"missing_title", "done_without_closed_on", "unknown_kpi", "due_not_before_raised"}


def test_known_kpis_decide_which_kpi_links_are_accepted(tmp_path):
    path = write(tmp_path, row(link="kpi:custom_kpi"), row(action_id="A-002", link="kpi:fill_rate"))
    read = act.read_actions(path, known_kpis={"custom_kpi"})
    assert read.valid["action_id"].tolist() == ["A-001"]
    assert rules_of(read.refused["error"].iloc[0]) == {"unknown_kpi"}
    assert "fill_rate" in KPI_IDS and act.read_actions(path).valid["action_id"].tolist() == ["A-002"]


def test_a_valid_file_has_no_errors_and_keeps_values_as_written(tmp_path):
    rows = [
        row(action_id=" A-001 ", status=" in_progress ", due_date=" 2026-10-15"),
        row(action_id="A-002", status="done", closed_on="2026-10-02", link="exception:stockout SKU-123 DE01"),
        row(action_id="A-003", status="dropped", closed_on="2026-09-01", link="", note="no longer needed, see A-002"),
    ]
    path = write(tmp_path, *rows)
    read = act.read_actions(path)
    assert read.refused.empty and read.rows["error"].isna().all()
    assert read.rows["row"].tolist() == [2, 3, 4]
    assert read.rows[act.COLUMNS].to_dict("records") == rows
    assert read.file == LABEL


def test_the_documented_example_is_valid_and_uses_every_status():
    read = act.read_actions(EXAMPLE)
    assert read.refused.empty and 6 <= len(read.rows) <= 8
    assert set(read.rows["status"]) == set(act.STATUSES)
    links = read.rows["link"]
    assert links.str.startswith("exception:").any()
    assert set(links[links.str.startswith("kpi:")].str[4:]) <= KPI_IDS


def test_columns_may_come_in_any_order(tmp_path):
    header = list(reversed(act.COLUMNS))
    path = write(tmp_path, row(), row(action_id="A-002", status="Done"), header=header)
    read = act.read_actions(path)
    assert read.valid["action_id"].tolist() == ["A-001"]
    assert rules_of(read.refused["error"].iloc[0]) == {"bad_status"}


@pytest.mark.parametrize(
    "header, named",
    [
        ([c for c in act.COLUMNS if c != "owner"], ["missing: owner"]),
        ([*act.COLUMNS, "priority"], ["unknown: priority"]),
        ([c if c != "due_date" else "due" for c in act.COLUMNS], ["missing: due_date", "unknown: due"]),
        ([*act.COLUMNS, "note"], ["more than once: note"]),
    ],
)
def test_a_wrong_header_is_an_error_naming_the_file_and_columns(tmp_path, header, named):
    path = write(tmp_path, row(), header=header)
    with pytest.raises(act.ActionFileError) as caught:
        act.read_actions(path)
    assert str(caught.value).startswith(f"{LABEL}: ")
    for text in named:
        assert text in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_missing_or_blank_file_is_an_empty_register(tmp_path):
    for read in (act.read_actions(tmp_path / "none.csv"), act.read_actions(write(tmp_path))):
        assert read.rows.empty and list(read.rows.columns) == act.ROW_COLUMNS
    (tmp_path / "blank.csv").write_text("\n \n")
    assert act.read_actions(tmp_path / "blank.csv").rows.empty


def test_rows_are_numbered_by_file_line_across_blank_lines_and_multi_line_values(tmp_path):
    path = tmp_path / "sop_actions.csv"
    lines = [
        csv_line(act.COLUMNS),
        csv_line([row(note="first\nsecond")[c] for c in act.COLUMNS]),  # lines 2-3
        "\n",  # line 4
        csv_line([row(action_id="A-002", status="bad")[c] for c in act.COLUMNS]),  # line 5
    ]
    path.write_text("".join(lines))
    read = act.read_actions(path)
    assert read.rows["row"].tolist() == [2, 5]
    assert read.rows["note"].iloc[0] == "first\nsecond"
    assert read.refused["error"].iloc[0].startswith(f"{LABEL} row 5: rule bad_status")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path, row())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert act.read_actions(path).valid["action_id"].tolist() == ["A-001"]


def test_reading_and_snapshotting_leave_the_file_untouched(tmp_path):
    path = write(tmp_path, row(), row(action_id="A-002", status="wrong"))
    before, stat = path.read_bytes(), path.stat()
    read = act.read_actions(path)
    act.snapshot(read, pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-03 08:00"))
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(os.listdir(tmp_path)) == ["sop_actions.csv"]


# ---------------------------------------------------------------- snapshot
def test_the_snapshot_has_the_stored_table_columns_and_parsed_dates(tmp_path):
    path = write(
        tmp_path,
        row(action_id=" A-001 ", status="done", closed_on="2026-10-02"),
        row(action_id="A-002", due_date="2026-10-xx"),
    )
    snap = act.snapshot(act.read_actions(path), pd.Timestamp("2026-09-17"), pd.Timestamp("2026-10-03 08:15"))
    assert list(snap.columns) == act.SNAPSHOT_COLUMNS == list(tables.ACTION_SNAPSHOTS.columns)
    assert (snap["cycle_month"] == pd.Timestamp("2026-09-01")).all()
    assert (snap["taken_at"] == pd.Timestamp("2026-10-03 08:15")).all()
    assert (snap["file"] == LABEL).all() and snap["row"].tolist() == [2, 3]
    assert snap["action_id"].tolist() == ["A-001", "A-002"]
    assert snap["due_date"].iloc[0] == pd.Timestamp("2026-10-15") and pd.isna(snap["due_date"].iloc[1])
    assert snap["closed_on"].iloc[0] == pd.Timestamp("2026-10-02") and pd.isna(snap["closed_on"].iloc[1])
    assert snap["valid"].tolist() == [True, False]
    assert rules_of(snap["error"].iloc[1]) == {"bad_due_date"} and snap["error"].iloc[0] is None


def test_a_timezone_aware_read_time_is_stored_in_utc(tmp_path):
    snap = act.snapshot(
        act.read_actions(write(tmp_path, row())),
        pd.Timestamp("2026-09-01"),
        pd.Timestamp("2026-10-03 10:15", tz="Europe/Berlin"),
    )
    assert snap["taken_at"].iloc[0] == pd.Timestamp("2026-10-03 08:15")


# ---------------------------------------------------------------- history
def take(folder: Path, cycle: str, taken_at: str, *rows: dict) -> pd.DataFrame:
    """The snapshot a run of ``cycle`` at ``taken_at`` stores, for a register holding ``rows``."""
    sub = folder / f"{cycle}-{taken_at.replace(':', '').replace(' ', 'T')}"
    sub.mkdir()
    return act.snapshot(act.read_actions(write(sub, *rows)), pd.Timestamp(f"{cycle}-01"), pd.Timestamp(taken_at))


def a(action_id, raised, due, status="open", closed_on="", **more) -> dict:
    return row(action_id=action_id, raised_cycle=raised, due_date=due, status=status, closed_on=closed_on, **more)


@pytest.fixture
def three_cycles(tmp_path) -> pd.DataFrame:
    """Cycles 2026-08, 09 and 10 (closing 09-01, 10-01, 11-01), with re-runs whose latest snapshot counts."""
    aug = take(
        tmp_path,
        "2026-08",
        "2026-09-03 09:00",
        a("A-001", "2026-08", "2026-10-15"),
        a("A-002", "2026-08", "2026-09-15", owner="sam.jones"),
        a("A-005", "2026-08", "2026-12-31"),
        a("A-010", "2026-10", "2026-11-30"),  # raised by a later cycle: not yet an action in 2026-08
    )
    sep_first = take(
        tmp_path,
        "2026-09",
        "2026-10-02 09:00",
        a("A-001", "2026-08", "2026-10-15", status="done", closed_on="2026-09-30"),
        a("A-099", "2026-09", "2026-10-31"),
    )
    sep = take(
        tmp_path,
        "2026-09",
        "2026-10-05 16:30",
        a("A-001", "2026-08", "2026-10-15", status="in_progress"),
        a("A-002", "2026-08", "2026-09-15", owner="sam.jones"),
        a("A-003", "2026-09", "2026-10-31"),
        a("A-006", "2026-09", "2026-10-31", status="paused"),  # refused: not in the history
    )
    oct_ = take(
        tmp_path,
        "2026-10",
        "2026-11-04 10:00",
        a("A-001", "2026-08", "2026-10-15", status="done", closed_on="2026-10-20"),
        a("A-002", "2026-08", "2026-09-15", owner="sam.jones"),
        a("A-003", "2026-09", "2026-10-31", status="dropped", closed_on="2026-10-05"),
        a("A-004", "2026-10", "2026-11-30", link="exception:stockout SKU-123 DE01"),
        a("A-005", "2026-08", "2026-12-31"),
    )
    return pd.concat([oct_, sep, aug, sep_first], ignore_index=True)


def test_history_columns_are_the_stored_table_columns(three_cycles):
    history = act.action_history(three_cycles)
    assert list(history.columns) == act.HISTORY_COLUMNS == list(tables.ACTION_HISTORY.columns)
    assert list(act.action_history(three_cycles.iloc[0:0]).columns) == act.HISTORY_COLUMNS


def test_history_across_three_cycles(three_cycles):
    history = act.action_history(three_cycles)
    got = {
        (f"{r.cycle_month:%Y-%m}", r.action_id): (
            r.status,
            r.previous_status,
            bool(r.status_changed),
            int(r.days_open),
            bool(r.is_overdue),
            int(r.days_overdue),
            int(r.times_carried_over),
            bool(r.is_new),
            bool(r.is_due_next),
        )
        for r in history.itertuples()
    }
    # raised on: 2026-08 -> 09-01, 2026-09 -> 10-01, 2026-10 -> 11-01; as of: the first day after the cycle
    expected = {
        # A-001 open -> in_progress -> done on 10-20 (due 10-15)
        ("2026-08", "A-001"): ("open", None, False, 0, False, 0, 0, True, False),
        ("2026-09", "A-001"): ("in_progress", "open", True, 30, False, 0, 1, False, True),  # 09-01 .. 10-01
        ("2026-10", "A-001"): ("done", "in_progress", True, 49, False, 0, 1, False, False),  # 09-01 .. 10-20
        # A-002 due 09-15, open throughout: carried over and overdue
        ("2026-08", "A-002"): ("open", None, False, 0, False, 0, 0, True, True),  # due before 10-01
        ("2026-09", "A-002"): ("open", "open", False, 30, True, 16, 1, False, False),  # 09-15 .. 10-01
        ("2026-10", "A-002"): ("open", "open", False, 61, True, 47, 2, False, False),  # 09-15 .. 11-01
        # A-003 raised 2026-09, dropped on 10-05
        ("2026-09", "A-003"): ("open", None, False, 0, False, 0, 0, True, True),  # due 10-31 < 11-01
        ("2026-10", "A-003"): ("dropped", "open", True, 4, False, 0, 0, False, False),  # 10-01 .. 10-05
        # A-004 new in cycle 3, due 11-30, before the next cycle closes (12-01)
        ("2026-10", "A-004"): ("open", None, False, 0, False, 0, 0, True, True),
        # A-005 missing from the 2026-09 snapshot, back in 2026-10
        ("2026-08", "A-005"): ("open", None, False, 0, False, 0, 0, True, False),
        ("2026-10", "A-005"): ("open", "open", False, 61, False, 0, 1, False, False),
    }
    assert got == expected


def test_history_dates_and_carried_fields(three_cycles):
    history = act.action_history(three_cycles).set_index(["cycle_month", "action_id"])
    oct_a001 = history.loc[(pd.Timestamp("2026-10-01"), "A-001")]
    assert oct_a001["as_of_date"] == pd.Timestamp("2026-11-01")
    assert oct_a001["closed_on"] == pd.Timestamp("2026-10-20") and oct_a001["due_date"] == pd.Timestamp("2026-10-15")
    assert oct_a001["raised_cycle"] == "2026-08" and oct_a001["owner"] == "li.wei"
    assert history.loc[(pd.Timestamp("2026-10-01"), "A-004"), "link"] == "exception:stockout SKU-123 DE01"
    assert history.loc[(pd.Timestamp("2026-09-01"), "A-002"), "owner"] == "sam.jones"
    assert pd.isna(history.loc[(pd.Timestamp("2026-09-01"), "A-002"), "closed_on"])
    sorted_keys = list(history.index)
    assert sorted_keys == sorted(sorted_keys)


def test_the_latest_snapshot_of_a_cycle_wins(three_cycles):
    history = act.action_history(three_cycles)
    september = history[history["cycle_month"] == pd.Timestamp("2026-09-01")]
    # the earlier 2026-09 snapshot said A-001 done and held A-099; the later one (A-006 refused) counts
    assert september["action_id"].tolist() == ["A-001", "A-002", "A-003"]
    assert september.set_index("action_id").loc["A-001", "status"] == "in_progress"
    assert "A-010" not in set(history["action_id"])  # raised by 2026-10, seen only in the 2026-08 snapshot


def test_a_rerun_replaces_the_cycle_in_the_history(tmp_path, three_cycles):
    rerun = take(tmp_path, "2026-10", "2026-11-06 12:00", a("A-002", "2026-08", "2026-09-15", "done", "2026-11-02"))
    history = act.action_history(pd.concat([three_cycles, rerun], ignore_index=True))
    october = history[history["cycle_month"] == pd.Timestamp("2026-10-01")]
    assert october["action_id"].tolist() == ["A-002"]
    r = october.iloc[0]
    # done on 11-02: 09-01 .. 11-02 is 62 days; carried over in 2026-09 only (open there, done now)
    assert (r["status"], r["previous_status"], bool(r["status_changed"])) == ("done", "open", True)
    assert (int(r["days_open"]), bool(r["is_overdue"]), int(r["days_overdue"])) == (62, False, 0)
    assert int(r["times_carried_over"]) == 1


def test_an_action_closed_within_its_raised_cycles_month_counts_no_days(tmp_path):
    # raised by cycle 2026-10 (its meeting in November) but dated in October: allowed, 0 days rather than -26
    snap = take(tmp_path, "2026-10", "2026-11-03 09:00", a("A-001", "2026-10", "2026-10-10", "done", "2026-10-06"))
    r = act.action_history(snap).iloc[0]
    assert (int(r["days_open"]), bool(r["is_new"]), bool(r["is_overdue"])) == (0, True, False)


def test_history_does_not_depend_on_row_order(three_cycles):
    first = act.action_history(three_cycles)
    shuffled = act.action_history(three_cycles.sample(frac=1, random_state=3).reset_index(drop=True))
    pd.testing.assert_frame_equal(first, shuffled)


def test_history_accepts_snapshots_as_read_back_from_the_warehouse(three_cycles):
    stored = three_cycles.copy()
    for c in ("cycle_month", "due_date", "closed_on"):
        stored[c] = [None if pd.isna(v) else v.date() for v in stored[c]]
    pd.testing.assert_frame_equal(act.action_history(stored), act.action_history(three_cycles))


# ---------------------------------------------------------------- editing
#: header LF; A-001 CRLF; A-002 with quoted commas and an unneeded quote on its id; A-003 last, no final newline
ORIGINAL = (
    b"action_id,raised_cycle,title,owner,due_date,status,link,closed_on,note\n"
    b"A-001,2026-09,Agree safety stock for pumps,li.wei,2026-10-15,open,kpi:fill_rate,,\r\n"
    b'"A-002",2026-09,"Call the distributor, then the plant",sam.jones,2026-10-31,in_progress,,,"see ""notes"", p. 2"\n'
    b"A-003,2026-10,Review the lag-1 WAPE of valves,ana.silva,2026-11-20,open,kpi:demand_wape_lag1,,first look"
)
LINES = ORIGINAL.splitlines(keepends=True)


@pytest.fixture
def register(tmp_path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    path = folder / "sop_actions.csv"
    path.write_bytes(ORIGINAL)
    return path


def only_the_file_is_there(path: Path) -> bool:
    return sorted(os.listdir(path.parent)) == [path.name]


def test_add_appends_one_line_and_keeps_the_missing_final_newline(register):
    new_id = act.add_action(
        register,
        title="Check supplier lead times, then re-plan",
        owner="tom.becker",
        due_date="2026-11-30",
        raised_cycle="2026-10",
        link="kpi:otif",
    )
    assert new_id == "A-004"
    assert register.read_bytes() == (
        ORIGINAL
        + b"\n"
        + b'A-004,2026-10,"Check supplier lead times, then re-plan",tom.becker,2026-11-30,open,kpi:otif,,'
    )
    assert only_the_file_is_there(register)
    assert act.read_actions(register).rows["valid"].all()


def test_add_to_a_file_with_a_final_newline_keeps_it(register):
    register.write_bytes(ORIGINAL + b"\n")
    new_id = act.add_action(
        register, title="Close old quotes", owner="li.wei", due_date="2026-12-01", raised_cycle="2026-10", note="Q4"
    )
    assert new_id == "A-004"
    assert register.read_bytes() == ORIGINAL + b"\n" + b"A-004,2026-10,Close old quotes,li.wei,2026-12-01,open,,,Q4\n"


def test_a_new_line_takes_the_files_usual_line_ending(tmp_path):
    path = tmp_path / "sop_actions.csv"
    crlf = ORIGINAL.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n"
    path.write_bytes(crlf)
    act.add_action(path, title="t", owner="o", due_date="2026-12-01", raised_cycle="2026-10")
    assert path.read_bytes() == crlf + b"A-004,2026-10,t,o,2026-12-01,open,,,\r\n"


def test_add_numbers_after_the_highest_a_number_or_takes_the_id_given(tmp_path):
    path = write(tmp_path, row(action_id="A-007"), row(action_id="X-100"), row(action_id="A-12"), row(action_id="B-3"))
    kwargs = dict(title="t", owner="o", due_date="2026-10-31", raised_cycle="2026-10")
    assert act.add_action(path, **kwargs) == "A-013"
    assert act.add_action(path, **kwargs, action_id="OPS-1") == "OPS-1"
    assert act.read_actions(path).rows["action_id"].tolist()[-2:] == ["A-013", "OPS-1"]


def test_add_creates_a_missing_file_with_the_header(tmp_path):
    path = tmp_path / "data" / "inputs" / "sop_actions.csv"
    assert act.add_action(path, title="First", owner="o", due_date="2026-10-31", raised_cycle="2026-10") == "A-001"
    assert path.read_bytes() == (
        b"action_id,raised_cycle,title,owner,due_date,status,link,closed_on,note\n"
        b"A-001,2026-10,First,o,2026-10-31,open,,,\n"
    )
    assert only_the_file_is_there(path)


def test_update_changes_only_its_line(register):
    act.update_action(register, "A-002", status="open", title="Call the plant, then the distributor", note=None)
    assert register.read_bytes() == b"".join(
        [
            LINES[0],
            LINES[1],
            b'A-002,2026-09,"Call the plant, then the distributor",sam.jones,2026-10-31,open,,,"see ""notes"", p. 2"\n',
            LINES[3],
        ]
    )
    assert only_the_file_is_there(register)


def test_update_keeps_a_crlf_line_ending(register):
    act.update_action(register, "A-001", due_date="2026-11-15", link="")
    assert register.read_bytes() == b"".join(
        [LINES[0], b"A-001,2026-09,Agree safety stock for pumps,li.wei,2026-11-15,open,,,\r\n", *LINES[2:]]
    )


def test_close_the_last_line_keeps_no_final_newline(register):
    act.close_action(register, "A-003", closed_on="2026-11-02", note="done early")
    assert register.read_bytes() == b"".join(
        [*LINES[:3], b"A-003,2026-10,Review the lag-1 WAPE of valves,ana.silva,2026-11-20,done,kpi:demand_wape_lag1,"
         b"2026-11-02,done early"]
    )  # fmt: skip
    act.close_action(register, "A-001", closed_on=pd.Timestamp("2026-10-01"), status="dropped")
    read = act.read_actions(register).rows.set_index("action_id")
    assert (read.loc["A-001", "status"], read.loc["A-001", "closed_on"]) == ("dropped", "2026-10-01")
    assert register.read_bytes().endswith(b"done early")


def test_reopening_a_closed_action_clears_its_closed_on(register):
    act.close_action(register, "A-001", closed_on="2026-10-10")
    act.update_action(register, "A-001", status="in_progress")
    assert register.read_bytes() == b"".join(
        [LINES[0], b"A-001,2026-09,Agree safety stock for pumps,li.wei,2026-10-15,in_progress,kpi:fill_rate,,\r\n",
         *LINES[2:]]
    )  # fmt: skip


@pytest.mark.parametrize(
    "edit, rule",
    [
        (lambda p: act.update_action(p, "A-001", due_date="2026-08-31"), "due_not_before_raised"),
        (lambda p: act.update_action(p, "A-001", status="done"), "done_without_closed_on"),
        (lambda p: act.update_action(p, "A-001", link="kpi:nope"), "unknown_kpi"),
        (lambda p: act.update_action(p, "A-002", owner=" "), "missing_owner"),
        (lambda p: act.close_action(p, "A-003", closed_on="2026-11-31"), "bad_closed_on"),
        (lambda p: act.close_action(p, "A-003", closed_on="2026-09-30"), "closed_before_raised"),
        (
            lambda p: act.add_action(p, title="t", owner="o", due_date="2026-10-31", raised_cycle="2026-10",
                                     action_id="A-002"),
            "duplicate_id",
        ),
        (lambda p: act.add_action(p, title="t", owner="o", due_date="31.10.2026", raised_cycle="2026-10"),
         "bad_due_date"),
        (lambda p: act.add_action(p, title="t", owner="o", due_date="2026-10-31", raised_cycle="2026-10",
                                  link="wiki"), "bad_link"),
        (lambda p: act.add_action(p, title="", owner="o", due_date="2026-10-31", raised_cycle="10/2026"),
         "bad_cycle"),
    ],
)  # fmt: skip
def test_a_refused_edit_names_the_rule_and_leaves_the_file_unchanged(register, edit, rule):
    with pytest.raises(act.ActionEditError) as caught:
        edit(register)
    assert rule in rules_of(str(caught.value))
    assert str(caught.value).startswith(f"{LABEL} row ")
    assert register.read_bytes() == ORIGINAL
    assert only_the_file_is_there(register)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda p: act.update_action(p, "A-404", status="open"), "no action 'A-404'"),
        (lambda p: act.close_action(p, "A-404", closed_on="2026-11-01"), "no action 'A-404'"),
        (lambda p: act.update_action(p, "A-001", raised_cycle="2026-10"), "cannot change raised_cycle"),
        (lambda p: act.update_action(p, "A-001", closed_on="2026-11-01"), "cannot change closed_on"),
        (lambda p: act.update_action(p, "A-001"), "nothing to change"),
        (lambda p: act.close_action(p, "A-001", closed_on="2026-11-01", status="open"), "not 'open'"),
    ],
)
def test_an_edit_of_no_action_or_no_field_is_refused(register, edit, words):
    with pytest.raises(act.ActionEditError, match=re.escape(words)):
        edit(register)
    assert register.read_bytes() == ORIGINAL


def test_an_action_on_two_rows_cannot_be_edited(tmp_path):
    path = write(tmp_path, row(), row(action_id="A-002"), row())
    before = path.read_bytes()
    with pytest.raises(act.ActionEditError, match="rows 2, 4"):
        act.update_action(path, "A-001", owner="x")
    assert path.read_bytes() == before


def test_editing_a_missing_file_is_refused(tmp_path):
    with pytest.raises(act.ActionEditError, match="no such file"):
        act.close_action(tmp_path / "sop_actions.csv", "A-001", closed_on="2026-11-01")
    assert not (tmp_path / "sop_actions.csv").exists()


def test_an_edit_that_fails_while_writing_leaves_the_file_and_no_temporary_file(register, monkeypatch):
    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(act.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        act.update_action(register, "A-001", owner="someone.else")
    assert register.read_bytes() == ORIGINAL
    assert only_the_file_is_there(register)


def test_an_edit_keeps_the_file_mode(register):
    register.chmod(0o640)
    act.update_action(register, "A-001", owner="someone.else")
    assert register.stat().st_mode & 0o777 == 0o640


def test_edits_keep_a_byte_order_mark(register):
    register.write_bytes(b"\xef\xbb\xbf" + ORIGINAL)
    act.update_action(register, "A-001", owner="someone.else")
    data = register.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfaction_id,") and data.endswith(LINES[-1])


def test_an_edit_refuses_a_wrong_header_and_writes_nothing(tmp_path):
    path = write(tmp_path, row(), header=[*act.COLUMNS, "priority"])
    before = path.read_bytes()
    with pytest.raises(act.ActionFileError, match="unknown: priority"):
        act.add_action(path, title="t", owner="o", due_date="2026-10-31", raised_cycle="2026-10")
    assert path.read_bytes() == before
