"""The predictors of the scorecard, each fitted on a fold's training states only.

Baselines (statistical): everyone signs; the group majority; logistic
regressions on the UNGA ideal point alone, on the seeder's covariates with the
regional groups, and on those with the alliance and trade ties.

Simulations, each calibrated in its own training folds (CMA-ES from the middle of
every coefficient's range, so nothing fitted on a held-out state enters):

- the model (the scenario's protocol), with the text in the loss and, as the
  "text predicted" variant, without it;
- two ablations: ``no conference`` (every delegation judges the actual Final
  Acts by its seeded interests: the chair's ``final_acts`` policy, no sessions)
  and the one-shot ``compromise``;
- the model without the inputs that carry the outcome at group level (the
  sensitivity run of docs/validation.md);
- the slow protocols (expected utility, exchange): their positions do not depend
  on the signing rule, so each is run once with the seeding at the middle of
  the ranges and only the signing rule's coefficients are fitted in each fold.

Every predictor is a picklable object with ``prepare()`` (once) and
``fit(train, predict)`` (per fold), so folds run in worker processes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wcitsim.core.conference import run_vectorized
from wcitsim.core.outcome import Outcome
from wcitsim.core.rules import probabilities_from_gain
from wcitsim.core.seeding import primary_groups
from wcitsim.core.world import Streams, World, build_world, replication_seeds
from wcitsim.data import Dataset
from wcitsim.data.schema import SCALE_COVARIATE
from wcitsim.experiments.instruments import record_vote_table
from wcitsim.experiments.runner import BATCH, run_outcome
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import log_loss
from wcitsim.validation.calibrate import DEFAULT_PARAMETERS, Parameter, calibrate, parameters_for
from wcitsim.validation.fit import minimise

__all__ = [
    "OUTCOME_INPUTS",
    "FoldFit",
    "GroupMajority",
    "Logit",
    "SigningRefit",
    "Simulation",
    "midpoint",
    "run_final_acts",
    "run_protocol",
    "without_outcome_inputs",
]

#: The signing rule's coefficients (refitted alone for the slow protocols).
SIGNING_PARAMETERS = tuple(p for p in DEFAULT_PARAMETERS if p.path.startswith("signing."))
#: Inputs that carry knowledge of the outcome at group level (docs/validation.md).
OUTCOME_INPUTS = {
    "seeder.covariate_weights.foc_2012": "Freedom Online Coalition membership nearly coincides with not signing",
    "groups.anchors.CEPT": "the CEPT anchor stands for a European position known from how Europe acted",
    "groups.cohesion.eu": "the EU bloc's cohesion cites 'no EU member signed'",
}
#: Alliance and trade ties (country_ties_2012.csv) the ties logit adds.
TIES = ("us_defense_pact", "trade_share_usa", "trade_share_china")


@dataclass
class FoldFit:
    """What a predictor gives for a fold: P(sign) of the states asked, and for simulations text and vote."""

    probability: pd.Series
    texts: np.ndarray | None = None
    vote: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)


def _labels(data: Dataset, states: list[str]) -> np.ndarray:
    return (data.record.loc[states, "decision"] == "signed").to_numpy()


@dataclass
class EveryoneSigns:
    """P(sign) = 1 for every state."""

    name: str = "everyone_signs"
    kind: str = "baseline"

    def prepare(self) -> EveryoneSigns:
        return self

    def fit(self, train: list[str], predict: list[str]) -> FoldFit:
        return FoldFit(pd.Series(1.0, index=predict))


@dataclass
class GroupMajority:
    """P(sign) = the training share of signatories in the state's regional group (Laplace-smoothed)."""

    data: Dataset
    scenario: Scenario
    name: str = "group_majority"
    kind: str = "baseline"

    def prepare(self) -> GroupMajority:
        return self

    def fit(self, train: list[str], predict: list[str]) -> FoldFit:
        group = pd.Series(
            primary_groups(self.data.states, self.scenario.groups.order), index=self.data.states.index
        )
        y = pd.Series(_labels(self.data, train), index=train)
        by_group = y.groupby(group[train]).agg(["sum", "count"])
        rate = (by_group["sum"] + 1) / (by_group["count"] + 2)
        fallback = (y.sum() + 1) / (len(y) + 2)
        return FoldFit(group[predict].map(rate).fillna(fallback).astype(float))


def logit_covariates(scenario: Scenario) -> tuple[str, ...]:
    """The covariates of "logit: covariates + groups": the seeder's, or the UNGA ideal point alone."""
    return tuple(scenario.seeder.covariate_weights) or (SCALE_COVARIATE,)


@dataclass
class Logit:
    """L2-regularised logistic regression (scikit-learn, C = 1) on ``columns`` (and regional-group dummies).

    Covariates are z-scored on the training states, a missing value set to the
    training mean (0); ``logs`` are taken as logarithms first.
    """

    data: Dataset
    scenario: Scenario
    name: str
    columns: tuple[str, ...]
    groups: bool = True
    kind: str = "baseline"

    def prepare(self) -> Logit:
        return self

    def _features(self) -> pd.DataFrame:
        states = self.data.states
        x = states[[c for c in self.columns if c in states]].astype(float).copy()
        for column in self.scenario.seeder.log_covariates:
            if column in x:
                x[column] = np.log(x[column])
        if not self.groups:
            return x
        dummies = pd.get_dummies(
            pd.Series(primary_groups(states, self.scenario.groups.order), index=states.index)
        )
        return pd.concat([x, dummies.astype(float)], axis=1)

    def fit(self, train: list[str], predict: list[str]) -> FoldFit:
        from sklearn.linear_model import LogisticRegression

        features = self._features()
        mean, sd = features.loc[train].mean(), features.loc[train].std(ddof=0).replace(0, 1)
        z = ((features - mean) / sd).fillna(0.0)
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(z.loc[train].to_numpy(), _labels(self.data, train))
        p = pd.Series(model.predict_proba(z.loc[predict].to_numpy())[:, 1], index=predict)
        return FoldFit(
            p, info={"coefficients": dict(zip(features.columns, model.coef_[0].tolist(), strict=True))}
        )


def run_protocol(world: World, seeds: list[int]) -> Outcome:
    """The scenario's protocol, without diagnostics (what a calibration needs)."""
    return run_outcome(world, seeds, trace=False, measure=False)


def run_final_acts(world: World, seeds: list[int]) -> Outcome:
    """The "no conference" ablation: no sessions, the Final Acts as the text, signing on the seeded interests."""
    parts = [
        run_vectorized(
            world,
            Streams(seeds[i : i + BATCH]),
            negotiate=False,
            policy="final_acts",
            trace=False,
            measure=False,
        )
        for i in range(0, len(seeds), BATCH)
    ]
    return Outcome.concatenate(parts)


def midpoint(scenario: Scenario, parameters=None) -> Scenario:
    """The scenario with every coefficient of ``parameters`` at the middle of its range (fitted on no state).

    By default every coefficient the scenario's calibration fits (:func:`parameters_for`),
    so nothing a shipped calibration fitted on all the known states stays in.
    """
    parameters = parameters_for(scenario) if parameters is None else parameters
    return scenario.replace(**{p.path: p.from_unit(0.5) for p in parameters})


def without_outcome_inputs(scenario: Scenario) -> tuple[Scenario, tuple[Parameter, ...]]:
    """The scenario without the :data:`OUTCOME_INPUTS`, and the coefficients left to fit.

    The Freedom Online Coalition weight is 0 and not fitted; CEPT has no anchor
    (its members are seeded by the covariates alone); the EU bloc pulls with the
    default cohesion.
    """
    cohesion = dict(scenario.raw.get("groups", {}).get("cohesion", {}))
    cohesion.pop("eu", None)
    changed = scenario.replace(
        **{"seeder.covariate_weights.foc_2012": 0.0, "groups.anchors.CEPT": {}, "groups.cohesion": cohesion}
    )
    return changed, tuple(
        p for p in parameters_for(scenario) if p.path != "seeder.covariate_weights.foc_2012"
    )


@dataclass
class Simulation:
    """A simulation calibrated on each fold's training states, then run for the held-out ones."""

    name: str
    kind: str
    scenario: Scenario
    data: Dataset
    runner: object  # run_protocol or run_final_acts (top-level functions: picklable)
    parameters: tuple[Parameter, ...]
    reps: int
    seed: int
    budget: int
    text_weight: float = 1.0
    tune: bool = True
    vote_weight: float = 0.0

    def prepare(self) -> Simulation:
        return self

    def fit(self, train: list[str], predict: list[str]) -> FoldFit:
        scenario, info = self.scenario, {}
        if self.tune:
            result = calibrate(
                self.scenario, self.data, train, budget=self.budget, replications=16, seed=self.seed,
                parameters=self.parameters, start="midpoint", text_weight=self.text_weight, runner=self.runner,
                vote_weight=self.vote_weight,
            )  # fmt: skip
            scenario, info = result.scenario, {"coefficients": result.values, "loss": result.loss}
        world = build_world(scenario, self.data)
        outcome = self.runner(world, replication_seeds(self.seed + 1, self.reps))
        p = pd.Series(outcome.probability.mean(axis=0), index=list(world.iso3))
        vote = record_vote_table(world, outcome, self.data.facts)
        return FoldFit(p.reindex(predict), outcome.text, vote, info)


@dataclass
class SigningRefit:
    """A slow protocol run once (every fitted coefficient at the middle of its range); the signing rule fitted per fold."""

    name: str
    scenario: Scenario
    data: Dataset
    reps: int
    seed: int
    budget: int = 60
    kind: str = "protocol"
    prepared: dict | None = None
    held: tuple[str, ...] = ()  # signing coefficients left at the middle of their range

    @property
    def parameters(self) -> tuple:
        return tuple(p for p in SIGNING_PARAMETERS if p.path not in self.held)

    def prepare(self) -> SigningRefit:
        world = build_world(midpoint(self.scenario), self.data)
        outcome = run_protocol(world, replication_seeds(self.seed + 1, self.reps))
        vote = record_vote_table(world, outcome, self.data.facts)
        self.prepared = {
            "gain": outcome.gain,
            "membership": world.membership,
            "signing": world.signing,
            "iso3": list(world.iso3),
            "text": outcome.text,
            "vote": vote,
        }
        return self

    def _probability(self, unit) -> np.ndarray:
        prep = self.prepared
        values = {p.path.split(".")[-1]: p.from_unit(u) for p, u in zip(self.parameters, unit, strict=True)}
        signing = dataclasses.replace(prep["signing"], **values)
        return probabilities_from_gain(prep["gain"], prep["membership"], signing).mean(axis=0)

    def fit(self, train: list[str], predict: list[str]) -> FoldFit:
        import cma

        prep = self.prepared
        index = pd.Series(np.arange(len(prep["iso3"])), index=prep["iso3"])
        rows = index.loc[[s for s in train if s in index.index]].to_numpy()
        y = _labels(self.data, list(index.index[rows]))

        def loss(unit) -> float:
            return log_loss(self._probability(unit)[rows], y)

        x0 = [0.5] * len(self.parameters)
        options = {"bounds": [[0.0] * len(x0), [1.0] * len(x0)], "maxfevals": self.budget, "seed": self.seed + 1,
                   "verbose": -9, "verb_log": 0, "verb_disp": 0}  # fmt: skip
        if len(x0) < 2:  # one or none left to fit when the others are held
            best = minimise(loss, x0, self.budget + 1, self.seed)[0]
        else:
            es = cma.CMAEvolutionStrategy(x0, 0.25, options)
            es.optimize(loss)
            best = es.result.xbest if es.result.xbest is not None and es.result.fbest <= loss(x0) else x0
        p = pd.Series(self._probability(best), index=prep["iso3"])
        values = {q.path: q.from_unit(u) for q, u in zip(self.parameters, best, strict=True)}
        fitted = {"coefficients": values, "loss": float(loss(best)) if math.isfinite(loss(best)) else None}
        return FoldFit(p.reindex(predict), prep["text"], prep["vote"], fitted)
