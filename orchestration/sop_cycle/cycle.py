"""One S&OP cycle's outputs, end to end: the ``sop_cycle`` tables, then the pack and the summary.

``store_cycle_tables`` runs before dbt publishes the ``sop_cycle`` marts: it reads the planners' targets and
action register (snapshotted for the cycle being closed), recomputes the scorecard, compares each
cycle's plans with the previous stored cycle and rebuilds the actions' history. ``write_cycle_reports``
runs after dbt: it reads the published marts and writes ``reports/<YYYY-MM>/`` (the pack, the summary
as Markdown and ``.eml``). The Dagster assets in ``orchestration/defs/sop_cycle_assets.py`` call them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.forecasting import warehouse as forecast_wh
from orchestration.sop_cycle import actions as register
from orchestration.sop_cycle import kpi_targets, plan_comparison, scorecard, tables
from orchestration.sop_cycle import warehouse as sop_wh
from orchestration.sop_cycle.decisions import decisions_needed
from orchestration.sop_cycle.kpi_actuals import kpi_actuals
from orchestration.sop_cycle.kpis import TOTAL
from orchestration.sop_cycle.pack import PACK_FILE, build_pack, write_pack
from orchestration.sop_cycle.pack_inputs import read_pack_inputs
from orchestration.sop_cycle.summary import CycleSummary, build_message, write_summary


@dataclass
class StoredTables:
    rows: dict[str, int]  # table -> rows written (or appended)
    red_kpis: list[str]  # total-scope KPIs red in the last cycle
    refused: list[str]  # errors of the planner rows refused this run
    comparisons: dict[str, int] = field(default_factory=dict)  # cycle -> plan comparison rows


def store_cycle_tables(
    con: duckdb.DuckDBPyConnection, inputs_dir: Path, cycles: list[pd.Timestamp], taken_at: pd.Timestamp
) -> StoredTables:
    """Write the ``sop_cycle`` tables for ``cycles`` (the last is the month being closed).

    The targets and the action register are read from ``inputs_dir`` once and snapshotted for the last
    cycle only: the files hold today's decisions, not those of older cycles of a backfill.
    """
    last = pd.Timestamp(cycles[-1])
    rows: dict[str, int] = {}
    targets = kpi_targets.read_targets(inputs_dir / kpi_targets.TARGETS_FILE, sop_wh.regions(con))
    snap = targets.rows.copy()
    snap.insert(0, "taken_at", taken_at)
    snap.insert(0, "cycle_month", last)
    rows["kpi_targets"] = sop_wh.append_rows(con, tables.KPI_TARGETS, snap) if not snap.empty else 0

    # the whole history, whichever month is closed: re-running an old month keeps the later months' rows
    actuals = kpi_actuals(con, through=forecast_wh.last_history_month(con) or last)
    months = sorted(actuals["month"].unique())
    card = scorecard.build_scorecard(actuals, kpi_targets.targets_by_month(targets.valid, months))
    rows["kpi_scorecard"] = sop_wh.write_scorecard(con, card)

    comparisons = {}
    for cycle in cycles:
        previous = sop_wh.previous_cycle(con, cycle)
        if previous is None:
            frame = pd.DataFrame(columns=plan_comparison.COLUMNS)
        else:
            demand = plan_comparison.compare_demand(
                sop_wh.demand_version(con, previous),
                sop_wh.demand_version(con, cycle),
                sop_wh.list_prices(con),
                sop_wh.node_models(con, [previous, cycle]),
                sop_wh.demand_actuals(con, cycle),
                cycle,
                previous,
            )
            revenue = plan_comparison.compare_revenue(
                sop_wh.revenue_version(con, previous),
                sop_wh.revenue_version(con, cycle),
                sop_wh.bookings_of(con, cycle),
                cycle,
                previous,
            )
            frame = (
                pd.concat([f for f in (demand, revenue) if not f.empty], ignore_index=True)
                if not (demand.empty and revenue.empty)
                else pd.DataFrame(columns=plan_comparison.COLUMNS)
            )
        comparisons[f"{pd.Timestamp(cycle):%Y-%m}"] = sop_wh.write_comparison(con, cycle, frame)
    rows["plan_comparison"] = sum(comparisons.values())

    read = register.read_actions(inputs_dir / register.ACTIONS_FILE)
    shot = register.snapshot(read, last, taken_at)
    rows["action_snapshots"] = sop_wh.append_rows(con, tables.ACTION_SNAPSHOTS, shot) if not shot.empty else 0
    history = register.action_history(sop_wh.action_snapshots(con))
    rows["action_history"] = sop_wh.write_history(con, history)

    now = card[(card["month"] == last) & (card["scope"] == TOTAL)] if not card.empty else card
    refused = [e for e in list(targets.refused["error"]) + list(read.refused["error"]) if e]
    return StoredTables(rows, sorted(now.loc[now["status"] == "red", "kpi"]), refused, comparisons)


@dataclass
class CycleReports:
    pack: Path
    markdown: Path
    eml: Path
    red_kpis: list[str]
    decisions: list[str]
    message: object  # the EmailMessage written as the .eml (sent when SMTP is configured)


def _future_targets(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> pd.DataFrame:
    """month, target of bookings_usd (total) for the months after ``cycle`` from its latest targets snapshot."""
    spec = tables.KPI_TARGETS
    spec.create(con)
    snap = con.execute(
        f"SELECT * FROM {spec.name} WHERE cycle_month = ? AND valid AND taken_at = "
        f"(SELECT max(taken_at) FROM {spec.name} WHERE cycle_month = ?)",
        [cycle.date(), cycle.date()],
    ).df()
    months = list(pd.date_range(cycle + pd.DateOffset(months=1), periods=12, freq="MS"))
    found = kpi_targets.targets_by_month(snap, months)
    return found[(found["kpi"] == "bookings_usd") & (found["scope"] == TOTAL)][["month", "target"]]


def write_cycle_reports(
    con: duckdb.DuckDBPyConnection,
    cycle: pd.Timestamp,
    reports_dir: Path,
    *,
    sender: str,
    recipients: list[str],
    generated_at: datetime | None = None,
    company: str = "Demo company",
) -> CycleReports:
    """Write the pack and the summary of ``cycle`` into ``reports_dir/<YYYY-MM>/`` from the marts."""
    cycle = pd.Timestamp(cycle)
    generated_at = generated_at or datetime.now(timezone.utc)
    out_dir = reports_dir / f"{cycle:%Y-%m}"
    inputs = read_pack_inputs(con, cycle)
    html = build_pack(inputs, _future_targets(con, cycle), generated=f"Built {generated_at:%Y-%m-%d %H:%M} UTC.")
    pack_path = write_pack(html, out_dir / PACK_FILE)
    decisions = decisions_needed(inputs.scorecard, inputs.actions, inputs.exception_examples, inputs.plan_changes)
    changes = inputs.plan_changes
    plan_lines = (
        [
            f"{r.plan.replace('_', ' ')} {r.product_family if r.product_family != 'ALL' else ''} {r.region_code}: "
            f"{r.cause_text}".replace("  ", " ")
            for r in changes[changes["mover_rank"] <= 3].itertuples()
        ]
        if not changes.empty
        else []
    )
    issues = [f"{r.source}: {r.error}" for r in inputs.refused.itertuples()] if not inputs.refused.empty else []
    if not inputs.quarantine.empty:
        issues += [f"{r.rows} {r.entity} row(s) quarantined ({r.rule})" for r in inputs.quarantine.itertuples()]
    summary = CycleSummary(
        cycle_month=cycle,
        scorecard=inputs.scorecard,
        actions=inputs.actions,
        company=company,
        pack_path=str(pack_path),
        decisions=decisions,
        plan_changes=plan_lines,
        issues=issues,
    )
    files = write_summary(summary, out_dir, sender=sender, recipients=recipients or [sender], sent_at=generated_at)
    total = inputs.scorecard[inputs.scorecard["scope"] == TOTAL] if not inputs.scorecard.empty else inputs.scorecard
    red = sorted(total.loc[total["status"] == "red", "kpi"]) if not total.empty else []
    message = build_message(summary, sender=sender, recipients=recipients or [sender], sent_at=generated_at)
    return CycleReports(pack_path, files.markdown, files.eml, red, decisions, message)
