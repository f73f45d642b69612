"""Paired bootstrap over states: is one predictor's score really better than another's?

Both predictors' out-of-fold probabilities are scored on the same states; the
difference of the mean per-state losses (A − B, negative: A is better) is
resampled by drawing states with replacement (Efron & Tibshirani 1993, ch. 13;
paired, so what the two predictors share cancels). The interval is the
percentile interval of the resampled differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wcitsim.metrics import EPS

__all__ = ["DRAWS", "LEVEL", "compare", "paired_bootstrap", "state_losses"]

DRAWS = 4000
LEVEL = 0.9


def state_losses(probability: np.ndarray, signed: np.ndarray) -> dict[str, np.ndarray]:
    """Per-state Brier and log-loss (probabilities clipped as in :func:`wcitsim.metrics.log_loss`)."""
    p = np.clip(probability, EPS, 1 - EPS)
    return {
        "brier": (probability - signed) ** 2,
        "log_loss": -np.where(signed, np.log(p), np.log(1 - p)),
    }


def paired_bootstrap(
    loss_a: np.ndarray, loss_b: np.ndarray, rng: np.random.Generator, draws: int = DRAWS, level: float = LEVEL
) -> dict:
    """Mean difference A − B of per-state losses, its percentile interval, and the share of draws where A wins."""
    d = np.asarray(loss_a, dtype=float) - np.asarray(loss_b, dtype=float)
    idx = rng.integers(0, len(d), size=(draws, len(d)))
    means = d[idx].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return {
        "difference": float(d.mean()),
        "interval": [float(lo), float(hi)],
        "share_a_better": float(np.mean(means < 0)),
    }


def compare(
    a: pd.Series, b: pd.Series, record: pd.Series, name_a: str, name_b: str, seed: int, draws: int = DRAWS
) -> dict:
    """Paired bootstrap of Brier and log-loss, ``a`` against ``b`` (Series of P(sign) over the same states).

    ``verdict`` says "better" or "worse" only when the 90 % interval excludes 0.
    """
    states = list(a.index)
    signed = (record.loc[states] == "signed").to_numpy()
    la = state_losses(a.loc[states].to_numpy(), signed)
    lb = state_losses(b.loc[states].to_numpy(), signed)
    out = {"a": name_a, "b": name_b, "states": len(states), "draws": draws, "level": LEVEL}
    for metric in ("brier", "log_loss"):
        result = paired_bootstrap(la[metric], lb[metric], np.random.default_rng(seed), draws)
        lo, hi = result["interval"]
        result["verdict"] = "better" if hi < 0 else "worse" if lo > 0 else "no difference at 90 %"
        out[metric] = result
    return out
