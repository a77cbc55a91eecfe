"""Revenue (bookings) forecast per region x month: statistical, pipeline, blend, and the reps' commit.

Bookings are won opportunity amounts in their close month (``revenue_monthly.bookings_usd``),
the quantity both a statistical model and the open pipeline can forecast.

- **Statistical**: the forecast engine on each region's monthly bookings history.
- **Pipeline**: every opportunity open at the cycle's month end (``fct_pipeline_snapshot_monthly``
  of the cycle month) x the historical win rate of its stage and age bucket, placed in its
  expected close month: the month of its close date, or the month after the cycle when the
  close date is already past (past due). Months beyond the horizon are dropped.
- **Win rate by stage and age**: of the opportunities that were open in stage S at age
  bucket A at some month end up to the cycle, and were closed by the cycle's month end, the
  share that were won (each opportunity counted once per stage x age cell). A cell with fewer
  than ``min_closed`` closed opportunities falls back to the stage's rate over all ages, then to
  the overall rate, then (no closed opportunity at all) to the CRM stage probability.
- **Blend**: ``w_h x pipeline + (1 - w_h) x statistical`` with the pipeline weight ``w_h`` by
  horizon step ``h``, chosen by backtest (``blend_backtest`` + ``choose_pipeline_weights``):
  at up to ``BLEND_ORIGINS`` past origins, 3 months apart, both forecasts are made with only
  the data known then and compared with the bookings that followed; for each step 1..6 the
  weight on a 0, 0.1, ..., 1 grid with the lowest total absolute error wins. A step with
  fewer than ``MIN_BLEND_ORIGINS`` scored origins keeps the default ``PIPELINE_WEIGHTS``
  (0.7, 0.5, 0.3 for months 1-3); steps after 6 have weight 0 (the open pipeline holds
  little that far out). On the scale-1 demo the backtest gives the pipeline little weight
  in month 1 (close dates there are optimistic: the deals slip) and most in month 3.
- **Commit** (the reps' own call, shown side by side): the open amount in forecast category
  ``Commit`` placed in its expected close month, plus the amount already closed won in that
  month (0 for months after the cycle at the time of the cycle).

All functions take DataFrames and return DataFrames; nothing here reads the warehouse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Age buckets in days since creation (upper bounds inclusive), labels as shown in the mart.
AGE_BUCKETS = ((30, "0-30"), (90, "31-90"), (180, "91-180"), (None, "181+"))
#: Pipeline weight of the blend by horizon step 1, 2, 3, ...; 0 after the last.
PIPELINE_WEIGHTS = (0.7, 0.5, 0.3)
#: Steps whose blend weight is chosen by backtest, past origins used, and origins a step needs.
BLEND_STEPS = 6
BLEND_ORIGINS = 8
BLEND_ORIGIN_SPACING = 3
MIN_BLEND_ORIGINS = 4
WEIGHT_GRID = tuple(round(0.1 * i, 1) for i in range(11))
#: A stage x age cell needs this many closed opportunities to be used on its own.
MIN_CLOSED_PER_CELL = 5
COMMIT_CATEGORY = "Commit"


def age_bucket(age_days) -> pd.Series:
    """Age in days -> bucket label (``0-30``, ``31-90``, ``91-180``, ``181+``)."""
    age = pd.Series(age_days, dtype=float)
    labels = np.full(len(age), AGE_BUCKETS[-1][1], dtype=object)
    for upper, label in reversed(AGE_BUCKETS[:-1]):
        labels[(age <= upper).to_numpy()] = label
    return pd.Series(labels, index=age.index)


def month_start(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).dt.to_period("M").dt.to_timestamp()


def win_rates(snapshots: pd.DataFrame, cycle: pd.Timestamp, min_closed: int = MIN_CLOSED_PER_CELL) -> pd.DataFrame:
    """Win rate by stage and age bucket from month-end snapshots up to ``cycle``.

    ``snapshots``: snapshot_month, opportunity_id, stage_name, is_open, age_days,
    closed_in_month_outcome ('won'/'lost' in the month it closed), probability.
    Returns stage_name, age_bucket, closed_opportunities, won_opportunities, cell_win_rate,
    win_rate (after fallbacks) and win_rate_source (``stage_age``, ``stage``, ``overall``,
    ``crm_probability``), one row per stage x bucket seen open up to the cycle.
    """
    cycle = pd.Timestamp(cycle)
    snaps = snapshots[pd.to_datetime(snapshots["snapshot_month"]) <= cycle]
    closed = snaps[~snaps["is_open"].astype(bool) & snaps["closed_in_month_outcome"].notna()]
    outcome = closed.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")[
        "closed_in_month_outcome"
    ]
    open_rows = snaps[snaps["is_open"].astype(bool)].copy()
    open_rows["age_bucket"] = age_bucket(open_rows["age_days"]).to_numpy()
    cells = open_rows[["stage_name", "age_bucket"]].drop_duplicates()
    obs = open_rows.drop_duplicates(["opportunity_id", "stage_name", "age_bucket"]).copy()
    obs["outcome"] = obs["opportunity_id"].map(outcome)
    obs = obs[obs["outcome"].notna()]
    obs["won"] = (obs["outcome"] == "won").astype(int)

    by_cell = (
        obs.groupby(["stage_name", "age_bucket"])
        .agg(closed_opportunities=("won", "size"), won_opportunities=("won", "sum"))
        .reset_index()
    )
    by_stage = obs.drop_duplicates(["opportunity_id", "stage_name"]).groupby("stage_name")["won"].agg(["size", "sum"])
    overall_obs = obs.drop_duplicates("opportunity_id")
    overall = overall_obs["won"].mean() if len(overall_obs) else np.nan
    crm_prob = open_rows.groupby("stage_name")["probability"].median() / 100.0 if "probability" in open_rows else {}

    out = cells.merge(by_cell, on=["stage_name", "age_bucket"], how="left")
    out[["closed_opportunities", "won_opportunities"]] = (
        out[["closed_opportunities", "won_opportunities"]].fillna(0).astype(int)
    )
    out["cell_win_rate"] = np.where(
        out["closed_opportunities"] > 0,
        out["won_opportunities"] / out["closed_opportunities"].where(out["closed_opportunities"] > 0, 1),
        np.nan,
    )
    rates, sources = [], []
    for row in out.itertuples(index=False):
        if row.closed_opportunities >= min_closed:
            rates.append(row.cell_win_rate), sources.append("stage_age")
        elif row.stage_name in by_stage.index and by_stage.loc[row.stage_name, "size"] >= min_closed:
            s = by_stage.loc[row.stage_name]
            rates.append(s["sum"] / s["size"]), sources.append("stage")
        elif len(overall_obs) >= min_closed:
            rates.append(overall), sources.append("overall")
        else:
            rates.append(float(crm_prob.get(row.stage_name, np.nan)) if len(crm_prob) else np.nan)
            sources.append("crm_probability")
    out["win_rate"] = rates
    out["win_rate_source"] = sources
    return out.sort_values(["stage_name", "age_bucket"]).reset_index(drop=True)


def expected_close_month(close_date, cycle: pd.Timestamp) -> pd.Series:
    """Month of the close date; a close date in or before the cycle month (past due) -> cycle + 1."""
    cycle = pd.Timestamp(cycle)
    months = month_start(close_date)
    next_month = cycle + pd.DateOffset(months=1)
    return months.where(months >= next_month, next_month)


def forecast_months(cycle: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(cycle) + pd.DateOffset(months=1), periods=horizon, freq="MS")


def pipeline_forecast(snapshots: pd.DataFrame, rates: pd.DataFrame, cycle: pd.Timestamp, horizon: int) -> pd.DataFrame:
    """Open pipeline at the cycle's month end x win rate, per region x expected close month.

    Returns region_code, ds, open_opportunities, open_pipeline_usd, pipeline_usd (expected
    bookings) and commit_open_usd (open amount in forecast category Commit).
    """
    cycle = pd.Timestamp(cycle)
    snaps = snapshots[pd.to_datetime(snapshots["snapshot_month"]) == cycle]
    open_now = snaps[snaps["is_open"].astype(bool)].copy()
    open_now["age_bucket"] = age_bucket(open_now["age_days"]).to_numpy()
    open_now = open_now.merge(
        rates[["stage_name", "age_bucket", "win_rate"]], on=["stage_name", "age_bucket"], how="left"
    )
    open_now["win_rate"] = open_now["win_rate"].fillna(0.0)
    open_now["ds"] = expected_close_month(open_now["close_date"], cycle).to_numpy()
    months = forecast_months(cycle, horizon)
    open_now = open_now[open_now["ds"].isin(months)]
    amount = open_now["amount_usd"].astype(float)
    open_now["expected_usd"] = amount * open_now["win_rate"]
    open_now["commit_usd"] = amount.where(open_now["forecast_category"] == COMMIT_CATEGORY, 0.0)
    open_now["amount"] = amount
    return open_now.groupby(["region_code", "ds"], as_index=False).agg(
        open_opportunities=("opportunity_id", "nunique"),
        open_pipeline_usd=("amount", "sum"),
        pipeline_usd=("expected_usd", "sum"),
        commit_open_usd=("commit_usd", "sum"),
    )


def closed_won_by_month(snapshots: pd.DataFrame, cycle: pd.Timestamp) -> pd.DataFrame:
    """Amount closed won per region x close month, as known at the cycle's month end."""
    snaps = snapshots[pd.to_datetime(snapshots["snapshot_month"]) <= pd.Timestamp(cycle)]
    won = snaps[(~snaps["is_open"].astype(bool)) & (snaps["closed_in_month_outcome"] == "won")].copy()
    won["ds"] = month_start(won["close_date"]).to_numpy()
    won["amount"] = won["amount_usd"].astype(float)
    return won.groupby(["region_code", "ds"], as_index=False).agg(closed_won_usd=("amount", "sum"))


def pipeline_weight(step: int, weights: tuple[float, ...] = PIPELINE_WEIGHTS) -> float:
    """Weight of the pipeline forecast in the blend at horizon step ``step`` (1-based)."""
    return float(weights[step - 1]) if 1 <= step <= len(weights) else 0.0


def blend_origins(
    cycle: pd.Timestamp,
    first_month: pd.Timestamp,
    min_history: int = 12,
    n: int = BLEND_ORIGINS,
    spacing: int = BLEND_ORIGIN_SPACING,
) -> list[pd.Timestamp]:
    """Past origins for the blend backtest: cycle - 1, cycle - 4, ... months, each with at least
    ``min_history`` months of bookings before it (oldest first)."""
    cycle, first_month = pd.Timestamp(cycle), pd.Timestamp(first_month)
    out = []
    for k in range(n):
        origin = cycle - pd.DateOffset(months=1 + spacing * k)
        if (origin.year - first_month.year) * 12 + origin.month - first_month.month + 1 < min_history:
            break
        out.append(origin)
    return sorted(out)


def blend_backtest(
    bookings: pd.DataFrame,
    snapshots: pd.DataFrame,
    cycle: pd.Timestamp,
    forecaster,
    steps: int = BLEND_STEPS,
    min_closed: int = MIN_CLOSED_PER_CELL,
) -> pd.DataFrame:
    """Statistical and pipeline forecasts at past origins next to the bookings that followed.

    ``bookings``: region_code, ds, y up to the cycle; ``forecaster(history, horizon)`` returns
    region_code, ds, yhat from a history (region_code, ds, y). Only (origin, step) pairs whose
    month is at or before the cycle are kept. Returns origin, step, region_code, ds,
    statistical, pipeline, actual.
    """
    cycle = pd.Timestamp(cycle)
    if bookings.empty:
        return pd.DataFrame(columns=["origin", "step", "region_code", "ds", "statistical", "pipeline", "actual"])
    frames = []
    for origin in blend_origins(cycle, bookings["ds"].min()):
        stat = forecaster(bookings[bookings["ds"] <= origin], steps)[["region_code", "ds", "yhat"]]
        snaps = snapshots[pd.to_datetime(snapshots["snapshot_month"]) <= origin]
        pipe = pipeline_forecast(snaps, win_rates(snaps, origin, min_closed), origin, steps)
        m = stat.merge(pipe[["region_code", "ds", "pipeline_usd"]], on=["region_code", "ds"], how="left")
        m = m.merge(bookings.rename(columns={"y": "actual"}), on=["region_code", "ds"], how="inner")
        m["step"] = (m["ds"].dt.year - origin.year) * 12 + m["ds"].dt.month - origin.month
        m["origin"] = origin
        frames.append(m.rename(columns={"yhat": "statistical", "pipeline_usd": "pipeline"}))
    if not frames:
        return pd.DataFrame(columns=["origin", "step", "region_code", "ds", "statistical", "pipeline", "actual"])
    out = pd.concat(frames, ignore_index=True).fillna({"pipeline": 0.0})
    return out[out["ds"] <= cycle][["origin", "step", "region_code", "ds", "statistical", "pipeline", "actual"]]


def choose_pipeline_weights(
    backtest: pd.DataFrame,
    steps: int = BLEND_STEPS,
    min_origins: int = MIN_BLEND_ORIGINS,
    default: tuple[float, ...] = PIPELINE_WEIGHTS,
) -> pd.DataFrame:
    """Pipeline weight per step 1..``steps``: the grid weight with the lowest total absolute
    error over the backtest (ties to the smaller weight), or the default when the step has
    fewer than ``min_origins`` origins. Returns step, weight, origins, source, and the WAPE of
    statistical, pipeline and blend at that step (null for defaults)."""
    rows = []
    for step in range(1, steps + 1):
        g = backtest[backtest["step"] == step] if not backtest.empty else backtest
        n = int(g["origin"].nunique()) if len(g) else 0
        if n < min_origins:
            rows.append((step, pipeline_weight(step, default), n, "default", np.nan, np.nan, np.nan))
            continue
        y, s, p = (g[c].to_numpy(float) for c in ("actual", "statistical", "pipeline"))
        errors = [np.abs(w * p + (1 - w) * s - y).sum() for w in WEIGHT_GRID]
        w = WEIGHT_GRID[int(np.argmin(errors))]
        den = np.abs(y).sum()
        wape = lambda f: float(np.abs(f - y).sum() / den) if den > 0 else np.nan
        rows.append((step, w, n, "backtest", wape(s), wape(p), wape(w * p + (1 - w) * s)))
    return pd.DataFrame(
        rows, columns=["step", "weight", "origins", "source", "wape_statistical", "wape_pipeline", "wape_blend"]
    )


def revenue_forecast(
    statistical: pd.DataFrame,
    snapshots: pd.DataFrame,
    cycle: pd.Timestamp,
    horizon: int,
    weights: tuple[float, ...] = PIPELINE_WEIGHTS,
    min_closed: int = MIN_CLOSED_PER_CELL,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The revenue forecast table and the win rates used.

    ``statistical``: region_code, ds, model, yhat, lo_80, hi_80, lo_95, hi_95 (engine output
    per region). Returns (forecast, rates): forecast has one row per region x forecast month
    with statistical, pipeline, blend and commit columns (USD, rounded to cents).
    """
    cycle = pd.Timestamp(cycle)
    rates = win_rates(snapshots, cycle, min_closed=min_closed)
    pipe = pipeline_forecast(snapshots, rates, cycle, horizon)
    won = closed_won_by_month(snapshots, cycle)
    months = forecast_months(cycle, horizon)
    regions = sorted(set(statistical["region_code"]) | set(pipe["region_code"]))
    grid = pd.MultiIndex.from_product([regions, months], names=["region_code", "ds"]).to_frame(index=False)
    grid["horizon_step"] = np.tile(np.arange(1, horizon + 1), len(regions))
    stat_cols = ["region_code", "ds", "model", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    out = (
        grid.merge(statistical[stat_cols], on=["region_code", "ds"], how="left")
        .merge(pipe, on=["region_code", "ds"], how="left")
        .merge(won, on=["region_code", "ds"], how="left")
    )
    out = out.rename(
        columns={
            "yhat": "statistical_usd",
            "lo_80": "statistical_lo_80_usd",
            "hi_80": "statistical_hi_80_usd",
            "lo_95": "statistical_lo_95_usd",
            "hi_95": "statistical_hi_95_usd",
            "model": "statistical_model",
        }
    )
    fill = [
        "open_opportunities",
        "open_pipeline_usd",
        "pipeline_usd",
        "commit_open_usd",
        "closed_won_usd",
        "statistical_usd",
    ]
    out[fill] = out[fill].fillna(0.0)
    out["open_opportunities"] = out["open_opportunities"].astype(int)
    out["pipeline_weight"] = [pipeline_weight(int(h), weights) for h in out["horizon_step"]]
    out["blended_usd"] = (
        out["pipeline_weight"] * out["pipeline_usd"] + (1 - out["pipeline_weight"]) * out["statistical_usd"]
    )
    out["commit_usd"] = out["commit_open_usd"] + out["closed_won_usd"]
    money = [c for c in out.columns if c.endswith("_usd")]
    out[money] = out[money].astype(float).round(2)
    out.insert(0, "cycle_month", cycle)
    return out, rates
