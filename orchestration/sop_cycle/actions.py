"""The S&OP action register (``inputs/sop_actions.csv``): read, validated, snapshotted per cycle, edited safely.

Each month's S&OP meeting records actions with an owner and a due date. They live in a file the planners own::

    action_id,raised_cycle,title,owner,due_date,status,link,closed_on,note
    A-001,2026-09,Agree safety stock for pumps in EUR,li.wei,2026-10-31,in_progress,kpi:fill_rate,,
    A-002,2026-09,Expedite valve housings,sam.jones,2026-10-15,done,exception:stockout VLV-2001 DE01,2026-10-12,

- ``action_id``: any non-empty text, unique in the file (``sop actions add`` numbers them ``A-001``, ``A-002``, …);
- ``raised_cycle``: ``YYYY-MM``, the cycle (the month closed) whose meeting raised the action;
- ``due_date``, ``closed_on``: ``YYYY-MM-DD``;
- ``status``: ``open`` or ``in_progress`` (open-like), ``done`` or ``dropped`` (closed, which needs ``closed_on``);
- ``link``: empty, ``kpi:<scorecard KPI id>`` (``kpis.KPI_IDS``) or ``exception:<free text>``.

The columns may come in any order but must all be there (``ActionFileError`` otherwise). Values are kept as
written; surrounding whitespace is ignored when checking them. A bad row is refused, not guessed: it keeps its
error (file, row, rule) in the cycle's snapshot and is left out of the history. The rules (``RULES``):

- ``missing_id``, ``missing_title``, ``missing_owner``: the value is empty;
- ``duplicate_id``: the id is on more than one row; every one of those rows is refused;
- ``bad_cycle``: raised_cycle is not a month ``YYYY-MM``;
- ``bad_due_date``: due_date is empty or not a date ``YYYY-MM-DD``;
- ``due_not_before_raised``: the due date is before the first day of the raised cycle's month (the earliest
  due date allowed is that first day, so a meeting held early in the month may still date the action in it);
- ``bad_status``: status is not one of ``STATUSES`` (lower case);
- ``bad_closed_on``: closed_on is set but not a date ``YYYY-MM-DD``;
- ``done_without_closed_on``: done or dropped without closed_on;
- ``closed_on_while_open``: closed_on set on an open or in_progress row;
- ``closed_before_raised``: closed_on before the first day of the raised cycle's month (the same limit as the
  due date);
- ``unknown_kpi``: ``kpi:<id>`` names no scorecard KPI;
- ``bad_link``: a link that is neither empty, ``kpi:…`` nor ``exception:<text>``;
- ``extra_values``: more non-empty values than the header has columns (an unquoted comma, usually).

The pipeline reads the file and never writes it. People edit it by hand or with ``sop actions`` (``add_action``,
``update_action``, ``close_action``): an edit changes only its own line (or appends one), keeps every other byte
of the file, refuses an edit that leaves its row invalid, and replaces the file atomically.

``snapshot`` turns a read into the rows stored per cycle (``sop.action_snapshots``, appended by every run);
``action_history`` derives each action's status per cycle from all stored snapshots (``sop.action_history``).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.sop_cycle.kpis import KPI_IDS

ACTIONS_FILE = "sop_actions.csv"
#: the file's columns, every one required (any order); a new file is written in this order
COLUMNS = ["action_id", "raised_cycle", "title", "owner", "due_date", "status", "link", "closed_on", "note"]
STATUSES = ("open", "in_progress", "done", "dropped")
OPEN_STATUSES = ("open", "in_progress")
CLOSED_STATUSES = ("done", "dropped")
KPI_PREFIX, EXCEPTION_PREFIX = "kpi:", "exception:"
RULES = (
    "missing_id",
    "duplicate_id",
    "missing_title",
    "missing_owner",
    "bad_cycle",
    "bad_due_date",
    "due_not_before_raised",
    "bad_status",
    "bad_closed_on",
    "done_without_closed_on",
    "closed_on_while_open",
    "closed_before_raised",
    "unknown_kpi",
    "bad_link",
    "extra_values",
)
#: the fields ``update_action`` may change
EDITABLE = ("title", "owner", "due_date", "status", "link", "note")
#: columns of ``ActionRead.rows``: the line number, the file's columns as written, the verdict
ROW_COLUMNS = ["row", *COLUMNS, "valid", "error"]
#: columns of ``snapshot`` (the table sop.action_snapshots)
SNAPSHOT_COLUMNS = ["cycle_month", "taken_at", "file", "row", *COLUMNS, "valid", "error"]
#: columns of ``action_history`` (the table sop.action_history)
HISTORY_COLUMNS = [
    "cycle_month",
    "action_id",
    "title",
    "owner",
    "link",
    "status",
    "previous_status",
    "status_changed",
    "raised_cycle",
    "due_date",
    "closed_on",
    "as_of_date",
    "days_open",
    "is_overdue",
    "days_overdue",
    "times_carried_over",
    "is_new",
    "is_due_next",
]
_DATES = ("due_date", "closed_on")
_NEW_ID = re.compile(r"A-(\d+)")
_ENDING = re.compile(r"\r\n|\r|\n")


class ActionFileError(ValueError):
    """The action file cannot be read at all (its header is wrong, or it is not UTF-8 CSV)."""


class ActionEditError(ValueError):
    """An edit of the action file was refused; the file is unchanged."""


@dataclass(frozen=True)
class ActionRead:
    rows: pd.DataFrame  # ROW_COLUMNS: every data row as written, valid or refused with its error
    file: str = f"inputs/{ACTIONS_FILE}"  # how errors and snapshots name the file

    @property
    def valid(self) -> pd.DataFrame:
        """The rows that break no rule."""
        return self.rows[self.rows["valid"].astype(bool)]

    @property
    def refused(self) -> pd.DataFrame:
        """The rows that break a rule, with their error."""
        return self.rows[~self.rows["valid"].astype(bool)]


# ---------------------------------------------------------------- parsing
@dataclass(frozen=True)
class _Record:
    start: int  # index in _Parsed.lines of the record's first physical line
    end: int  # index past its last physical line (a quoted value may span lines)
    values: list[str]


@dataclass(frozen=True)
class _Parsed:
    bom: str  # "\ufeff" when the file starts with a byte order mark
    lines: list[str]  # the physical lines, each with its own line ending (the last may have none)
    header: list[str] | None  # None for a missing or blank file
    records: list[_Record]  # data rows, blank lines left out


def _label(path: Path, label: str | None) -> str:
    return label or f"inputs/{Path(path).name}"


def _physical_lines(text: str) -> list[str]:
    """``text`` cut after each line ending (CRLF, LF or CR); joining the pieces gives ``text`` back."""
    out, pos = [], 0
    for found in _ENDING.finditer(text):
        out.append(text[pos : found.end()])
        pos = found.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _ending(line: str) -> str:
    found = _ENDING.search(line)
    return found.group() if found and found.end() == len(line) else ""


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ActionFileError(f"{label}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV") from None


def _parse(text: str, label: str) -> _Parsed:
    """The file's lines, header and data records, with each record's span of lines."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = _physical_lines(text[len(bom) :])
    reader = csv.reader(lines)
    header, records, consumed = None, [], 0
    try:
        for values in reader:
            start, consumed = consumed, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if header is None:
                header = [v.strip() for v in values]
                missing = [c for c in COLUMNS if c not in header]
                unknown = [c for c in header if c not in COLUMNS]
                twice = sorted({c for c in header if header.count(c) > 1})
                if missing or unknown or twice:
                    raise ActionFileError(
                        f"{label}: the header must have the columns {', '.join(COLUMNS)}"
                        + (f"; missing: {', '.join(missing)}" if missing else "")
                        + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                        + (f"; more than once: {', '.join(twice)}" if twice else "")
                    )
                continue
            records.append(_Record(start, consumed, values))
    except csv.Error as exc:
        raise ActionFileError(f"{label} row {reader.line_num}: not readable as CSV ({exc})") from None
    return _Parsed(bom, lines, header, records)


def _fields(parsed: _Parsed, record: _Record) -> dict[str, str]:
    """The record's values by column, as written ("" where the row is short)."""
    values = record.values
    return {c: (values[i] if i < len(values) else "") for i, c in enumerate(parsed.header)}


def _extras(parsed: _Parsed, record: _Record) -> list[str]:
    return record.values[len(parsed.header) :]


def _month(text: str) -> pd.Timestamp | None:
    """The first day of ``YYYY-MM``, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        return None
    try:
        return pd.Timestamp(date.fromisoformat(f"{text}-01"))
    except ValueError:
        return None


def _date(text: str) -> pd.Timestamp | None:
    """The day ``YYYY-MM-DD``, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return pd.Timestamp(date.fromisoformat(text))
    except ValueError:
        return None


def _broken_rules(values: dict[str, str], extras: list[str], known_kpis: Iterable[str]) -> list[str]:
    """``rule <name>: <detail>`` for each rule the row breaks (duplicate_id aside: it needs the whole file)."""
    v = {c: values.get(c, "").strip() for c in COLUMNS}
    errors = []

    def fail(rule: str, text: str) -> None:
        errors.append(f"rule {rule}: {text}")

    if not v["action_id"]:
        fail("missing_id", "action_id is empty")
    if not v["title"]:
        fail("missing_title", "title is empty")
    if not v["owner"]:
        fail("missing_owner", "owner is empty")
    raised = _month(v["raised_cycle"])
    if raised is None:
        fail("bad_cycle", f"raised_cycle {v['raised_cycle']!r} is not a month YYYY-MM")
    due = _date(v["due_date"])
    if due is None:
        fail("bad_due_date", f"due_date {v['due_date']!r} is not a date YYYY-MM-DD")
    elif raised is not None and due < raised:
        fail("due_not_before_raised", f"due date {v['due_date']} is before cycle {v['raised_cycle']} was raised")
    status = v["status"]
    if status not in STATUSES:
        fail("bad_status", f"status {status!r} is not one of {', '.join(STATUSES)}")
    closed = None
    if v["closed_on"]:
        closed = _date(v["closed_on"])
        if closed is None:
            fail("bad_closed_on", f"closed_on {v['closed_on']!r} is not a date YYYY-MM-DD")
    if status in CLOSED_STATUSES and not v["closed_on"]:
        fail("done_without_closed_on", f"status {status} needs closed_on (the day it was {status})")
    if status in OPEN_STATUSES and v["closed_on"]:
        fail(
            "closed_on_while_open",
            f"closed_on {v['closed_on']} is set but status is {status} (clear closed_on, or set done or dropped)",
        )
    if closed is not None and raised is not None and closed < raised:
        fail("closed_before_raised", f"closed on {v['closed_on']}, before cycle {v['raised_cycle']} was raised")
    link = v["link"]
    if link.startswith(KPI_PREFIX):
        kpi = link[len(KPI_PREFIX) :]
        if kpi not in known_kpis:
            fail("unknown_kpi", f"link {link!r}: {kpi!r} is not a scorecard KPI ({', '.join(sorted(known_kpis))})")
    elif link.startswith(EXCEPTION_PREFIX):
        if not link[len(EXCEPTION_PREFIX) :].strip():
            fail("bad_link", f"link {link!r} names no exception (exception:<what, where>)")
    elif link:
        fail("bad_link", f"link {link!r} is neither empty, kpi:<KPI id> nor exception:<text>")
    extra = [e for e in extras if e.strip()]
    if extra:
        fail(
            "extra_values",
            f"{len(extra)} value(s) beyond the header's {len(COLUMNS)} columns ({', '.join(map(repr, extra))}); "
            "quote a value that holds a comma",
        )
    return errors


def _check(parsed: _Parsed, label: str, known_kpis: Iterable[str]) -> list[dict]:
    """One dict per record (ROW_COLUMNS): its values as written, valid, and the error naming file, row and rules."""
    known = frozenset(known_kpis)
    checked = []
    for record in parsed.records:
        values = _fields(parsed, record)
        checked.append((record.start + 1, values, _broken_rules(values, _extras(parsed, record), known)))
    rows_by_id: dict[str, list[int]] = {}
    for row, values, _ in checked:
        if values["action_id"].strip():
            rows_by_id.setdefault(values["action_id"].strip(), []).append(row)
    out = []
    for row, values, errors in checked:
        others = [r for r in rows_by_id.get(values["action_id"].strip(), []) if r != row]
        if others:
            errors.insert(
                0,
                f"rule duplicate_id: action_id {values['action_id'].strip()!r} is also on row "
                f"{', '.join(map(str, others))}",
            )
        out.append(
            {
                "row": row,
                **{c: values[c] for c in COLUMNS},
                "valid": not errors,
                "error": f"{label} row {row}: " + "; ".join(errors) if errors else None,
            }
        )
    return out


def _rows_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    frame["row"] = frame["row"].astype("int64")
    frame["valid"] = frame["valid"].astype(bool)
    frame["error"] = frame["error"].astype(object)
    return frame


def read_actions(path: Path, known_kpis: Iterable[str] = KPI_IDS, label: str | None = None) -> ActionRead:
    """Every data row of the action file at ``path``, each valid or refused with the rules it breaks.

    ``known_kpis``: the KPI ids a ``kpi:`` link may name. ``label``: how errors name the file (default
    ``inputs/<name>``). A missing or blank file is an empty register; a wrong header raises ``ActionFileError``.
    Blank lines are skipped; ``row`` is the line the row starts on (the header is line 1). The file is only read.
    """
    path, label = Path(path), _label(path, label)
    if not path.exists():
        return ActionRead(_rows_frame([]), label)
    parsed = _parse(_decode(path.read_bytes(), label), label)
    return ActionRead(_rows_frame(_check(parsed, label, known_kpis) if parsed.header else []), label)


# ---------------------------------------------------------------- snapshot and history
def _month_start(value) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()


def _next_month(values: pd.Series) -> pd.Series:
    """The first day of the month after each value."""
    return (pd.to_datetime(values).dt.to_period("M") + 1).dt.to_timestamp()


def snapshot(read: ActionRead, cycle: pd.Timestamp, taken_at: pd.Timestamp) -> pd.DataFrame:
    """The register as read by ``cycle``'s run at ``taken_at``, as stored in ``sop.action_snapshots``.

    SNAPSHOT_COLUMNS: cycle_month (the first day of ``cycle``), taken_at (a time with a zone is stored in UTC
    without it), file, row, the file's columns with surrounding whitespace removed (due_date and closed_on as
    dates, NaT where empty or not a date), valid, error.
    """
    rows = read.rows
    out = pd.DataFrame(index=rows.index)
    out["cycle_month"] = pd.Series(_month_start(cycle), index=rows.index, dtype="datetime64[ns]")
    taken = pd.Timestamp(taken_at)
    if taken.tzinfo is not None:
        taken = taken.tz_convert("UTC").tz_localize(None)
    out["taken_at"] = pd.Series(taken, index=rows.index, dtype="datetime64[ns]")
    out["file"] = read.file
    out["row"] = rows["row"].astype("int64")
    for c in COLUMNS:
        text = rows[c].astype(str).str.strip()
        if c in _DATES:
            out[c] = pd.Series([_date(t) for t in text], index=rows.index, dtype="datetime64[ns]")
        else:
            out[c] = text.astype(object)
    out["valid"] = rows["valid"].astype(bool)
    out["error"] = rows["error"].astype(object)
    return out[SNAPSHOT_COLUMNS].reset_index(drop=True)


def latest_snapshots(snapshots: pd.DataFrame) -> pd.DataFrame:
    """The rows of each cycle's latest snapshot (the greatest ``taken_at`` of its ``cycle_month``)."""
    if snapshots.empty:
        return snapshots.copy()
    taken = pd.to_datetime(snapshots["taken_at"])
    latest = taken.groupby(pd.to_datetime(snapshots["cycle_month"])).transform("max")
    return snapshots[taken == latest].copy()


def action_history(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Each action's state in each cycle, from the stored snapshots (``sop.action_history``).

    ``snapshots``: rows of ``snapshot`` for any number of cycles, several per cycle allowed (re-runs append):
    only each cycle's latest snapshot counts, and only its valid rows. One row per cycle_month × action_id
    (HISTORY_COLUMNS), sorted by both; an action missing from a cycle's snapshot has no row for that cycle.
    An action raised by a later cycle than the one whose snapshot shows it (an old cycle re-run on today's
    file) is left out of that cycle.

    Dates, all derived from the cycles (never from today's date):

    - ``as_of_date``: the first day of the month after cycle_month, the day the cycle closes;
    - raised on: the first day of the month after raised_cycle, the month its meeting is held;
    - ``days_open``: closed_on − raised on for done and dropped actions, as_of_date − raised on for open ones;
      0 when that is negative (an action dated within its raised cycle's own month);
    - ``is_overdue``: open or in_progress and due_date < as_of_date; ``days_overdue``: as_of_date − due_date
      then, else 0;
    - ``is_due_next``: open or in_progress and as_of_date ≤ due_date < the first day of the month after next
      (due before the next cycle closes, i.e. before the next meeting);
    - ``times_carried_over``: the cycles after raised_cycle, up to and including this one, whose snapshot shows
      the action open or in_progress;
    - ``previous_status``: the status in the latest earlier cycle whose snapshot holds the action (null the
      first time); ``status_changed``: it differs from status;
    - ``is_new``: raised_cycle is this cycle.
    """
    if snapshots.empty:
        return _empty_history()
    s = latest_snapshots(snapshots)
    s = s[s["valid"].eq(True)].copy()
    s["cycle_month"] = pd.to_datetime(s["cycle_month"])
    for c in ("action_id", "raised_cycle", "title", "owner", "link", "status"):
        s[c] = s[c].fillna("").astype(str).str.strip()
    s["raised_month"] = pd.to_datetime(s["raised_cycle"] + "-01", format="%Y-%m-%d", errors="coerce")
    s = s[s["raised_month"].notna() & (s["raised_month"] <= s["cycle_month"])]
    if s.empty:
        return _empty_history()
    s = s.sort_values(["action_id", "cycle_month"]).reset_index(drop=True)
    for c in _DATES:
        s[c] = pd.to_datetime(s[c])
    s["as_of_date"] = _next_month(s["cycle_month"])
    raised_on = _next_month(s["raised_month"])
    is_open = s["status"].isin(OPEN_STATUSES)
    until = s["closed_on"].where(s["status"].isin(CLOSED_STATUSES), s["as_of_date"])
    s["days_open"] = (until - raised_on).dt.days.clip(lower=0).astype("int64")
    s["is_overdue"] = is_open & (s["due_date"] < s["as_of_date"])
    s["days_overdue"] = ((s["as_of_date"] - s["due_date"]).dt.days.where(s["is_overdue"], 0)).astype("int64")
    s["is_due_next"] = is_open & (s["due_date"] >= s["as_of_date"]) & (s["due_date"] < _next_month(s["as_of_date"]))
    s["is_new"] = s["raised_month"] == s["cycle_month"]
    s["previous_status"] = s.groupby("action_id")["status"].shift(1)
    s["status_changed"] = s["previous_status"].notna() & (s["status"] != s["previous_status"])
    s["times_carried_over"] = _times_carried_over(s)
    s = s.sort_values(["cycle_month", "action_id"]).reset_index(drop=True)
    s["previous_status"] = s["previous_status"].astype(object).where(s["previous_status"].notna(), None)
    return s[HISTORY_COLUMNS]


def _times_carried_over(s: pd.DataFrame) -> pd.Series:
    """Per row: the action's cycles after its raised cycle (as this row states it), up to this one, open-like."""
    out = pd.Series(0, index=s.index, dtype="int64")
    for _, group in s.groupby("action_id"):
        cycles = group["cycle_month"].tolist()
        open_like = group["status"].isin(OPEN_STATUSES).tolist()
        for position, (index, raised) in enumerate(zip(group.index, group["raised_month"])):
            out[index] = sum(1 for c, o in zip(cycles[: position + 1], open_like) if o and c > raised)
    return out


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(columns=HISTORY_COLUMNS)


# ---------------------------------------------------------------- editing
def _text(value) -> str:
    """A value as the file holds it: dates as YYYY-MM-DD, everything else as text without surrounding spaces."""
    if value is None:
        return ""
    if isinstance(value, (pd.Timestamp, date)):
        return f"{value:%Y-%m-%d}"
    return str(value).strip()


def _record_text(values: list[str], ending: str) -> str:
    """One CSV record ending with ``ending`` ("" for none); a value holding a comma, quote, CR or LF is quoted."""
    buffer = io.StringIO()
    # CRLF as the writer's terminator makes it quote values that hold either character
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()[: -len("\r\n")] + ending


def _load(path: Path, label: str) -> tuple[bytes | None, _Parsed]:
    data = path.read_bytes() if path.exists() else None
    return data, _parse(_decode(data, label) if data is not None else "", label)


def _find(parsed: _Parsed, action_id: str, label: str) -> _Record:
    wanted = _text(action_id)
    hits = [r for r in parsed.records if parsed.header and _fields(parsed, r)["action_id"].strip() == wanted]
    if not hits:
        raise ActionEditError(f"{label}: no action {wanted!r}")
    if len(hits) > 1:
        rows = ", ".join(str(r.start + 1) for r in hits)
        raise ActionEditError(f"{label}: action {wanted!r} is on rows {rows}; give each its own id by hand first")
    return hits[0]


def _refuse_unless_valid(text: str, row: int, label: str, known_kpis: Iterable[str]) -> None:
    """Raise ActionEditError with the row's errors if the edited file's ``row`` breaks a rule."""
    for checked in _check(_parse(text, label), label, known_kpis):
        if checked["row"] == row:
            if not checked["valid"]:
                raise ActionEditError(f"{checked['error']} (nothing written)")
            return
    raise ActionEditError(f"{label}: the edited row {row} cannot be read back (nothing written)")  # pragma: no cover


def _write_atomically(path: Path, text: str, before: bytes | None, label: str) -> None:
    """Replace ``path`` by ``text`` in one step (temporary file beside it, fsync, rename), unless someone
    changed it since it was read (``before``: its bytes then, None when it did not exist)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    now = path.read_bytes() if path.exists() else None
    if now != before:
        raise ActionEditError(f"{label} changed while it was being edited; nothing written, try again")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        if before is not None:
            shutil.copymode(path, temporary)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform that cannot open folders
        return
    try:
        os.fsync(folder)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(folder)


def _edit(
    path: Path,
    action_id: str,
    change: Callable[[dict[str, str]], None],
    label: str | None,
    known_kpis: Iterable[str],
) -> None:
    """Apply ``change`` to the values of the row of ``action_id``, rewrite that row only, check it, write."""
    path = Path(path)
    label = _label(path, label)
    before, parsed = _load(path, label)
    if before is None:
        raise ActionEditError(f"{label}: no such file ({path}); add an action first")
    record = _find(parsed, action_id, label)
    values = _fields(parsed, record)
    change(values)
    new = _record_text(
        [values[c] for c in parsed.header] + _extras(parsed, record), _ending(parsed.lines[record.end - 1])
    )
    lines = parsed.lines[: record.start] + [new] + parsed.lines[record.end :]
    text = parsed.bom + "".join(lines)
    _refuse_unless_valid(text, record.start + 1, label, known_kpis)
    _write_atomically(path, text, before, label)


def next_action_id(ids: Iterable[str]) -> str:
    """``A-NNN``, one after the highest ``A-<number>`` among ``ids`` (``A-001`` when there is none)."""
    numbers = [int(found[1]) for i in ids if (found := _NEW_ID.fullmatch(str(i).strip()))]
    return f"A-{max(numbers, default=0) + 1:03d}"


def add_action(
    path: Path,
    *,
    title: str,
    owner: str,
    due_date,
    raised_cycle,
    link: str = "",
    note: str = "",
    action_id: str | None = None,
    known_kpis: Iterable[str] = KPI_IDS,
    label: str | None = None,
) -> str:
    """Append an open action to the file at ``path`` and return its id.

    ``due_date``: ``YYYY-MM-DD`` or a date; ``raised_cycle``: ``YYYY-MM`` or a date in that month; ``action_id``:
    the next ``A-NNN`` when not given. A missing or blank file is created with the header. The new line takes the
    file's usual line ending; a file without a final newline stays without one. Every existing line is kept byte
    for byte. Raises ``ActionEditError`` (nothing written) when the new row breaks a rule.
    """
    path = Path(path)
    label = _label(path, label)
    before, parsed = _load(path, label)
    header = parsed.header or COLUMNS
    new_id = _text(action_id) if action_id is not None else None
    if new_id is None:
        new_id = next_action_id(_fields(parsed, r)["action_id"] for r in parsed.records) if parsed.header else "A-001"
    cycle = f"{raised_cycle:%Y-%m}" if isinstance(raised_cycle, (pd.Timestamp, date)) else _text(raised_cycle)
    values = {
        "action_id": new_id,
        "raised_cycle": cycle,
        "title": _text(title),
        "owner": _text(owner),
        "due_date": _text(due_date),
        "status": "open",
        "link": _text(link),
        "closed_on": "",
        "note": _text(note),
    }
    if parsed.header is None:
        lines = [_record_text(COLUMNS, "\n")]
        ending, final = "\n", "\n"
    else:
        lines = list(parsed.lines)
        endings = Counter(e for e in map(_ending, lines) if e)
        ending = endings.most_common(1)[0][0] if endings else "\n"
        final = _ending(lines[-1])
        if not final:
            lines[-1] += ending
    lines.append(_record_text([values[c] for c in header], ending if final else ""))
    text = (parsed.bom if parsed.header else "") + "".join(lines)
    _refuse_unless_valid(text, len(lines), label, known_kpis)
    _write_atomically(path, text, before, label)
    return new_id


def update_action(
    path: Path,
    action_id: str,
    *,
    known_kpis: Iterable[str] = KPI_IDS,
    label: str | None = None,
    **changes,
) -> None:
    """Change fields of one action (``EDITABLE``: title, owner, due_date, status, link, note); None leaves a
    field as it is. Setting status open or in_progress reopens the action: closed_on is cleared. Only the
    action's line changes. Raises ``ActionEditError`` (nothing written) for an unknown id or field, or when the
    row would break a rule (closing needs ``close_action``, which sets closed_on)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ActionEditError(f"cannot change {', '.join(unknown)}; the fields are {', '.join(EDITABLE)}")
    given = {k: _text(v) for k, v in changes.items() if v is not None}
    if not given:
        raise ActionEditError(f"nothing to change for action {_text(action_id)!r}")

    def change(values: dict[str, str]) -> None:
        values.update(given)
        if given.get("status") in OPEN_STATUSES:
            values["closed_on"] = ""

    _edit(path, action_id, change, label, known_kpis)


def close_action(
    path: Path,
    action_id: str,
    *,
    closed_on,
    status: str = "done",
    note: str | None = None,
    known_kpis: Iterable[str] = KPI_IDS,
    label: str | None = None,
) -> None:
    """Mark one action done (or ``status="dropped"``) on ``closed_on`` (``YYYY-MM-DD`` or a date), replacing its
    note when ``note`` is given. Only the action's line changes. Raises ``ActionEditError`` (nothing written)
    for an unknown id, a status other than done or dropped, or a row that would break a rule."""
    if status not in CLOSED_STATUSES:
        raise ActionEditError(f"an action is closed as {' or '.join(CLOSED_STATUSES)}, not {status!r}")

    def change(values: dict[str, str]) -> None:
        values["status"] = status
        values["closed_on"] = _text(closed_on)
        if note is not None:
            values["note"] = _text(note)

    _edit(path, action_id, change, label, known_kpis)
