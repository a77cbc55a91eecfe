"""``sop actions`` as a planner uses it, run in this process: add, update, close, list and check on a data root,
with refusals that print the rule on stderr, exit 2 and leave the file as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.cli.main import main
from orchestration.sop_cycle.actions import read_actions


def sop(capsys, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run ``sop actions <args> --data-dir tmp_path``: exit code, stdout, stderr."""
    capsys.readouterr()
    rc = main(["actions", *args, "--data-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    return rc, out, err


def register(tmp_path: Path) -> Path:
    return tmp_path / "inputs" / "sop_actions.csv"


def add(capsys, tmp_path, title, owner, due, cycle, *more):
    return sop(capsys, tmp_path, "add", "--title", title, "--owner", owner, "--due", due, "--cycle", cycle, *more)


def test_add_update_close_list_and_check(capsys, tmp_path):
    rc, out, err = add(capsys, tmp_path, "Raise safety stock, pumps EUR", "li.wei", "2026-10-31", "2026-09",
                       "--link", "kpi:fill_rate")  # fmt: skip
    assert (rc, err) == (0, "")
    assert out.startswith("Added A-001 to ") and str(register(tmp_path)) in out and out.count("\n") == 1
    rc, out, _ = add(capsys, tmp_path, "Expedite housings", "sam.jones", "2026-10-15", "2026-09",
                     "--link", "exception:stockout VLV-2001 DE01", "--note", "second supplier")  # fmt: skip
    assert rc == 0 and out.startswith("Added A-002 ")
    rc, out, _ = add(capsys, tmp_path, "Review the bookings gap", "tom.becker", "2026-11-30", "2026-10", "--id", "S-7")
    assert rc == 0 and out.startswith("Added S-7 ")

    rc, out, err = sop(capsys, tmp_path, "update", "A-001", "--status", "in_progress", "--owner", "maria.lopez")
    assert (rc, err) == (0, "") and out.startswith("Updated A-001 ") and out.count("\n") == 1
    rc, out, err = sop(capsys, tmp_path, "close", "A-002", "--on", "2026-10-12", "--note", "arrived")
    assert (rc, err) == (0, "") and out.startswith("Closed A-002 ") and "done on 2026-10-12" in out
    rc, out, _ = sop(capsys, tmp_path, "close", "S-7", "--on", "2026-11-03", "--dropped")
    assert rc == 0 and "dropped on 2026-11-03" in out

    rows = read_actions(register(tmp_path)).rows.set_index("action_id")
    assert rows.loc["A-001", ["title", "owner", "status", "link"]].tolist() == [
        "Raise safety stock, pumps EUR",
        "maria.lopez",
        "in_progress",
        "kpi:fill_rate",
    ]
    assert rows.loc["A-002", ["status", "closed_on", "note"]].tolist() == ["done", "2026-10-12", "arrived"]
    assert rows.loc["S-7", ["raised_cycle", "status", "closed_on"]].tolist() == ["2026-10", "dropped", "2026-11-03"]
    assert rows["valid"].all()

    rc, out, _ = sop(capsys, tmp_path, "list")
    assert rc == 0 and all(i in out for i in ("A-001", "A-002", "S-7"))
    rc, out, _ = sop(capsys, tmp_path, "list", "--open")
    assert rc == 0 and "A-001" in out and "A-002" not in out and "S-7" not in out
    rc, out, _ = sop(capsys, tmp_path, "list", "--cycle", "2026-10")
    assert rc == 0 and "S-7" in out and "A-001" not in out

    rc, out, err = sop(capsys, tmp_path, "check")
    assert (rc, err) == (0, "") and "All 3 row(s) valid" in out
    assert sorted(os.listdir(register(tmp_path).parent)) == ["sop_actions.csv"]


def test_check_prints_every_refused_row_and_exits_1(capsys, tmp_path):
    path = register(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        "action_id,raised_cycle,title,owner,due_date,status,link,closed_on,note\n"
        "A-001,2026-09,Fine,li.wei,2026-10-31,open,,,\n"
        "A-002,2026-10,Too early,li.wei,2026-09-30,open,,,\n"
        "A-003,2026-10,Unknown KPI,li.wei,2026-11-30,open,kpi:happiness,,\n"
    )
    before = path.read_bytes()
    rc, out, _ = sop(capsys, tmp_path, "check")
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].startswith("inputs/sop_actions.csv row 3: rule due_not_before_raised:")
    assert lines[1].startswith("inputs/sop_actions.csv row 4: rule unknown_kpi:")
    assert "2 of 3 row(s) refused" in lines[2]
    rc, out, err = sop(capsys, tmp_path, "list")
    assert rc == 0 and "A-001" in out and "A-002" not in out and "2 row(s) refused" in err
    assert path.read_bytes() == before


def test_a_refused_edit_prints_the_rule_on_stderr_exits_2_and_writes_nothing(capsys, tmp_path):
    assert add(capsys, tmp_path, "First", "li.wei", "2026-10-31", "2026-09")[0] == 0
    before = register(tmp_path).read_bytes()
    for args in (
        ("update", "A-001", "--due", "2026-08-15"),
        ("update", "A-001", "--status", "done"),
        ("update", "A-404", "--owner", "x"),
        ("close", "A-001", "--on", "2026-02-30"),
        ("add", "--title", "t", "--owner", "o", "--due", "2026-10-31", "--cycle", "2026-09", "--link", "kpi:nope"),
        ("add", "--title", "t", "--owner", "o", "--due", "2026-10-31", "--cycle", "2026-09", "--id", "A-001"),
    ):
        rc, out, err = sop(capsys, tmp_path, *args)
        assert (rc, out) == (2, ""), args
        assert err.startswith(f"sop actions {args[0]}: ") and "Traceback" not in err
        assert register(tmp_path).read_bytes() == before
    rc, _, err = sop(capsys, tmp_path, "update", "A-001", "--due", "2026-08-15")
    assert "row 2: rule due_not_before_raised" in err


def test_a_wrong_header_exits_2(capsys, tmp_path):
    path = register(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("action_id,title,owner\nA-001,t,o\n")
    for command in ("check", "list"):
        rc, out, err = sop(capsys, tmp_path, command)
        assert rc == 2 and "missing: raised_cycle" in err and "Traceback" not in err


def test_an_empty_data_root_has_no_actions(capsys, tmp_path):
    rc, out, _ = sop(capsys, tmp_path, "check")
    assert rc == 0 and "All 0 row(s) valid" in out
    rc, out, _ = sop(capsys, tmp_path, "list")
    assert rc == 0 and out.startswith("0 action(s)")
    assert not register(tmp_path).exists()


def test_a_status_outside_the_list_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["actions", "update", "A-001", "--status", "closed", "--data-dir", str(tmp_path)])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
