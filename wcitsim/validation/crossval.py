"""Cross-validation over the states whose decision is known: the model against simple baselines.

Every predictor sees the same folds. A fold's predictions come from a predictor
fitted on the other folds only: the simulation protocols are calibrated inside
each training fold (nested cross-validation, from the middle of every
coefficient's range, so nothing fitted on the held-out states enters), the
logistic regression and the group majority are fitted on the training states.

Bases of comparison (docs/validation.md): per-country scores on the known
states, out of fold; the split of the 144 eligible as the known states' expected
signatures plus 48 × the mean P(sign) of the unknown states; the final text
clause by clause against the Final Acts (simulation protocols only).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wcitsim.core.protocols import PROTOCOLS
from wcitsim.core.seeding import primary_groups
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import Dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import country_scores, interval
from wcitsim.validation.calibrate import calibrate, known_states

__all__ = ["FoldPlan", "PredictorResult", "Validation", "cross_validate", "make_folds"]


@dataclass(frozen=True)
class FoldPlan:
    """Which fold each known state is held out in."""

    states: tuple[str, ...]
    fold: dict[str, int]
    k: int
    seed: int

    def split(self, f: int) -> tuple[list[str], list[str]]:
        """(training states, held-out states) of fold ``f``."""
        train = [s for s in self.states if self.fold[s] != f]
        test = [s for s in self.states if self.fold[s] == f]
        return train, test


def make_folds(data: Dataset, k: int | str = 10, seed: int = 0, states: list[str] | None = None) -> FoldPlan:
    """Folds over the known states, stratified by decision and ITU region; ``k = "loo"`` leaves one out."""
    from sklearn.model_selection import StratifiedKFold

    states = sorted(states or known_states(data))
    n = len(states)
    if k == "loo" or k == n:
        return FoldPlan(tuple(states), {s: i for i, s in enumerate(states)}, n, seed)
    k = int(k)
    decision = data.record.loc[states, "decision"]
    region = data.states.loc[states, "itu_region"].replace("", "unassigned")
    strata = (decision + "/" + region).to_numpy()
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    fold = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small strata are spread as evenly as possible
        for f, (_, test) in enumerate(splitter.split(np.zeros(n), strata)):
            for i in test:
                fold[states[i]] = f
    return FoldPlan(tuple(states), fold, k, seed)


@dataclass
class PredictorResult:
    """Out-of-fold predictions of one predictor."""

    name: str
    kind: str
    probability: pd.Series  # out of fold, known states
    unknown: pd.Series  # mean over folds, unknown states
    texts: np.ndarray | None = None  # replications × K, pooled over folds
    fitted: list[dict] = field(default_factory=list)  # per fold: calibrated coefficients


Fit = Callable[[list[str], list[str]], tuple[pd.Series, np.ndarray | None, dict]]


def _labels(data: Dataset, states: list[str]) -> np.ndarray:
    return (data.record.loc[states, "decision"] == "signed").to_numpy()


def everyone_signs(data: Dataset) -> Fit:
    """P(sign) = 1 for every state."""

    def fit(train, predict):
        return pd.Series(1.0, index=predict), None, {}

    return fit


def group_majority(data: Dataset, scenario: Scenario) -> Fit:
    """P(sign) = the training share of signatories in the state's regional group (Laplace-smoothed)."""
    group = pd.Series(primary_groups(data.states, scenario.groups.order), index=data.states.index)

    def fit(train, predict):
        y = pd.Series(_labels(data, train), index=train)
        by_group = y.groupby(group[train]).agg(["sum", "count"])
        rate = (by_group["sum"] + 1) / (by_group["count"] + 2)
        fallback = (y.sum() + 1) / (len(y) + 2)
        return group[predict].map(rate).fillna(fallback).astype(float), None, {}

    return fit


def logistic(data: Dataset, scenario: Scenario) -> Fit:
    """L2-regularised logistic regression on the seeder's covariates and regional-group dummies.

    Covariates are z-scored and missing values set to the training mean (0), fitted
    on the training states only (scikit-learn, C = 1).
    """
    from sklearn.linear_model import LogisticRegression

    columns = list(scenario.seeder.covariate_weights) or ["unga_idealpoint_s67_2012"]
    x = data.states[columns].astype(float).copy()
    for column in scenario.seeder.log_covariates:
        if column in x:
            x[column] = np.log(x[column])
    groups = pd.get_dummies(
        pd.Series(primary_groups(data.states, scenario.groups.order), index=data.states.index)
    )
    features = pd.concat([x, groups.astype(float)], axis=1)

    def fit(train, predict):
        mean, sd = features.loc[train].mean(), features.loc[train].std(ddof=0).replace(0, 1)
        z = ((features - mean) / sd).fillna(0.0)
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(z.loc[train].to_numpy(), _labels(data, train))
        return pd.Series(model.predict_proba(z.loc[predict].to_numpy())[:, 1], index=predict), None, {}

    return fit


class FoldCalibration:
    """The scenario calibrated on a fold's training states, computed once and shared by every protocol.

    All protocols share the seeding and the signing rule, so they share the
    coefficients fitted (for the scenario's own protocol) on the training states;
    nothing is fitted on the held-out states.
    """

    def __init__(self, data: Dataset, scenario: Scenario, tune: bool, budget: int, seed: int) -> None:
        self.data, self.scenario, self.tune, self.budget, self.seed = data, scenario, tune, budget, seed
        self.cache: dict[tuple[str, ...], tuple[Scenario, dict]] = {}

    def __call__(self, train: list[str]) -> tuple[Scenario, dict]:
        key = tuple(train)
        if key not in self.cache:
            if self.tune:
                result = calibrate(
                    self.scenario,
                    self.data,
                    train,
                    budget=self.budget,
                    replications=16,
                    seed=self.seed,
                    start="midpoint",
                )
                self.cache[key] = (result.scenario, {"coefficients": result.values, "loss": result.loss})
            else:
                self.cache[key] = (self.scenario, {})
        return self.cache[key]


def simulation(data: Dataset, tuned: FoldCalibration, protocol: str, reps: int, seed: int) -> Fit:
    """A protocol of the model with the fold's calibrated coefficients."""

    def fit(train, predict):
        fitted, info = tuned(train)
        world = build_world(fitted.replace(**{"protocol.name": protocol}), data)
        outcome = run_outcome(world, replication_seeds(seed + 1, reps))
        p = pd.Series(outcome.probability.mean(axis=0), index=list(world.iso3))
        return p.reindex(predict), outcome.text, info if protocol == fitted.protocol.name else {}

    return fit


@dataclass
class Validation:
    """Cross-validated predictions of every predictor, on the same folds."""

    plan: FoldPlan
    results: list[PredictorResult]
    data: Dataset
    scenario: Scenario
    reps: int
    budget: int
    tuned: bool

    def scores(self) -> dict:
        """Per predictor: per-country scores, per region, the split, the text (JSON-ready)."""
        facts = self.data.facts
        record = self.data.record["decision"]
        region = self.data.states["itu_region"]
        known = list(self.plan.states)
        rng = np.random.default_rng(self.plan.seed)
        out = {}
        for r in self.results:
            scores = country_scores(r.probability, record.loc[known], region.loc[known])
            scores["split"] = _split(r, facts, len(known), rng)
            scores["kind"] = r.kind
            if r.texts is not None:
                scores["text"] = _text(r.texts, self.scenario, self.data)
            out[r.name] = scores
        return out


def _split(result: PredictorResult, facts, known_total: int, rng: np.random.Generator) -> dict:
    """The eligible split implied by the probabilities: known states + 48 × the unknown states' mean."""
    unplaced = facts.eligible - known_total
    mean_unknown = float(result.unknown.mean()) if len(result.unknown) else float(result.probability.mean())
    draws = (rng.random((4000, len(result.probability))) < result.probability.to_numpy()).sum(axis=1)
    draws = draws + rng.binomial(unplaced, mean_unknown, size=4000)
    return {
        "basis": f"signatories among the {known_total} known states + {unplaced} × the mean P(sign) of the unknown states",
        "record_signed": facts.signed,
        "record_not_signed": facts.not_signed,
        "signed_expected": float(result.probability.sum() + unplaced * mean_unknown),
        "signed_median": float(np.median(draws)),
        "signed_interval": interval(draws),
    }


def _text(texts: np.ndarray, scenario: Scenario, data: Dataset) -> dict:
    from wcitsim.core.agenda import AgendaArrays

    agenda = AgendaArrays.from_clauses(scenario.agenda.active)
    comparable = np.isfinite(agenda.final_acts)
    matches = (texts == agenda.final_acts)[:, comparable].sum(axis=1)
    return {
        "clauses": {
            clause: float(np.mean(texts[:, k] == agenda.final_acts[k]))
            for k, clause in enumerate(agenda.ids)
            if comparable[k]
        },
        "comparable": int(comparable.sum()),
        "matches_mean": float(matches.mean()),
        "share_all_but_one": float(np.mean(matches >= comparable.sum() - 1)),
    }


def _predictors(data, scenario, tune, budget, reps, other_reps, seed) -> list[tuple[str, str, Fit]]:
    out = [
        ("everyone_signs", "baseline", everyone_signs(data)),
        ("group_majority", "baseline", group_majority(data, scenario)),
        ("logistic", "baseline", logistic(data, scenario)),
    ]
    tuned = FoldCalibration(data, scenario, tune, budget, seed)
    main = scenario.protocol.name
    out.append((f"model ({main})", "model", simulation(data, tuned, main, reps, seed)))
    for name in PROTOCOLS:
        if name != main:
            cheap = PROTOCOLS[name].reference  # the per-session protocols are fast; the others get fewer runs
            out.append((name, "protocol", simulation(data, tuned, name, reps if cheap else other_reps, seed)))
    return out


def cross_validate(
    scenario: Scenario,
    data: Dataset,
    k: int | str = 10,
    reps: int = 50,
    seed: int = 0,
    budget: int = 150,
    tune: bool = True,
    progress: Callable[[str], None] | None = None,
    other_reps: int = 8,
) -> Validation:
    """Cross-validate the model and every baseline on the same folds over the known states."""
    plan = make_folds(data, k, seed)
    seated = [s for s in data.states.index if s not in scenario.seating.exclude]
    unknown = [s for s in seated if data.record.at[s, "decision"] == "unknown"]
    results = []
    for name, kind, fit in _predictors(data, scenario, tune, budget, reps, other_reps, seed):
        oof = pd.Series(np.nan, index=list(plan.states))
        unknown_sum = pd.Series(0.0, index=unknown)
        texts, fitted = [], []
        for f in range(plan.k):
            if progress:
                progress(f"{name}: fold {f + 1} of {plan.k}")
            train, test = plan.split(f)
            p, text, info = fit(train, test + unknown)
            oof.loc[test] = p.loc[test].to_numpy()
            unknown_sum += p.loc[unknown].to_numpy()
            if text is not None:
                texts.append(text)
            fitted.append(info)
        results.append(
            PredictorResult(
                name=name,
                kind=kind,
                probability=oof,
                unknown=unknown_sum / plan.k,
                texts=np.concatenate(texts) if texts else None,
                fitted=fitted,
            )
        )
    return Validation(plan, results, data, scenario, reps, budget, tune)
