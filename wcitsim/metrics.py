"""Comparisons with the record: pure functions over arrays and Series keyed by ISO3 code.

The record is partial (100 of 144 signing decisions known), so per-country scores
use the states whose decision is known, and the split is compared on two stated
bases (see :func:`split_summary`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "accuracy",
    "auc",
    "balanced_accuracy",
    "brier",
    "country_scores",
    "eligible_signatories",
    "interval",
    "known_decisions",
    "log_loss",
    "split_summary",
    "text_summary",
]

EPS = 1e-6


def accuracy(probability: np.ndarray, signed: np.ndarray) -> float:
    """Share of states whose more likely decision (P ≥ ½ means sign) is the recorded one."""
    return float(np.mean((probability >= 0.5) == signed))


def balanced_accuracy(probability: np.ndarray, signed: np.ndarray) -> float:
    """Mean of the hit rates among signatories and among non-signatories."""
    predicted = probability >= 0.5
    rates = [
        np.mean(predicted[signed == value] == value) for value in (True, False) if np.any(signed == value)
    ]
    return float(np.mean(rates))


def brier(probability: np.ndarray, signed: np.ndarray) -> float:
    """Mean squared difference between P(sign) and the outcome (0 is perfect, 0.25 a coin)."""
    return float(np.mean((probability - signed) ** 2))


def log_loss(probability: np.ndarray, signed: np.ndarray) -> float:
    """Mean negative log-likelihood of the outcomes, probabilities clipped to [1e-6, 1 − 1e-6]."""
    p = np.clip(probability, EPS, 1 - EPS)
    return float(-np.mean(np.where(signed, np.log(p), np.log(1 - p))))


def auc(probability: np.ndarray, signed: np.ndarray) -> float:
    """Area under the ROC curve: P(a signatory gets a higher P(sign) than a non-signatory), ties count ½."""
    pos, neg = probability[signed], probability[~signed]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def interval(values: np.ndarray, level: float = 0.9) -> tuple[float, float]:
    """The central ``level`` interval of ``values``."""
    tail = (1 - level) / 2
    lo, hi = np.quantile(values, [tail, 1 - tail])
    return float(lo), float(hi)


def known_decisions(record: pd.Series) -> np.ndarray:
    """Which states' decisions the record establishes (signed or not signed), as booleans."""
    return record.isin(["signed", "not_signed"]).to_numpy()


def country_scores(probability: pd.Series, record: pd.Series, region: pd.Series | None = None) -> dict:
    """Scores of P(sign) against the known decisions; ``record`` holds signed/not_signed/unknown per ISO3."""
    known = pd.Series(known_decisions(record), index=record.index)  # aligned by ISO3, not by order
    p = probability[known].to_numpy(dtype=float)
    y = (record[known] == "signed").to_numpy()
    out = {
        "n_known": int(known.sum()),
        "accuracy": accuracy(p, y),
        "balanced_accuracy": balanced_accuracy(p, y),
        "brier": brier(p, y),
        "log_loss": log_loss(p, y),
        "auc": auc(p, y),
        "misclassified": sorted(probability[known].index[(p >= 0.5) != y]),
    }
    if region is not None:
        out["by_region"] = {}
        regions = region[known].replace("", "unassigned")
        for name in sorted(regions.unique()):
            rows = (regions == name).to_numpy()
            out["by_region"][name] = {
                "n": int(rows.sum()),
                "accuracy": accuracy(p[rows], y[rows]),
                "brier": brier(p[rows], y[rows]),
            }
    return out


def eligible_signatories(
    signed: np.ndarray, known: np.ndarray, eligible: int, known_total: int
) -> np.ndarray:
    """Signatories of the states with signing rights, per replication (``signed`` is R × seated).

    The eligible states are the known ones plus ``eligible − known_total`` unknown ones the
    record does not identify, assumed to sign like the seated unknown states (all seated
    states when none is unknown).
    """
    pool = signed[:, ~known] if (~known).any() else signed
    return signed[:, known].sum(axis=1) + (eligible - known_total) * pool.mean(axis=1)


def split_summary(
    signed: np.ndarray, record: pd.Series, eligible: int, signed_total: int, known_total: int
) -> dict:
    """The simulated split against the record, on two stated bases.

    ``signed`` is replications × seated states; ``record`` the seated states'
    decisions; ``known_total`` the number of decisions known in the whole record.

    *Known states*: signatories among the seated states whose decision is known,
    against the recorded count there. *Eligible*: the 144 states with signing
    rights are the states whose decision is known plus ``eligible − known_total``
    (48) states among the unknown ones, which the record does not identify; the
    simulated count is the signatories among the known states plus that number
    times the share signing among the seated unknown states (all seated states
    when none is unknown).
    """
    known = known_decisions(record)
    per_rep = signed.sum(axis=1)
    known_signed = signed[:, known].sum(axis=1)
    unplaced = eligible - known_total
    eligible_signed = eligible_signatories(signed, known, eligible, known_total)
    return {
        "seated": int(signed.shape[1]),
        "signed_mean": float(per_rep.mean()),
        "signed_interval": interval(per_rep),
        "share_mean": float(signed.mean()),
        "known_states": {
            "basis": "signatories among the seated states whose decision is known",
            "n": int(known.sum()),
            "record_signed": int((record == "signed").sum()),
            "record_not_signed": int((record == "not_signed").sum()),
            "signed_mean": float(known_signed.mean()),
            "signed_interval": interval(known_signed),
        },
        "eligible": {
            "basis": f"signatories among the known states + {unplaced} × the share signing among the unknown states",
            "eligible": eligible,
            "unplaced": unplaced,
            "record_signed": signed_total,
            "record_not_signed": eligible - signed_total,
            "signed_mean": float(eligible_signed.mean()),
            "signed_median": float(np.median(eligible_signed)),
            "signed_interval": interval(eligible_signed),
        },
    }


def text_summary(
    text: np.ndarray, contested: np.ndarray, tallies: np.ndarray, agenda, declared: np.ndarray | None = None
) -> dict:
    """The final text against the Final Acts, clause by clause, over replications (``text`` is R × K).

    ``declared`` (R × K) marks the clauses the chair declared adopted after a show of hands.
    """
    declared = np.zeros(text.shape, dtype=bool) if declared is None else declared
    known = np.isfinite(agenda.final_acts)
    matches = (text == agenda.final_acts)[:, known].sum(axis=1)
    clauses = []
    for k, clause in enumerate(agenda.ids):
        values, counts = np.unique(text[:, k], return_counts=True)
        modal = float(values[np.argmax(counts)])
        voted = contested[:, k] & (tallies[:, k].sum(axis=1) > 0)
        fa = agenda.final_acts[k]
        clauses.append(
            {
                "id": clause,
                "final_acts": None if np.isnan(fa) else float(fa),
                "final_acts_label": None if np.isnan(fa) else agenda.label_of(k, fa),
                "modal": modal,
                "modal_label": agenda.label_of(k, modal),
                "mean": float(text[:, k].mean()),
                "match_share": None if np.isnan(fa) else float(np.mean(text[:, k] == fa)),
                "status_quo_share": float(np.mean(text[:, k] == agenda.status_quo[k])),
                "contested_share": float(contested[:, k].mean()),
                "declared_share": float(declared[:, k].mean()),
                "votes_mean": tallies[voted, k].mean(axis=0).tolist() if voted.any() else None,
            }
        )
    comparable = int(known.sum())
    return {
        "clauses": clauses,
        "comparable": comparable,
        "matches_mean": float(matches.mean()),
        "matches_distribution": {str(m): float(np.mean(matches == m)) for m in range(comparable + 1)},
        "share_all_but_two": float(np.mean(matches >= comparable - 2)),
    }
