"""The S&OP cycle of the small demo company, as built and published: scorecard, targets, actions, pack, summary.

The scorecard's actuals are checked against plain pandas straight from the landing files
(``landing_totals``, no shared code), its statuses against the planner targets written by
``sop_planner_files`` worked out here, and the pack in headless Chromium: offline, no console error,
every section screenshotted, its embedded numbers equal to the published marts.
"""

from __future__ import annotations

import email
import email.policy
import json

import duckdb
import pandas as pd
import pytest

from tests.browser import chromium
from tests.integration import landing_totals, sop_planner_files

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

CYCLE = "2022-02"


@pytest.fixture(scope="module")
def serving(built_company):
    assert built_company.run_success, built_company.steps_failed
    with duckdb.connect(str(built_company.root / "serve" / "sop.duckdb"), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def card(serving) -> pd.DataFrame:
    frame = serving.execute("SELECT * FROM kpi_scorecard").df()
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    return frame


def test_revenue_and_bookings_match_the_landing_files_to_the_cent(card, built_company, serving):
    """The scorecard sums the mart's rows, each rounded to the cent: the sum may differ from the exact
    landing total by at most half a cent per row summed."""
    rows = serving.execute(
        "SELECT strftime(revenue_month, '%Y-%m') AS month, region_code AS scope, count(*) AS n "
        "FROM revenue_monthly GROUP BY GROUPING SETS ((1), (1, 2))"
    ).df()
    rows["scope"] = rows["scope"].fillna("total")
    truth = landing_totals.revenue_by_region_family(built_company.root / "landing")
    by_region = truth.groupby(["revenue_month", "region_code"])[["billings_usd", "bookings_usd"]].sum().reset_index()
    total = (
        truth.groupby("revenue_month")[["billings_usd", "bookings_usd"]].sum().reset_index().assign(region_code="total")
    )
    expected = pd.concat([by_region, total]).rename(columns={"revenue_month": "month", "region_code": "scope"})
    for kpi, column in (("revenue_usd", "billings_usd"), ("bookings_usd", "bookings_usd")):
        got = card[card["kpi"] == kpi].merge(expected, on=["month", "scope"], how="inner")
        got = got.merge(rows, on=["month", "scope"])
        assert len(got) >= 14 * 3, f"{kpi}: too few months × scopes compared"
        assert ((got["actual"] - got[column]).abs() <= 0.005 * got["n"] + 1e-6).all(), kpi


def test_fill_rate_and_otif_match_the_landing_files(card, built_company):
    truth = landing_totals.fill_rate_and_otif(built_company.root / "landing")
    truth = truth[truth["month"] <= CYCLE]
    for kpi in ("fill_rate", "otif"):
        got = card[card["kpi"] == kpi].merge(truth, on=["month", "scope"], how="inner")
        assert len(got) == len(truth), f"{kpi}: months × scopes differ"
        assert (got["actual"] - got[kpi]).abs().max() < 1e-4, kpi


def test_win_rate_matches_the_landing_files(card, built_company):
    reps = landing_totals.rep_performance_monthly(built_company.root / "landing")
    won = reps.groupby("month")[["won_count", "lost_count"]].sum()
    expected = (won["won_count"] / (won["won_count"] + won["lost_count"])).rename("truth").reset_index()
    got = card[(card["kpi"] == "win_rate") & (card["scope"] == "total")].merge(expected, on="month")
    assert len(got) >= 12
    assert (got["actual"] - got["truth"]).abs().max() < 1e-4


def test_status_follows_the_targets_file(card):
    """bookings 2022-02 has a month target (5M) that wins over the year's (900k); revenue's 100 is beaten."""
    feb = card[(card["month"] == CYCLE) & (card["scope"] == "total")].set_index("kpi")
    bookings = feb.loc["bookings_usd"]
    assert bookings["target"] == 5_000_000
    shortfall = (5_000_000 - bookings["actual"]) / 5_000_000 * 100
    assert bookings["status"] == ("red" if shortfall > 10 else "amber" if shortfall > 5 else "green")
    jan = card[(card["month"] == "2022-01") & (card["scope"] == "total") & (card["kpi"] == "bookings_usd")].iloc[0]
    assert jan["target"] == 900_000
    assert feb.loc["revenue_usd", "status"] == "green"
    bias = feb.loc["demand_bias_lag1"]
    assert bias["status"] == (
        "red" if abs(bias["actual"]) > 0.08 else "amber" if abs(bias["actual"]) > 0.03 else "green"
    )
    # no target, no status
    assert card[(card["kpi"] == "inventory_turns")]["status"].isna().all()
    assert card[card["month"] < "2022-01"]["status"].isna().all()


def test_a_bad_target_row_is_refused_with_file_row_and_rule(serving):
    rows = serving.execute("SELECT row, valid, error FROM kpi_target_snapshots ORDER BY row").df()
    bad = rows[~rows["valid"]]
    assert list(bad["row"]) == [8]
    assert "inputs/kpi_targets.csv row 8" in bad["error"].iloc[0] and "unknown_scope" in bad["error"].iloc[0]


def test_the_planner_files_are_not_rewritten(built_company):
    inputs = built_company.root / "inputs"
    assert (inputs / "kpi_targets.csv").read_text() == sop_planner_files.TARGETS
    assert (inputs / "sop_actions.csv").read_text() == sop_planner_files.ACTIONS


def test_the_action_history_of_the_cycle(serving):
    h = serving.execute("SELECT * FROM sop_action_history WHERE cycle_month = DATE '2022-02-01'").df()
    h = h.set_index("action_id")
    assert sorted(h.index) == ["A-1", "A-2", "A-3", "A-4"]  # A-5 is refused
    assert h.loc["A-1", "is_overdue"] and h.loc["A-1", "days_overdue"] == 14  # due 2022-02-15, as of 2022-03-01
    assert h.loc["A-2", "is_due_next"] and not h.loc["A-2", "is_overdue"]
    assert h.loc["A-4", "is_new"] and not h.loc["A-1", "is_new"]
    assert h.loc["A-3", "status"] == "done" and not h.loc["A-3", "is_overdue"]
    refused = serving.execute("SELECT row, error FROM sop_action_snapshots WHERE NOT valid").df()
    assert list(refused["row"]) == [6] and "due_not_before_raised" in refused["error"].iloc[0]


def test_the_plan_comparison_adds_up_to_the_two_consensus_versions(serving):
    changes = serving.execute(
        "SELECT * FROM plan_comparison WHERE cycle_month = DATE '2022-02-01' AND plan = 'consensus_demand'"
    ).df()
    assert not changes.empty and set(changes["cause"]) <= {"actuals", "model_changed", "none"}  # no overrides
    versions = serving.execute(
        "SELECT cycle_month, sum(consensus_units) AS units FROM consensus_demand WHERE level = 'total' "
        "AND forecast_month BETWEEN DATE '2022-03-01' AND DATE '2023-07-01' GROUP BY 1 ORDER BY 1"
    ).df()
    v = versions.set_index(pd.to_datetime(versions["cycle_month"]).dt.strftime("%Y-%m"))["units"].astype(float)
    assert abs(changes["change_units"].sum() - (v["2022-02"] - v["2022-01"])) < 0.05
    assert sorted(changes["mover_rank"]) == list(range(1, len(changes) + 1))


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def test_the_pack_opens_offline_and_shows_the_marts_numbers(browser, built_company, serving, card, tmp_path):
    pack = built_company.root / "reports" / CYCLE / "sop_pack.html"
    assert pack.is_file()
    context = browser.new_context(offline=True)
    off_machine, console_errors = [], []

    def route(r):
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            off_machine.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    page.goto(pack.as_uri(), wait_until="load")
    sections = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
    assert sections == [
        "actions-review",
        "performance",
        "issues",
        "demand",
        "supply",
        "financials",
        "sales-plan",
        "decisions",
        "register",
    ]
    for section in sections:
        shot = tmp_path / f"{section}.png"
        page.locator(f"#{section}").screenshot(path=str(shot))
        assert shot.stat().st_size > 1000
    assert page.locator("figure.chart svg").count() >= 6
    data = json.loads(page.locator("#pack-data").text_content())
    rows_shown = page.eval_on_selector_all(
        "#performance tr[data-kpi]", "els => els.map(e => [e.dataset.kpi, e.dataset.actual, e.dataset.status])"
    )
    sales_shown = page.eval_on_selector_all(
        "#sales-plan tr[data-sales-region]",
        "els => els.map(e => [e.dataset.salesRegion, e.dataset.target, e.dataset.quota])",
    )
    context.close()
    assert not off_machine and not console_errors, (off_machine, console_errors)

    month = card[card["month"] == CYCLE]
    marts = {(r.kpi, r.scope): r for r in month.itertuples()}
    assert len(data["scorecard"]) == len(month)
    for row in data["scorecard"]:
        expected = marts[(row["kpi"], row["scope"])]
        assert row["actual"] == pytest.approx(expected.actual, rel=1e-12, abs=1e-12) or (
            row["actual"] is None and pd.isna(expected.actual)
        )
        assert row["status"] == (expected.status if isinstance(expected.status, str) else None)
    # the sales-plan page shows the published reconciliation of the cycle, region by region
    reconciliation = serving.execute(
        "SELECT region_code, bookings_target_usd, quota_usd FROM quota_reconciliation "
        f"WHERE cycle_month = DATE '{CYCLE}-01'"
    ).df()
    assert len(sales_shown) == len(reconciliation) >= 2
    published = {r.region_code: (float(r.bookings_target_usd), float(r.quota_usd)) for r in reconciliation.itertuples()}
    for region, target, quota in sales_shown:
        assert (float(target), float(quota)) == pytest.approx(published[region], abs=0.005)
    red = sorted(month[(month["scope"] == "total") & (month["status"] == "red")]["kpi"])
    assert sorted(data["red_kpis"]) == red
    assert len(rows_shown) == len(month[month["scope"] == "total"])
    for kpi, actual, status in rows_shown:
        expected = marts[(kpi, "total")]
        if not pd.isna(expected.actual):
            assert float(actual) == pytest.approx(expected.actual, rel=1e-12)
        assert status == (expected.status if isinstance(expected.status, str) else "")
    actions = {a["action_id"]: a for a in data["actions"]}
    assert actions["A-1"]["is_overdue"] and actions["A-1"]["days_overdue"] == 14
    # the action title with markup is shown as text
    assert "Review the forecast &lt;model&gt; of pumps" in pack.read_text()


def test_the_summary_email_lists_the_overdue_action_and_the_reds(built_company, card):
    raw = (built_company.root / "reports" / CYCLE / "summary.eml").read_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    month = card[(card["month"] == CYCLE) & (card["scope"] == "total")]
    reds = int((month["status"] == "red").sum())
    assert msg["Subject"].startswith(f"S&OP {CYCLE}: {reds} red")
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    assert "A-1" in text and "tom.becker" in text
    assert (built_company.root / "reports" / CYCLE / "summary.md").read_text().startswith("# S&OP summary")
