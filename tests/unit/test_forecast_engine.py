"""The forecast engine on synthetic series built so that the right answer is known."""

import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting import classification as cls
from orchestration.forecasting.candidates import ENSEMBLE
from orchestration.forecasting.engine import (
    BACKTEST_COLUMNS,
    FORECAST_COLUMNS,
    RECENT_MEAN,
    ZERO_MODEL,
    ForecastConfig,
    forecast_series,
    validate_history,
)
from orchestration.forecasting.intervals import conformal_half_widths, conformal_quantile, make_monotone

MONTHS = pd.date_range("2019-01-01", periods=72, freq="MS")
CONTINUOUS_MODELS = {"AutoETS", "DynamicOptimizedTheta", "AutoCES"}
INTERMITTENT_MODELS = {"CrostonOptimized", "ADIDA", "IMAPA", "TSB", "HistoricAverage"}


def frame(uid, values, start=0):
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"unique_id": uid, "ds": MONTHS[start : start + len(values)], "y": values})


def seasonal_repeat(rng):
    pattern = rng.uniform(20, 200, 12)  # an irregular pattern repeated exactly
    return np.tile(pattern, 6)


def trend_season(rng):
    t = np.arange(72)
    return 200 + 3 * t + 40 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, 72)


def croston_like(rng):
    occurs = rng.random(72) < 0.3
    return np.where(occurs, rng.poisson(8, 72) + 1, 0)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(2024)
    parts = []
    for i in range(3):
        parts.append(frame(f"repeat{i}", seasonal_repeat(rng)))
        parts.append(frame(f"trend{i}", trend_season(rng)))
        parts.append(frame(f"croston{i}", croston_like(rng)))
    parts += [
        frame("one", [7.0]),
        frame("five", [4, 0, 6, 5, 3]),
        frame("thirteen", 50 + rng.normal(0, 3, 13)),
        frame("zeros", np.zeros(30)),
    ]
    history = pd.concat(parts, ignore_index=True)
    config = ForecastConfig(horizon=12, n_jobs=1)
    return history, config, forecast_series(history, config)


# ---------------------------------------------------------------- classification
def test_adi_and_cv2_by_hand():
    # 6 periods, 3 with demand (2, 4, 6): ADI = 2; mean 4, population variance 8/3 -> CV² = (8/3)/16
    adi, cv2 = cls.adi_cv2([2, 0, 4, 0, 0, 6])
    assert adi == pytest.approx(2.0)
    assert cv2 == pytest.approx((8 / 3) / 16)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([10, 11, 9, 10, 12, 10, 9, 11], cls.SMOOTH),  # ADI 1, CV² tiny
        ([1, 30, 2, 50, 1, 40, 3, 60], cls.ERRATIC),  # ADI 1, CV² large
        ([5, 0, 0, 5, 0, 6, 0, 0, 5, 0, 0, 4], cls.INTERMITTENT),  # ADI 2.4, CV² small
        ([1, 0, 0, 40, 0, 2, 0, 0, 90, 0, 0, 3], cls.LUMPY),  # ADI 2.4, CV² large
        ([5, 6, 4], cls.SHORT),  # fewer than 6 months
        ([0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 9, 0], cls.SHORT),  # 2 non-zero months
        ([0, 0, 0, 0, 0, 0, 0], cls.ZERO),
    ],
)
def test_classification_of_constructed_series(values, expected):
    table = cls.classify_series(frame("s", values))
    assert table["demand_class"].iat[0] == expected


def test_cut_offs_are_syntetos_boylan():
    assert cls.classify(1.31, 0.48, 24, 20) == cls.SMOOTH
    assert cls.classify(1.32, 0.48, 24, 18) == cls.INTERMITTENT
    assert cls.classify(1.31, 0.49, 24, 20) == cls.ERRATIC
    assert cls.classify(1.32, 0.49, 24, 18) == cls.LUMPY


# ---------------------------------------------------------------- selection
def test_pure_seasonal_repeat_chooses_seasonal_naive():
    # on its own (the selection score shrinks towards the group's mean, so the group is all repeats)
    rng = np.random.default_rng(11)
    history = pd.concat([frame(f"repeat{i}", seasonal_repeat(rng)) for i in range(3)], ignore_index=True)
    result = forecast_series(history, ForecastConfig(horizon=12, n_jobs=1))
    assert result.selection["model"].tolist() == ["SeasonalNaive"] * 3
    assert np.allclose(result.forecasts["yhat"], result.forecasts["yhat_seasonal_naive"])


def test_croston_like_series_choose_an_intermittent_model(synthetic):
    _, _, result = synthetic
    sel = result.selection.set_index("unique_id")
    for i in range(3):
        row = sel.loc[f"croston{i}"]
        assert row["demand_class"] in (cls.INTERMITTENT, cls.LUMPY)
        members = set(row["ensemble_members"].split(",")) if row["model"] == ENSEMBLE else {row["model"]}
        assert members <= INTERMITTENT_MODELS


def test_smooth_trend_and_season_chooses_the_ets_theta_ces_family(synthetic):
    _, _, result = synthetic
    sel = result.selection.set_index("unique_id")
    for i in range(3):
        row = sel.loc[f"trend{i}"]
        assert row["demand_class"] == cls.SMOOTH
        members = set(row["ensemble_members"].split(",")) if row["model"] == ENSEMBLE else {row["model"]}
        assert members & CONTINUOUS_MODELS and row["model"] != "SeasonalNaive"
        assert row["backtest_mase"] < row["seasonal_naive_mase"]


def test_choice_keeps_the_combination_unless_a_single_is_overwhelmingly_better(synthetic):
    _, config, result = synthetic
    sel = result.selection.set_index("unique_id")
    for uid, scores in result.backtest.groupby("unique_id"):
        by_model = scores.set_index("model")
        singles = by_model.drop(ENSEMBLE)
        chosen = sel.loc[uid, "model"]
        limit = (1 - config.ensemble_margin) * by_model.at[ENSEMBLE, "error"]
        if chosen == ENSEMBLE:
            assert singles["error"].min() > limit
            # the members are the lowest selection scores (4 continuous, 3 intermittent), weights from errors
            members = sel.loc[uid, "ensemble_members"].split(",")
            intermittent = sel.loc[uid, "demand_class"] in (cls.INTERMITTENT, cls.LUMPY)
            k = config.intermittent_ensemble_size if intermittent else config.ensemble_size
            assert len(members) == min(k, len(singles))
            others = singles.drop(members)["score"]
            assert others.empty or singles.loc[members, "score"].max() <= others.min()
            weights = [float(w) for w in sel.loc[uid, "ensemble_weights"].split(",")]
            assert sum(weights) == pytest.approx(1.0, abs=3e-3)
            inverse = 1 / singles.loc[members, "error"].to_numpy()
            expected = 0.5 / len(members) + 0.5 * inverse / inverse.sum()
            assert weights == pytest.approx(expected.tolist(), abs=1e-3)
        else:
            assert by_model.at[chosen, "error"] == singles["error"].min() <= limit
        assert sel.loc[uid, "backtest_mase"] == pytest.approx(by_model.at[chosen, "mase"])


def test_selection_score_blends_own_rank_with_the_groups_mean_rank_by_hand():
    from orchestration.forecasting.selection import selection_scores

    scores = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b", "b", "b"],
            "model": ["X", "Y", "Z"] * 2,
            "mase": [1.0] * 6,
            "wape": [0.1, 0.2, 0.3, 0.6, 0.5, np.nan],  # b: Z has no WAPE, so b ranks on MASE (all tied)
        }
    )
    got = selection_scores(scores, weight=0.25).set_index(["unique_id", "model"])
    # ranks: a X1 Y2 Z3; b all tied at 2 -> group means X 1.5, Y 2, Z 2.5
    assert got.at[("a", "X"), "score"] == pytest.approx(0.25 * 1 + 0.75 * 1.5)
    assert got.at[("a", "Z"), "score"] == pytest.approx(0.25 * 3 + 0.75 * 2.5)
    assert got.at[("b", "Y"), "score"] == pytest.approx(0.25 * 2 + 0.75 * 2)
    assert got.at[("b", "X"), "error"] == 1.0 and got.at[("a", "Y"), "error"] == 0.2


def test_combination_weights_are_inverse_errors_shrunk_half_way_to_equal_by_hand():
    from orchestration.forecasting.selection import combination_weights

    scores = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"] * 3, "model": ["X", "Y", "Z"] * 2})
    scores["error"] = [1.0, 2.0, 4.0, 0.0, 3.0, np.nan]
    w = combination_weights(scores, {"a": ("X", "Y", "Z"), "b": ("X", "Y", "Z")}, shrinkage=0.5)
    # a: inverse errors 1, 1/2, 1/4 -> 4/7, 2/7, 1/7; half of that plus half of 1/3
    assert [w["a"][m] for m in "XYZ"] == pytest.approx([1 / 6 + 2 / 7, 1 / 6 + 1 / 7, 1 / 6 + 1 / 14])
    # b: a zero error takes the whole inverse-error half; no finite error takes none of it
    assert [w["b"][m] for m in "XYZ"] == pytest.approx([1 / 6 + 1 / 2, 1 / 6, 1 / 6])


def test_same_smooth_process_everywhere_does_not_pick_worse_than_the_combination_more_than_chance():
    """Forty series of one smooth seasonal process: whatever the rule forecasts, it is not worse
    than the fixed equal combination of AutoETS, DynamicOptimizedTheta and AutoCES on the held-out
    months for more series than a fair coin would give (one-sided binomial test at 5%)."""
    from scipy.stats import binom

    from orchestration.evaluation.evaluate import evaluate

    rng = np.random.default_rng(42)
    t = np.arange(72)
    history = pd.concat(
        [frame(f"s{i}", 150 + 0.5 * t + 25 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 12, 72)) for i in range(40)],
        ignore_index=True,
    )
    config = ForecastConfig(n_jobs=1, candidates=("AutoETS", "DynamicOptimizedTheta", "AutoCES", "SeasonalNaive"))
    per_series = {}
    report = evaluate(history, 12, config, per_series=per_series)
    rule, combination = pd.Series(per_series["selection"]), pd.Series(per_series["fixed_combination"])
    worse = int((rule > combination + 1e-12).sum())
    assert worse <= binom.ppf(0.95, len(rule), 0.5), (worse, len(rule))
    assert report["selection"]["mase"] <= report["fixed_combination"]["mase"] * 1.02


# ---------------------------------------------------------------- output shape and intervals
def test_every_series_gets_horizon_rows_with_the_fixed_columns(synthetic):
    history, config, result = synthetic
    assert list(result.forecasts.columns) == FORECAST_COLUMNS
    assert list(result.backtest.columns) == BACKTEST_COLUMNS
    counts = result.forecasts.groupby("unique_id").size()
    assert set(counts.index) == set(history["unique_id"]) and (counts == config.horizon).all()
    last = history.groupby("unique_id")["ds"].max()
    first_fc = result.forecasts.groupby("unique_id")["ds"].min()
    assert (first_fc == last + pd.offsets.MonthBegin(1)).all()
    assert ENSEMBLE in set(result.backtest["model"])


def test_intervals_are_monotone_and_non_negative(synthetic):
    _, _, result = synthetic
    f = result.forecasts
    assert (f["lo_95"] <= f["lo_80"] + 1e-9).all() and (f["lo_80"] <= f["yhat"] + 1e-9).all()
    assert (f["yhat"] <= f["hi_80"] + 1e-9).all() and (f["hi_80"] <= f["hi_95"] + 1e-9).all()
    assert (f[["yhat", "lo_80", "lo_95", "yhat_seasonal_naive"]] >= 0).all().all()


def test_seasonal_naive_column_repeats_the_last_season(synthetic):
    history, _, result = synthetic
    y = history[history["unique_id"] == "trend0"]["y"].to_numpy()
    got = result.forecasts[result.forecasts["unique_id"] == "trend0"]["yhat_seasonal_naive"].to_numpy()
    assert np.allclose(got, y[-12:])


def test_80_percent_intervals_cover_about_80_percent_of_simulated_noise():
    rng = np.random.default_rng(7)
    n_series, horizon = 24, 12
    parts, future = [], []
    for i in range(n_series):
        y = 100 + rng.normal(0, 10, 60 + horizon)
        parts.append(frame(f"n{i}", y[:60]))
        future.append(y[60:])
    config = ForecastConfig(horizon=horizon, n_jobs=1, candidates=("AutoETS", "SeasonalNaive"))
    result = forecast_series(pd.concat(parts, ignore_index=True), config)
    fc = result.forecasts.sort_values(["unique_id", "ds"])
    order = sorted(f"n{i}" for i in range(n_series))
    actual = np.concatenate([future[int(u[1:])] for u in order])
    inside80 = np.mean((actual >= fc["lo_80"].to_numpy()) & (actual <= fc["hi_80"].to_numpy()))
    inside95 = np.mean((actual >= fc["lo_95"].to_numpy()) & (actual <= fc["hi_95"].to_numpy()))
    assert 0.70 <= inside80 <= 0.90, inside80
    assert 0.88 <= inside95 <= 1.0, inside95


def test_conformal_quantile_and_widths_by_hand():
    # 9 errors, level 80: rank ceil(10 * 0.8) = 8 -> the 8th smallest
    assert conformal_quantile([1, 2, 3, 4, 5, 6, 7, 8, 9], 80) == 8
    errors = np.array([[1.0, 2.0], [3.0, 4.0]])  # 2 origins x 2 steps
    widths = conformal_half_widths(errors, horizon=4, levels=(50,), min_errors=2)
    # steps 1-2: window of one step (2 origins), 50% rank ceil(3 * .5) = 2 -> 3 then 4;
    # steps 3-4 extrapolate the last step: 4 * sqrt(3/2), 4 * sqrt(4/2)
    assert np.allclose(widths[0], [3.0, 4.0, 4 * np.sqrt(1.5), 4 * np.sqrt(2.0)])


def test_make_monotone_orders_crossed_bounds():
    yhat, bounds = make_monotone([5.0], {80: ([6.0], [4.0]), 95: ([7.0], [-1.0])}, non_negative=True)
    assert yhat[0] == 5.0
    assert bounds[80] == (pytest.approx([5.0]), pytest.approx([5.0]))
    assert bounds[95] == (pytest.approx([5.0]), pytest.approx([5.0]))


# ---------------------------------------------------------------- fallbacks
def test_fallbacks_for_one_five_thirteen_months_and_all_zero(synthetic):
    history, config, result = synthetic
    sel = result.selection.set_index("unique_id")
    fc = result.forecasts.set_index("unique_id")

    assert sel.loc["one", "model"] == RECENT_MEAN and "1 months" in sel.loc["one", "fallback"]
    assert np.allclose(fc.loc["one", "yhat"], 7.0)
    assert (fc.loc["one", "hi_95"] > fc.loc["one", "hi_80"]).all()  # CV-1 interval, not a point

    assert sel.loc["five", "model"] == RECENT_MEAN and sel.loc["five", "demand_class"] == cls.SHORT
    assert np.allclose(fc.loc["five", "yhat"], np.mean([4, 0, 6, 5, 3]))

    # 13 months: long enough for the short backtest (3 months, origins one month apart), not for seasons
    assert sel.loc["thirteen", "fallback"] is None or pd.isna(sel.loc["thirteen", "fallback"])
    assert sel.loc["thirteen", "backtest_horizon"] == 3
    assert sel.loc["thirteen", "model"] != "SeasonalNaive"

    assert sel.loc["zeros", "model"] == ZERO_MODEL and sel.loc["zeros", "demand_class"] == cls.ZERO
    assert (fc.loc["zeros", ["yhat", "lo_95", "hi_95"]] == 0).all().all()


def test_refit_and_conformal_options_keep_the_contract():
    rng = np.random.default_rng(8)
    history = pd.concat([frame(f"t{i}", trend_season(rng)) for i in range(2)], ignore_index=True)
    config = ForecastConfig(
        horizon=6,
        n_jobs=1,
        candidates=("AutoETS", "SeasonalNaive", "TSB"),
        backtest_refit=True,
        interval_method="conformal",
    )
    result = forecast_series(history, config)
    f = result.forecasts
    assert len(f) == 12 and f[["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]].notna().all().all()
    assert (f["lo_95"] <= f["lo_80"]).all() and (f["hi_80"] <= f["hi_95"]).all()
    assert (f["hi_80"] > f["lo_80"]).all()  # conformal widths from real backtest errors, not zero


def test_configured_candidates_are_the_only_ones_that_compete():
    rng = np.random.default_rng(3)
    history = pd.concat([frame(f"t{i}", trend_season(rng)) for i in range(2)], ignore_index=True)
    result = forecast_series(
        history, ForecastConfig(horizon=6, n_jobs=1, candidates=("AutoETS", "SeasonalNaive"), ensemble_size=0)
    )
    assert set(result.backtest["model"]) == {"AutoETS", "SeasonalNaive"}
    # with the ensemble off and weight 1 the choice is the lowest own backtest WAPE
    own = forecast_series(
        history,
        ForecastConfig(horizon=6, n_jobs=1, candidates=("AutoETS", "SeasonalNaive"), ensemble_size=0, score_weight=1.0),
    )
    best = own.backtest.loc[own.backtest.groupby("unique_id")["wape"].idxmin()].set_index("unique_id")["model"]
    assert own.selection.set_index("unique_id")["model"].to_dict() == best.to_dict()
    assert set(result.selection["model"]) <= {"AutoETS", "SeasonalNaive"}


# ---------------------------------------------------------------- bad input
def test_bad_history_is_refused_with_the_rule():
    gap = pd.concat([frame("a", [1, 2, 3]), frame("a", [5], start=5)])
    with pytest.raises(ValueError, match="series 'a' has a gap before 2019-06"):
        validate_history(gap)
    with pytest.raises(ValueError, match="history has no rows"):
        validate_history(frame("a", [])[["unique_id", "ds", "y"]])
    with pytest.raises(ValueError, match="lacks column"):
        validate_history(pd.DataFrame({"unique_id": ["a"], "y": [1.0]}))
    with pytest.raises(ValueError, match="unknown forecast candidate"):
        ForecastConfig(candidates=("AutoETS", "Prophet"))


def test_real_pbs_series_on_both_sides_of_the_class_boundary_get_their_familys_models():
    """Real PBS prescription series: one smooth, one intermittent, one lumpy just past the ADI
    cut-off (1.36). ADI is recomputed here from the count of months with scripts, and each series
    is forecast only by its family's models (intermittent ones never for the smooth series)."""
    from orchestration.benchmarks.forecasting import pbs_scripts

    ids = ["Concessional|Co-payments|A|A01", "Concessional|Co-payments|C|C05", "Concessional|Safety net|D|D08"]
    history = pbs_scripts()
    history = history[history["unique_id"].isin(ids)]
    result = forecast_series(history, ForecastConfig(horizon=12, n_jobs=1))
    sel = result.selection.set_index("unique_id")
    for uid in ids:
        y = history.loc[history["unique_id"] == uid, "y"].to_numpy()
        assert sel.loc[uid, "adi"] == pytest.approx(len(y) / np.count_nonzero(y))
    assert sel.loc[ids[0], "demand_class"] == cls.SMOOTH
    assert sel.loc[ids[1], "demand_class"] == cls.INTERMITTENT
    assert sel.loc[ids[2], "demand_class"] == cls.LUMPY and 1.32 <= sel.loc[ids[2], "adi"] < 1.4
    competed = result.backtest.groupby("unique_id")["model"].apply(set)
    assert competed[ids[0]] - {ENSEMBLE} <= CONTINUOUS_MODELS | {"SeasonalNaive", "HistoricAverage"}
    for uid in ids[1:]:
        assert competed[uid] - {ENSEMBLE} <= INTERMITTENT_MODELS
