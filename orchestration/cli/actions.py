"""``sop actions ...`` subcommands: the S&OP action register (``<data>/inputs/sop_actions.csv``) for people.

sop actions list [--cycle YYYY-MM] [--open]
    the actions of the file (those raised in a cycle; only open and in-progress ones)
sop actions add --title T --owner O --due YYYY-MM-DD --cycle YYYY-MM [--link L] [--note N] [--id ID]
    append an open action (id: the next A-NNN unless given)
sop actions update ID [--title T] [--owner O] [--due D] [--status S] [--link L] [--note N]
    change fields of one action
sop actions close ID --on YYYY-MM-DD [--dropped] [--note N]
    mark one action done (or dropped) on a day
sop actions check
    print the error of every refused row; exit 1 if there is one

The pipeline only reads the file; these commands edit one line at a time, keep every other byte of the
file, refuse an edit that leaves its row invalid (the rules of ``orchestration.sop_cycle.actions``) and
replace the file atomically. A refused edit or an unreadable file prints the reason and exits with 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.cli.arguments import month as _month

DATA_DIR_HELP = "data root (default: $SOP_DATA_DIR or ./data)"
LINK_HELP = "kpi:<scorecard KPI id> (e.g. kpi:fill_rate) or exception:<text> (e.g. 'exception:stockout SKU-1 DE01')"


def _file(args) -> Path:
    from orchestration.settings import data_paths
    from orchestration.sop_cycle.actions import ACTIONS_FILE

    return data_paths(args.data_dir).inputs / ACTIONS_FILE


def _fail(args, exc: Exception) -> int:
    print(f"sop actions {args.actions_command}: {exc}", file=sys.stderr, flush=True)
    return 2


def cmd_list(args) -> int:
    from orchestration.sop_cycle.actions import OPEN_STATUSES, read_actions

    path = _file(args)
    try:
        read = read_actions(path)
    except ValueError as exc:
        return _fail(args, exc)
    rows = read.valid
    if args.cycle:
        rows = rows[rows["raised_cycle"].str.strip() == args.cycle]
    if args.open:
        rows = rows[rows["status"].str.strip().isin(OPEN_STATUSES)]
    table = [
        [r[c].strip() for c in ("action_id", "raised_cycle", "status", "due_date", "owner", "title", "link")]
        for _, r in rows.sort_values("row").iterrows()
    ]
    if table:
        heading = ["id", "raised", "status", "due", "owner", "title", "link"]
        widths = [max(len(line[i]) for line in [heading, *table]) for i in range(len(heading))]
        for line in [heading, *table]:
            print("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip())
    what = "open " if args.open else ""
    where = f" raised in {args.cycle}" if args.cycle else ""
    print(f"{len(table)} {what}action(s){where} in {path}")
    if len(read.refused):
        print(
            f"{len(read.refused)} row(s) refused and not listed: sop actions check shows why",
            file=sys.stderr,
            flush=True,
        )
    return 0


def cmd_add(args) -> int:
    from orchestration.sop_cycle.actions import add_action

    path = _file(args)
    try:
        new_id = add_action(
            path,
            title=args.title,
            owner=args.owner,
            due_date=args.due,
            raised_cycle=args.cycle,
            link=args.link or "",
            note=args.note or "",
            action_id=args.id,
        )
    except ValueError as exc:
        return _fail(args, exc)
    print(f"Added {new_id} to {path}: {args.title.strip()} ({args.owner.strip()}, due {args.due.strip()})")
    return 0


def cmd_update(args) -> int:
    from orchestration.sop_cycle.actions import update_action

    path = _file(args)
    changes = {
        "title": args.title,
        "owner": args.owner,
        "due_date": args.due,
        "status": args.status,
        "link": args.link,
        "note": args.note,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    try:
        update_action(path, args.action_id, **changes)
    except ValueError as exc:
        if "rule done_without_closed_on" in str(exc):
            exc = ValueError(f"{exc}; to close an action: sop actions close {args.action_id.strip()} --on YYYY-MM-DD")
        return _fail(args, exc)
    said = ", ".join(f"{k} {v.strip()!r}" for k, v in changes.items())
    print(f"Updated {args.action_id.strip()} in {path}: {said}")
    return 0


def cmd_close(args) -> int:
    from orchestration.sop_cycle.actions import close_action

    path = _file(args)
    status = "dropped" if args.dropped else "done"
    try:
        close_action(path, args.action_id, closed_on=args.on, status=status, note=args.note)
    except ValueError as exc:
        return _fail(args, exc)
    print(f"Closed {args.action_id.strip()} in {path} as {status} on {args.on.strip()}")
    return 0


def cmd_check(args) -> int:
    from orchestration.sop_cycle.actions import read_actions

    path = _file(args)
    try:
        read = read_actions(path)
    except ValueError as exc:
        return _fail(args, exc)
    for error in read.refused.sort_values("row")["error"]:
        print(error)
    refused, total = len(read.refused), len(read.rows)
    if refused:
        print(f"{refused} of {total} row(s) refused in {path}")
        return 1
    print(f"All {total} row(s) valid in {path}")
    return 0


def add_actions_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``sop actions`` and its subcommands on the top-level parser's subparsers."""
    from orchestration.sop_cycle.actions import STATUSES

    p = sub.add_parser(
        "actions",
        help="the S&OP action register: list, add, update, close, check",
        description="The S&OP action register, <data>/inputs/sop_actions.csv: the actions each meeting raised, "
        "with owners and due dates. Edits change one line, keep the rest of the file byte for byte, refuse a row "
        "that breaks a rule and replace the file atomically.",
    )
    asub = p.add_subparsers(dest="actions_command", required=True, metavar="SUBCOMMAND")

    s = asub.add_parser("list", help="list the actions", description="List the valid actions of the file.")
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.add_argument("--cycle", type=_month, help="only the actions raised in this cycle (YYYY-MM)")
    s.add_argument("--open", action="store_true", help="only open and in-progress actions")
    s.set_defaults(func=cmd_list)

    s = asub.add_parser(
        "add",
        help="append an open action",
        description="Append an open action raised by the meeting of cycle --cycle. The id is the next A-NNN "
        "unless --id gives one. The file is created with its header if missing.",
    )
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.add_argument("--title", required=True, help="what is to be done")
    s.add_argument("--owner", required=True, help="who does it")
    s.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="when it is due")
    s.add_argument("--cycle", required=True, metavar="YYYY-MM", help="the cycle whose meeting raised it")
    s.add_argument("--link", help=LINK_HELP)
    s.add_argument("--note", help="free text")
    s.add_argument("--id", help="the action id (default: the next A-NNN)")
    s.set_defaults(func=cmd_add)

    s = asub.add_parser(
        "update",
        help="change fields of an action",
        description="Change the given fields of action ID. --status open or in_progress on a closed action "
        "reopens it (its closed_on is cleared); to close one, use sop actions close.",
    )
    s.add_argument("action_id", metavar="ID", help="the action id, e.g. A-003")
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.add_argument("--title", help="what is to be done")
    s.add_argument("--owner", help="who does it")
    s.add_argument("--due", metavar="YYYY-MM-DD", help="when it is due")
    s.add_argument("--status", choices=STATUSES, help="new status")
    s.add_argument("--link", help=LINK_HELP + "; an empty string removes the link")
    s.add_argument("--note", help="free text (replaces the note)")
    s.set_defaults(func=cmd_update)

    s = asub.add_parser(
        "close",
        help="mark an action done or dropped",
        description="Mark action ID done (or --dropped) on the day --on.",
    )
    s.add_argument("action_id", metavar="ID", help="the action id, e.g. A-003")
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="the day it was done or dropped")
    s.add_argument("--dropped", action="store_true", help="dropped rather than done")
    s.add_argument("--note", help="free text (replaces the note)")
    s.set_defaults(func=cmd_close)

    s = asub.add_parser(
        "check",
        help="print the error of every refused row",
        description="Check every row of the file against the rules; print each refused row's error "
        "(file, row, rule). Exit 1 if a row is refused.",
    )
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.set_defaults(func=cmd_check)
