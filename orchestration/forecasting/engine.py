"""The forecast engine: classify every series, backtest its candidates, choose, forecast with intervals.

``forecast_series(history, config)`` is a function of DataFrames: one long history in, three
frames out (forecasts, the choice per series, backtest scores). Steps:

1. Classify each series by ADI and CV² (``classification``): smooth, erratic, intermittent,
   lumpy, or ``short``/``zero`` when there is too little to model.
2. Plan its backtest: the full design (``horizon`` months from each of ``n_origins`` origins,
   ``backtest_step`` months apart) when at least ``min_train`` months remain before the first
   origin; otherwise the short design (``short_backtest_horizon`` months, origins one month
   apart) when ``short_min_train`` months remain; otherwise a fallback. Seasonal models compete
   only when two full seasons remain before the first origin.
3. Backtest the candidates of the series' family (continuous for smooth/erratic, intermittent
   for intermittent/lumpy) with statsforecast's ``cross_validation``; combine the best four
   (three for intermittent demand) by pooled rank with inverse-error weights (the ensemble),
   and keep that combination unless a single candidate is overwhelmingly better on the
   backtest (``selection``).
4. Fit the chosen model(s) on the whole history and forecast ``horizon`` months: native 80/95%
   intervals where the model has them, conformal intervals from the backtest errors otherwise
   (intermittent models, the ensemble); intervals made monotone and clipped at zero.

Fallbacks (documented in docs/forecasting_models.md): an all-zero series forecasts zero with
zero-width intervals (``Zero``); a launch (a series that started inside the data) too young to
backtest follows the launch profile of the collection's earlier launches (``LaunchProfile``,
``launch``); any other series too short to backtest, or with fewer than ``min_nonzero``
non-zero months, forecasts the mean of its last ``fallback_window`` months with normal
intervals from their standard deviation (``RecentMean``), as does a launch without enough
earlier launches to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from orchestration.forecasting import classification as cls
from orchestration.forecasting.backtest import (
    BacktestDesign,
    cross_validate,
    month_number,
    scales_before_first_origin,
    score,
)
from orchestration.forecasting.candidates import (
    CONTINUOUS,
    DEFAULT_CANDIDATES,
    ENSEMBLE,
    INTERMITTENT,
    REGISTRY,
    build_models,
    candidates_for,
    validate_candidates,
)
from orchestration.forecasting.intervals import conformal_half_widths, gaussian_half_width, make_monotone
from orchestration.forecasting.launch import LAUNCH_PROFILE, LaunchProfiles
from orchestration.forecasting.selection import (
    add_ensemble,
    choose,
    combination_weights,
    ensemble_members,
    own_error,
    selection_scores,
)
from orchestration.forecasting.workers import default_signal_handlers

RECENT_MEAN = "RecentMean"
ZERO_MODEL = "Zero"

FORECAST_COLUMNS = ["unique_id", "ds", "model", "yhat", "lo_80", "hi_80", "lo_95", "hi_95", "yhat_seasonal_naive"]
SELECTION_COLUMNS = [
    "unique_id",
    "demand_class",
    "adi",
    "cv2",
    "n_obs",
    "model",
    "fallback",
    "backtest_mase",
    "seasonal_naive_mase",
    "ensemble_members",
    "ensemble_weights",
    "backtest_horizon",
]
BACKTEST_COLUMNS = ["unique_id", "model", "mase", "smape", "wape", "error", "score"]


@dataclass(frozen=True)
class ForecastConfig:
    """What the engine forecasts and how it chooses. Defaults are the production settings."""

    horizon: int = 18
    season_length: int = 12
    n_origins: int = 3  # rolling-origin backtest windows
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES  # statsforecast model names (see candidates.REGISTRY)
    levels: tuple[int, ...] = (80, 95)
    non_negative: bool = True  # clip forecasts and bounds at 0 (demand, revenue)
    n_jobs: int = -1
    backtest_step: int = 3  # months between backtest origins (full design)
    backtest_refit: bool = False  # False: models with ``forward`` are fitted once, at the first origin
    ensemble_size: int = 4  # members of a smooth/erratic series' combination (Ensemble); 0 or 1 turns it off
    intermittent_ensemble_size: int = 3  # members of an intermittent/lumpy series' combination
    ensemble_margin: float = 0.8  # a single replaces the combination only when its backtest error is this much lower
    combination_shrinkage: float = 0.5  # share of equal weights in the members' weights (rest: inverse error)
    score_weight: float = 0.25  # weight of the series' own rank in its selection score (rest: group mean rank)
    min_train: int = 12  # months before the first origin for the full backtest design
    short_backtest_horizon: int = 3  # horizon of the short design (origins one month apart)
    short_min_train: int = 6  # months before the first origin for the short design
    min_obs: int = 6  # fewer months: fallback
    min_nonzero: int = 3  # fewer non-zero months: fallback
    fallback_window: int = 12  # months averaged by the RecentMean fallback
    interval_method: str = "native"  # "native": model intervals where available; "conformal": always conformal
    min_conformal_errors: int = 20  # backtest errors pooled (over nearby steps) per conformal quantile

    def __post_init__(self):
        validate_candidates(self.candidates)
        if self.horizon < 1 or self.season_length < 1 or self.n_origins < 1 or self.backtest_step < 1:
            raise ValueError("horizon, season_length, n_origins and backtest_step must be positive")
        if self.interval_method not in ("native", "conformal"):
            raise ValueError(f"interval_method must be 'native' or 'conformal', got {self.interval_method!r}")
        if not self.levels or any(not 0 < lv < 100 for lv in self.levels):
            raise ValueError(f"levels must be percentages in (0, 100), got {self.levels!r}")
        for name in ("ensemble_margin", "combination_shrinkage", "score_weight"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)!r}")

    @property
    def use_ensemble(self) -> bool:
        return self.ensemble_size >= 2


#: Below this many series the engine runs in the caller's process (n_jobs=1): a worker pool
#: costs more than it saves on a handful of series, and every fork of a process running threads
#: is a chance to inherit a lock another of its threads holds.
POOL_MIN_SERIES = 200


def production_config(n_series: int, horizon: int | None = None) -> ForecastConfig:
    """The production settings for a problem of ``n_series`` series (``horizon`` months ahead,
    default 18): one process below ``POOL_MIN_SERIES`` series, every core above."""
    config = ForecastConfig() if horizon is None else ForecastConfig(horizon=horizon)
    return replace(config, n_jobs=1) if n_series < POOL_MIN_SERIES else config


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame  # unique_id, ds, model, yhat, lo_80, hi_80, lo_95, hi_95, yhat_seasonal_naive
    selection: (
        pd.DataFrame
    )  # unique_id, demand_class, adi, cv2, n_obs, model, fallback, backtest_mase, seasonal_naive_mase, ...
    backtest: (
        pd.DataFrame
    )  # unique_id, model, mase, smape, wape, error (own backtest error), score (selection score): series x candidate
    candidate_forecasts: pd.DataFrame | None = field(default=None, repr=False)  # evaluate only: every candidate
    # backtest rows, wide: unique_id, cutoff, ds, step, y, one column per candidate backtested (and
    # Ensemble); every modelled series, so callers can judge the chosen forecast's backtest errors
    backtest_forecasts: pd.DataFrame | None = field(default=None, repr=False)


# ---------------------------------------------------------------- input
def validate_history(history: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise the long history; raise ValueError naming the rule broken."""
    missing = {"unique_id", "ds", "y"} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks column(s) {sorted(missing)}; needs unique_id, ds, y")
    if history.empty:
        raise ValueError("history has no rows")
    df = history[["unique_id", "ds", "y"]].copy()
    df["unique_id"] = df["unique_id"].astype(str)
    df["ds"] = pd.to_datetime(df["ds"])
    df["y"] = pd.to_numeric(df["y"], errors="coerce").astype(float)
    if df["y"].isna().any():
        bad = df[df["y"].isna()].iloc[0]
        raise ValueError(f"history has missing or non-numeric y (first: series {bad.unique_id!r}, {bad.ds:%Y-%m})")
    if (df["ds"] != df["ds"].dt.to_period("M").dt.to_timestamp()).any():
        bad = df[df["ds"] != df["ds"].dt.to_period("M").dt.to_timestamp()].iloc[0]
        raise ValueError(f"ds must be month starts (first offender: series {bad.unique_id!r}, {bad.ds})")
    df = df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    dup = df.duplicated(["unique_id", "ds"])
    if dup.any():
        bad = df[dup].iloc[0]
        raise ValueError(f"history has two rows for series {bad.unique_id!r} month {bad.ds:%Y-%m}")
    months = month_number(df["ds"])
    same = df["unique_id"].to_numpy()[1:] == df["unique_id"].to_numpy()[:-1]
    gaps = same & (np.diff(months) != 1)
    if gaps.any():
        i = int(np.argmax(gaps)) + 1
        raise ValueError(
            f"series {df['unique_id'].iat[i]!r} has a gap before {df['ds'].iat[i]:%Y-%m}; zero-fill missing months"
        )
    return df


def seasonal_naive_path(y: np.ndarray, horizon: int, season_length: int) -> np.ndarray:
    """Seasonal naive forecast (the naive one when the series is shorter than a season)."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return np.zeros(horizon)
    if len(y) >= season_length:
        last = y[-season_length:]
        return np.array([last[j % season_length] for j in range(horizon)])
    return np.full(horizon, y[-1])


# ---------------------------------------------------------------- planning
def _plan(classes: pd.DataFrame, config: ForecastConfig) -> pd.DataFrame:
    """Per series: family, backtest design (or None) and fallback reason."""
    full_test = config.horizon + config.backtest_step * (config.n_origins - 1)
    short_h = min(config.horizon, config.short_backtest_horizon)
    short_test = short_h + (config.n_origins - 1)
    rows = []
    for r in classes.itertuples(index=False):
        family = INTERMITTENT if r.demand_class in (cls.INTERMITTENT, cls.LUMPY) else CONTINUOUS
        design, fallback = None, None
        if r.demand_class == cls.ZERO:
            fallback = "all-zero history"
        elif r.demand_class == cls.SHORT:
            fallback = f"{r.n_obs} months of history" if r.n_obs < config.min_obs else f"{r.n_nonzero} non-zero months"
        elif r.n_obs - full_test >= config.min_train:
            design = BacktestDesign(
                config.horizon,
                config.n_origins,
                config.backtest_step,
                seasonal=r.n_obs - full_test >= 2 * config.season_length,
            )
        elif r.n_obs - short_test >= config.short_min_train:
            design = BacktestDesign(
                short_h, config.n_origins, 1, seasonal=r.n_obs - short_test >= 2 * config.season_length
            )
        else:
            fallback = f"{r.n_obs} months of history, too short to backtest"
        rows.append((r.unique_id, family, design, fallback))
    return pd.DataFrame(rows, columns=["unique_id", "family", "design", "fallback"])


# ---------------------------------------------------------------- final fit
def _fit_forecast(
    history: pd.DataFrame, model: str, seasonal: bool, config: ForecastConfig, native_levels: bool
) -> pd.DataFrame:
    """Forecast ``horizon`` months with one model for every series of ``history``.

    Returns unique_id, ds, yhat and, with ``native_levels``, lo_<L>/hi_<L> from the model.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    sf = StatsForecast(
        models=build_models([model], config.season_length, seasonal),
        freq="MS",
        n_jobs=config.n_jobs,
        fallback_model=Naive(),
    )
    levels = list(config.levels) if native_levels else None
    fc = sf.forecast(df=history, h=config.horizon, level=levels)
    fc["unique_id"] = fc["unique_id"].astype(str)
    out = fc[["unique_id", "ds"]].copy()
    out["yhat"] = fc[model].to_numpy(dtype=float)
    if native_levels:
        for lv in config.levels:
            out[f"lo_{lv}"] = fc[f"{model}-lo-{lv}"].to_numpy(dtype=float)
            out[f"hi_{lv}"] = fc[f"{model}-hi-{lv}"].to_numpy(dtype=float)
    return out


def _final_forecasts(
    hist: pd.DataFrame,
    cv: pd.DataFrame,
    model: str,
    uids: set,
    with_intervals: set,
    seasonal: bool,
    config: ForecastConfig,
) -> pd.DataFrame:
    """``model``'s forecasts for the series ``uids``, with lo_/hi_ columns for those in ``with_intervals``
    (the model's own where it has them and ``interval_method`` is native, conformal otherwise); the
    other series' bounds are left empty (NaN): they are only members of a combination."""
    native = config.interval_method == "native" and REGISTRY[model].native_intervals
    parts = []
    for group, levels in ((uids & with_intervals, True), (uids - with_intervals, False)):
        if not group:
            continue
        sub = hist[hist["unique_id"].isin(group)]
        fc = _fit_forecast(sub, model, seasonal, config, native_levels=native and levels)
        if levels and not native:
            fc = _conformal(fc, cv[cv["unique_id"].isin(group)], model, config)
        parts.append(fc)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _conformal(fc: pd.DataFrame, cv: pd.DataFrame, column: str, config: ForecastConfig) -> pd.DataFrame:
    """Add conformal lo_/hi_ columns to ``fc`` (one model, several series) from ``cv[column]`` errors."""
    fc = fc.copy()
    fc["step"] = fc.groupby("unique_id", sort=False).cumcount() + 1
    errs = cv.assign(err=(cv["y"] - cv[column]).abs())
    widths = {}
    for uid, g in errs.groupby("unique_id", sort=False):
        matrix = g.pivot(index="cutoff", columns="step", values="err").to_numpy()
        widths[uid] = conformal_half_widths(
            matrix, config.horizon, config.levels, min_errors=config.min_conformal_errors
        )
    step_idx = fc["step"].to_numpy() - 1
    uids = fc["unique_id"].to_numpy()
    for i, lv in enumerate(config.levels):
        half = np.array([widths[u][i, s] if u in widths else np.nan for u, s in zip(uids, step_idx)])
        fc[f"lo_{lv}"] = fc["yhat"] - half
        fc[f"hi_{lv}"] = fc["yhat"] + half
    return fc.drop(columns="step")


def _future_dates(last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(last + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")


def _fallback_forecast(uid: str, y: np.ndarray, last: pd.Timestamp, config: ForecastConfig, model: str):
    horizon = config.horizon
    window = y[-config.fallback_window :] if len(y) else y
    if model == ZERO_MODEL or len(window) == 0:
        mean, sigma = 0.0, 0.0
    else:
        mean = float(window.mean())
        sigma = float(window.std(ddof=1)) if len(window) >= 2 else abs(mean)
        sigma *= np.sqrt(1 + 1 / len(window))
    frame = pd.DataFrame({"unique_id": uid, "ds": _future_dates(last, horizon), "yhat": mean})
    for lv in config.levels:
        half = gaussian_half_width(sigma, lv)
        frame[f"lo_{lv}"] = mean - half
        frame[f"hi_{lv}"] = mean + half
    return frame


# ---------------------------------------------------------------- the engine
def forecast_series(
    history: pd.DataFrame, config: ForecastConfig = ForecastConfig(), *, all_candidates: bool = False
) -> ForecastResult:
    """Forecast every series of ``history`` ``config.horizon`` months ahead.

    history: columns unique_id (str), ds (Timestamp, month start), y (float); one row per
    series x month, no gaps. Every series gets ``horizon`` forecast rows, whatever its length
    (fallbacks for short/new/all-zero series).

    With ``all_candidates`` (used by ``sop forecast evaluate``) every configured candidate is
    also backtested and forecast on every modelled series, outside the selection, and returned
    in ``candidate_forecasts`` (one row per series x month x candidate, with intervals).
    """
    with default_signal_handlers():
        return _forecast_series(history, config, all_candidates=all_candidates)


def _forecast_series(history: pd.DataFrame, config: ForecastConfig, *, all_candidates: bool) -> ForecastResult:
    df = validate_history(history)
    config = replace(config, n_jobs=config.n_jobs if config.n_jobs != 0 else 1)
    classes = cls.classify_series(df, min_obs=config.min_obs, min_nonzero=config.min_nonzero)
    plan = _plan(classes, config).merge(classes, on="unique_id")
    by_id = {uid: g for uid, g in df.groupby("unique_id", sort=False)}

    forecasts, selections, backtests, cand_frames, cv_frames = [], [], [], [], []
    competing_all = [c for c in config.candidates if c != ENSEMBLE]

    modelled = plan[plan["design"].notna()]
    for (family, design), group in modelled.groupby(["family", "design"], sort=False):
        ids = group["unique_id"].tolist()
        hist = df[df["unique_id"].isin(ids)]
        competing = candidates_for(config.candidates, family, design.seasonal)
        extra = [c for c in competing_all if c not in competing] if all_candidates else []
        models = competing + extra
        cv = cross_validate(
            hist, models, design, season_length=config.season_length, n_jobs=config.n_jobs, refit=config.backtest_refit
        )
        if config.non_negative:
            cv[models] = cv[models].clip(lower=0)
        scales = scales_before_first_origin(hist, design, config.season_length)
        cv["SeasonalNaiveBenchmark"] = _backtest_seasonal_naive(hist, cv, config.season_length)
        scores = score(cv, models + ["SeasonalNaiveBenchmark"], scales)
        members, weights = {}, {}
        order = list(competing)
        scores = pd.concat(
            [
                selection_scores(scores[scores["model"].isin(competing)], config.score_weight),
                scores[~scores["model"].isin(competing)],
            ],
            ignore_index=True,
        )
        if config.use_ensemble and len(competing) >= 2:
            size = config.intermittent_ensemble_size if family == INTERMITTENT else config.ensemble_size
            members = ensemble_members(scores, competing, size)
            weights = combination_weights(scores, members, config.combination_shrinkage)
            cv = add_ensemble(cv, weights, competing)
            ens = score(cv, [ENSEMBLE], scales)
            # the combination's error in the same unit (WAPE or MASE) as its members'
            singles_and_ens = pd.concat([scores[scores["model"].isin(competing)], ens], ignore_index=True)
            ens["error"] = own_error(singles_and_ens).to_numpy()[-len(ens) :]
            scores = pd.concat([scores, ens], ignore_index=True)
            order.append(ENSEMBLE)
        chosen = choose(scores, order, margin=config.ensemble_margin if members else 0.0)
        snaive = scores[scores["model"] == "SeasonalNaiveBenchmark"].set_index("unique_id")["mase"]
        chosen["seasonal_naive_mase"] = chosen["unique_id"].map(snaive)
        is_ens = chosen["model"] == ENSEMBLE
        chosen["ensemble_members"] = [",".join(members[u]) if e else None for u, e in zip(chosen["unique_id"], is_ens)]
        chosen["ensemble_weights"] = [
            ",".join(f"{weights[u][m]:.3f}" for m in members[u]) if e else None
            for u, e in zip(chosen["unique_id"], is_ens)
        ]
        chosen["backtest_horizon"] = design.horizon
        selections.append(chosen)
        cv_frames.append(cv)
        backtests.append(scores[scores["model"].isin(order + extra)].reindex(columns=BACKTEST_COLUMNS))

        # final fit: each model needed by some series (chosen, ensemble member, or every one when evaluating);
        # a model's own intervals only where it is published alone: a combination's intervals are conformal,
        # so its members are fitted without theirs (AutoCES simulates thousands of paths per series for them)
        need: dict[str, set] = {}
        alone: dict[str, set] = {}
        for r in chosen.itertuples(index=False):
            for m in members[r.unique_id] if r.model == ENSEMBLE else (r.model,):
                need.setdefault(m, set()).add(r.unique_id)
            if r.model != ENSEMBLE:
                alone.setdefault(r.model, set()).add(r.unique_id)
        if all_candidates:
            for m in models:
                need[m] = alone[m] = set(ids)
        finals: dict[str, pd.DataFrame] = {}
        for m, uids in need.items():
            finals[m] = _final_forecasts(hist, cv, m, uids, alone.get(m, set()), design.seasonal, config)
        ens_fc = None
        ens_ids = set(members) if all_candidates else set(chosen.loc[chosen["model"] == ENSEMBLE, "unique_id"])
        if ens_ids:
            membership = pd.DataFrame([(u, m) for u in ens_ids for m in members[u]], columns=["unique_id", "model"])
            long = pd.concat([f[["unique_id", "ds", "yhat"]].assign(model=m) for m, f in finals.items()])
            weighted = long.merge(membership, on=["unique_id", "model"])
            if config.non_negative:  # combine the members as they would be published: clipped at zero
                weighted["yhat"] = weighted["yhat"].clip(lower=0)
            weighted["yhat"] *= [weights[u][m] for u, m in zip(weighted["unique_id"], weighted["model"])]
            combined = weighted.groupby(["unique_id", "ds"], as_index=False, sort=True)["yhat"].sum()
            ens_fc = _conformal(combined, cv[cv["unique_id"].isin(ens_ids)], ENSEMBLE, config)
        for m, picked in chosen.groupby("model", sort=False)["unique_id"]:
            src = ens_fc if m == ENSEMBLE else finals[m]
            forecasts.append(src[src["unique_id"].isin(set(picked))].assign(model=m))
        if all_candidates:
            for m, fc in finals.items():
                cand_frames.append(fc.assign(model=m))
            if ens_fc is not None:
                cand_frames.append(ens_fc.assign(model=ENSEMBLE))

    # fallbacks
    fallback_rows = []
    launches = LaunchProfiles(df) if plan["design"].isna().any() else None
    for r in plan[plan["design"].isna()].itertuples(index=False):
        g = by_id[r.unique_id]
        y = g["y"].to_numpy(dtype=float)
        model = ZERO_MODEL if r.demand_class == cls.ZERO else RECENT_MEAN
        fc = None
        if model == RECENT_MEAN and launches.is_launch(g["ds"].iat[0]):
            profile = launches.forecast(r.unique_id, y, config.horizon, config.levels)
            if profile is not None:
                model = LAUNCH_PROFILE
                fc = profile.drop(columns="step").assign(
                    unique_id=r.unique_id, ds=_future_dates(g["ds"].iat[-1], config.horizon)
                )
        if fc is None:
            fc = _fallback_forecast(r.unique_id, y, g["ds"].iat[-1], config, model)
        forecasts.append(fc.assign(model=model))
        if all_candidates:
            for m in competing_all + ([ENSEMBLE] if config.use_ensemble else []):
                cand_frames.append(fc.assign(model=m))
        fallback_rows.append(
            {
                "unique_id": r.unique_id,
                "model": model,
                "backtest_mase": np.nan,
                "seasonal_naive_mase": np.nan,
                "ensemble_members": None,
                "ensemble_weights": None,
                "backtest_horizon": 0,
            }
        )

    fcst = pd.concat(forecasts, ignore_index=True) if forecasts else pd.DataFrame(columns=FORECAST_COLUMNS)
    fcst = _finish(fcst, df, config)
    chosen_all = (
        pd.concat(selections + [pd.DataFrame(fallback_rows)], ignore_index=True)
        if (selections or fallback_rows)
        else pd.DataFrame(columns=SELECTION_COLUMNS)
    )
    selection = plan[["unique_id", "demand_class", "adi", "cv2", "n_obs", "fallback"]].merge(
        chosen_all, on="unique_id", how="left"
    )
    selection = selection[SELECTION_COLUMNS].sort_values("unique_id").reset_index(drop=True)
    backtest = pd.concat(backtests, ignore_index=True) if backtests else pd.DataFrame(columns=BACKTEST_COLUMNS)
    backtest = backtest[BACKTEST_COLUMNS].sort_values(["unique_id", "model"]).reset_index(drop=True)
    candidates = None
    if all_candidates:
        candidates = _finish(pd.concat(cand_frames, ignore_index=True), df, config) if cand_frames else None
    return ForecastResult(
        forecasts=fcst,
        selection=selection,
        backtest=backtest,
        candidate_forecasts=candidates,
        backtest_forecasts=pd.concat(cv_frames, ignore_index=True) if cv_frames else None,
    )


def _backtest_seasonal_naive(hist: pd.DataFrame, cv: pd.DataFrame, season_length: int) -> np.ndarray:
    """The seasonal naive forecast for every backtest row (the benchmark of ``seasonal_naive_mase``)."""
    out = np.empty(len(cv))
    ys = {uid: g["y"].to_numpy(dtype=float) for uid, g in hist.groupby("unique_id", sort=False)}
    firsts = {uid: g["ds"].iat[0] for uid, g in hist.groupby("unique_id", sort=False)}
    first_month = cv["unique_id"].map(lambda u: firsts[u])
    n_train = month_number(cv["cutoff"]) - month_number(first_month) + 1
    uids, steps = cv["unique_id"].to_numpy(), cv["step"].to_numpy()
    for i, (u, n, s) in enumerate(zip(uids, n_train, steps)):
        y = ys[u]
        out[i] = y[n - season_length + (s - 1) % season_length] if n >= season_length else y[n - 1]
    return out


def _finish(fc: pd.DataFrame, history: pd.DataFrame, config: ForecastConfig) -> pd.DataFrame:
    """Monotone, clipped intervals and the seasonal-naive column; the fixed column order."""
    fc = fc.sort_values(["unique_id", "model", "ds"] if "model" in fc else ["unique_id", "ds"]).reset_index(drop=True)
    bounds = {lv: (fc[f"lo_{lv}"].to_numpy(), fc[f"hi_{lv}"].to_numpy()) for lv in config.levels}
    yhat, bounds = make_monotone(fc["yhat"].to_numpy(), bounds, non_negative=config.non_negative)
    fc["yhat"] = yhat
    for lv, (lo, hi) in bounds.items():
        fc[f"lo_{lv}"], fc[f"hi_{lv}"] = lo, hi
    snaive = {}
    for uid, g in history.groupby("unique_id", sort=False):
        path = seasonal_naive_path(g["y"].to_numpy(dtype=float), config.horizon, config.season_length)
        snaive[uid] = pd.Series(path, index=_future_dates(g["ds"].iat[-1], config.horizon))
    fc["yhat_seasonal_naive"] = [snaive[u].get(d, np.nan) for u, d in zip(fc["unique_id"], fc["ds"])]
    if config.non_negative:
        fc["yhat_seasonal_naive"] = fc["yhat_seasonal_naive"].clip(lower=0)
    cols = ["unique_id", "ds", "model", "yhat"] + [c for lv in config.levels for c in (f"lo_{lv}", f"hi_{lv}")]
    cols += ["yhat_seasonal_naive"]
    return fc[cols]
