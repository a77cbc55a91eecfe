"""Demand classification by ADI and CV² (Syntetos–Boylan).

ADI (average demand interval) = number of periods / number of periods with non-zero demand;
CV² = squared coefficient of variation (population std / mean)² of the non-zero demands.
With the Syntetos–Boylan cut-offs ADI 1.32 and CV² 0.49:

============  ============  ==============
              CV² < 0.49    CV² >= 0.49
============  ============  ==============
ADI < 1.32    smooth        erratic
ADI >= 1.32   intermittent  lumpy
============  ============  ==============

A series with no non-zero demand is ``zero``; one with too little history to classify or
forecast by model (fewer than ``min_obs`` months or fewer than ``min_nonzero`` non-zero
months) is ``short``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49

SMOOTH, ERRATIC, INTERMITTENT, LUMPY = "smooth", "erratic", "intermittent", "lumpy"
SHORT, ZERO = "short", "zero"
CLASSES = (SMOOTH, ERRATIC, INTERMITTENT, LUMPY, SHORT, ZERO)


def adi_cv2(y) -> tuple[float, float]:
    """ADI and CV² of one series (NaN when it has no non-zero demand)."""
    y = np.asarray(y, dtype=float)
    nonzero = y[y != 0]
    if len(nonzero) == 0:
        return float("nan"), float("nan")
    adi = len(y) / len(nonzero)
    mean = nonzero.mean()
    cv2 = float((nonzero.std() / mean) ** 2) if mean != 0 else float("nan")
    return float(adi), cv2


def classify(adi: float, cv2: float, n_obs: int, n_nonzero: int, *, min_obs: int = 6, min_nonzero: int = 3) -> str:
    """The demand class of a series from its ADI, CV² and counts."""
    if n_nonzero == 0:
        return ZERO
    if n_obs < min_obs or n_nonzero < min_nonzero:
        return SHORT
    if adi < ADI_CUTOFF:
        return SMOOTH if cv2 < CV2_CUTOFF else ERRATIC
    return INTERMITTENT if cv2 < CV2_CUTOFF else LUMPY


def classify_series(history: pd.DataFrame, *, min_obs: int = 6, min_nonzero: int = 3) -> pd.DataFrame:
    """One row per series: unique_id, n_obs, n_nonzero, adi, cv2, demand_class.

    ``history`` is long format (unique_id, ds, y) sorted or not; the order of ``ds`` does not
    matter for ADI and CV².
    """
    rows = []
    for uid, y in history.groupby("unique_id", sort=True, observed=True)["y"]:
        values = y.to_numpy(dtype=float)
        adi, cv2 = adi_cv2(values)
        n_obs, n_nonzero = len(values), int((values != 0).sum())
        rows.append(
            (
                uid,
                n_obs,
                n_nonzero,
                adi,
                cv2,
                classify(adi, cv2, n_obs, n_nonzero, min_obs=min_obs, min_nonzero=min_nonzero),
            )
        )
    return pd.DataFrame(rows, columns=["unique_id", "n_obs", "n_nonzero", "adi", "cv2", "demand_class"])
