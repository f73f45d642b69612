"""Cross-validation over the states whose decision is known: the scorecard.

Every predictor sees the same folds, and each is fitted on a fold's training
states only (:mod:`wcitsim.validation.predictors`): each simulation is calibrated
in its own training folds (nested cross-validation), the regressions and the
group majority are fitted on the training states. Folds run in worker
processes; the results do not depend on how many.

Bases of comparison (docs/validation.md): per-country scores on the known
states, out of fold, with paired-bootstrap intervals for the differences that
matter; the split of the 144 eligible as the known states' expected signatures
plus the unplaced ones × the mean P(sign) of the unknown states; the final text
clause by clause against the Final Acts; the record's vote (77–33–8).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wcitsim.core.protocols import PROTOCOLS
from wcitsim.core.world import build_world
from wcitsim.data import Dataset
from wcitsim.data.schema import SCALE_COVARIATE
from wcitsim.experiments.instruments import RECORD_VOTE, vote_summary
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import country_scores, interval, known_decisions
from wcitsim.validation import predictors as P
from wcitsim.validation.bootstrap import compare
from wcitsim.validation.calibrate import (
    PRIOR_SD,
    check_vote_weight,
    hold,
    known_states,
    parameters_for,
    with_prior,
)

__all__ = [
    "QUICK",
    "FoldPlan",
    "PredictorResult",
    "Validation",
    "cross_validate",
    "make_folds",
    "seated_known",
]

#: ``--quick``: fewer folds, evaluations and replications; the same table.
QUICK = {"k": 5, "reps": 16, "budget": 40, "other_reps": 4}


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


def seated_known(scenario: Scenario, data: Dataset) -> list[str]:
    """The states whose decision is known and that ``scenario`` seats: those a validation can score."""
    seated = set(build_world(scenario, data).iso3)
    return [s for s in known_states(data) if s in seated]


def make_folds(data: Dataset, k: int | str = 10, seed: int = 0, states: list[str] | None = None) -> FoldPlan:
    """Folds over the known states, stratified by decision and ITU region; ``k = "loo"`` leaves one out.

    ``k`` may not exceed the number of known states (then it is leave-one-out).
    """
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
    vote: pd.DataFrame | None = None  # the record's vote per replication, pooled over folds
    fitted: list[dict] = field(default_factory=list)  # per fold: calibrated coefficients
    note: str = ""


#: The comparisons of the scorecard: (predictor, against), the model's name filled in.
PAIRS = (
    ("{model}", "no conference"),
    ("{model}", "compromise"),
    ("{model}", "logit: UNGA ideal point"),
    ("{model}", "logit: covariates + groups"),
    ("{model}", "logit: + ties"),
    ("{model}", "group_majority"),
    ("{model}", "model, text predicted"),
    ("{model}", "model without outcome inputs"),
    ("model without outcome inputs", "no conference, without outcome inputs"),
    ("model without outcome inputs", "compromise, without outcome inputs"),
    ("no conference", "logit: UNGA ideal point"),
)


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
    quick: bool = False
    prior_sd: float = PRIOR_SD
    held: tuple[str, ...] = ()  # coefficients held at their prior's centre, not fitted
    vote_weight: float = 0.0  # the record's vote in the simulations' calibration loss (0: left out)

    @property
    def model(self) -> PredictorResult:
        return next(r for r in self.results if r.kind == "model")

    def scores(self) -> dict:
        """Per predictor: per-country scores, per region, the split, the text, the vote (JSON-ready)."""
        facts = self.data.facts
        record = self.data.record["decision"]
        region = self.data.states["itu_region"]
        known = list(self.plan.states)
        rng = np.random.default_rng(self.plan.seed)
        seated = int(known_decisions(record.loc[known]).sum())
        out = {}
        for r in self.results:
            scores = country_scores(r.probability, record.loc[known], region.loc[known])
            scores["split"] = _split(r, facts, len(known), rng)
            scores["kind"] = r.kind
            scores["note"] = r.note
            if r.texts is not None:
                scores["text"] = _text(r.texts, self.scenario)
            if r.vote is not None and RECORD_VOTE in facts.votes:
                scores["record_vote"] = vote_summary(r.vote, facts.votes[RECORD_VOTE], RECORD_VOTE, seated,
                                                     facts.eligible)  # fmt: skip
            out[r.name] = scores
        return out

    def comparisons(self) -> list[dict]:
        """Paired bootstraps over the known states of the pairs that matter (:data:`PAIRS`)."""
        by_name = {r.name: r for r in self.results}
        record = self.data.record["decision"]
        out = []
        for a, b in PAIRS:
            a = a.format(model=self.model.name)
            if a in by_name and b in by_name:
                out.append(
                    compare(by_name[a].probability, by_name[b].probability, record, a, b, self.plan.seed)
                )
        return out


def _split(result: PredictorResult, facts, known_total: int, rng: np.random.Generator) -> dict:
    """The eligible split implied by the probabilities: known states + the unplaced × the unknown states' mean."""
    unplaced = facts.eligible - known_total
    mean_unknown = float(result.unknown.mean()) if len(result.unknown) else float(result.probability.mean())
    mean_unknown = mean_unknown if np.isfinite(mean_unknown) else float(result.probability.mean())
    draws = (rng.random((4000, len(result.probability))) < result.probability.to_numpy()).sum(axis=1)
    draws = draws + rng.binomial(max(unplaced, 0), min(max(mean_unknown, 0.0), 1.0), size=4000)
    return {
        "basis": f"signatories among the {known_total} known states + {unplaced} × the mean P(sign) of the unknown states",
        "record_signed": facts.signed,
        "record_not_signed": facts.not_signed,
        "signed_expected": float(result.probability.sum() + unplaced * mean_unknown),
        "signed_median": float(np.median(draws)),
        "signed_interval": interval(draws),
    }


def _text(texts: np.ndarray, scenario: Scenario) -> dict:
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


def predictors(
    data, scenario, tune, budget, reps, other_reps, seed, prior_sd=PRIOR_SD, held=(), vote_weight=0.0
) -> list:
    """The scorecard's predictors, in the order of the report.

    The simulations' priors have sd ``prior_sd``; the coefficients named in ``held``
    are set to their prior's centre and not fitted; ``vote_weight`` puts the record's
    vote in every simulation's calibration loss.
    """
    scenario = hold(scenario, held)
    covariates = P.logit_covariates(scenario)
    main = scenario.protocol.name
    no_inputs, free = P.without_outcome_inputs(scenario)
    fitted = parameters_for(scenario)
    fixed = tuple(p for p in fitted if p.path.startswith(("seeder.", "signing.intercept", "signing.temperature",
                                                          "signing.conformity")))  # fmt: skip
    fixed_free = tuple(p for p in fixed if p.path in {q.path for q in free})

    def simulation(name, kind, s, runner=P.run_protocol, parameters=fitted, text_weight=1.0):
        parameters = with_prior([p for p in parameters if p.path not in held], prior_sd)
        return P.Simulation(
            name, kind, s, data, runner, parameters, reps, seed, budget, text_weight, tune, vote_weight
        )

    out = [
        P.EveryoneSigns(),
        P.GroupMajority(data, scenario),
        P.Logit(data, scenario, "logit: UNGA ideal point", (SCALE_COVARIATE,), groups=False),
        P.Logit(data, scenario, "logit: covariates + groups", covariates),
        P.Logit(data, scenario, "logit: + ties", covariates + P.TIES),
        simulation(f"model ({main})", "model", scenario),
        simulation("model, text predicted", "variant", scenario, text_weight=0.0),
        simulation("model without outcome inputs", "variant", no_inputs, parameters=free),
    ]
    # the two ablations, on the model's inputs and on those of the model without outcome inputs
    for suffix, s, parameters in (("", scenario, fixed), (", without outcome inputs", no_inputs, fixed_free)):
        out.append(simulation(f"no conference{suffix}", "ablation", s, P.run_final_acts, parameters))
        compromise = s.replace(**{"protocol.name": "compromise"})
        out.append(simulation(f"compromise{suffix}", "ablation", compromise, parameters=parameters))
    for name in PROTOCOLS:
        if name not in (main, "compromise"):
            s = scenario.replace(**{"protocol.name": name})
            if PROTOCOLS[name].reference:
                out.append(simulation(name, "protocol", s))
            else:
                out.append(P.SigningRefit(name, s, data, other_reps, seed, held=tuple(held)))
    return out


NOTES = {
    "model, text predicted": "calibrated with the Final Acts left out of the loss: its text is predicted",
    "model without outcome inputs": "no Freedom Online Coalition weight, no CEPT anchor, EU bloc at the default cohesion",
    "no conference": "every delegation judges the actual Final Acts by its seeded interests",
    "compromise": "one shot: the weighted mean of the opening positions",
    "no conference, without outcome inputs": "the no-conference ablation on the inputs of the model without outcome inputs",
    "compromise, without outcome inputs": "the one-shot compromise on the inputs of the model without outcome inputs",
    "expected_utility": "run once with every coefficient at the middle of its range; only the signing rule fitted per fold",
    "exchange": "run once with every coefficient at the middle of its range; only the signing rule fitted per fold",
}


def _prepare(predictor):
    return predictor.prepare()


def _fit(job):
    predictor, f, train, predict = job
    return f, predictor.fit(train, predict)


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
    workers: int = 1,
    quick: bool = False,
    prior_sd: float = PRIOR_SD,
    held: tuple[str, ...] = (),
    vote_weight: float = 0.0,
) -> Validation:
    """Cross-validate the model and every baseline on the same folds over the known states.

    ``quick`` uses :data:`QUICK` (fewer folds, evaluations, replications) instead of
    ``k``, ``reps``, ``budget`` and ``other_reps``; ``workers`` processes run the folds.
    Each simulation is calibrated with a Gaussian prior of sd ``prior_sd`` in every
    coefficient's unit space (``math.inf``: none; :mod:`wcitsim.validation.calibrate`);
    the coefficients named in ``held`` (dotted keys) stay at their prior's centre, unfitted;
    ``vote_weight`` puts the record's vote in every simulation's calibration loss.
    """
    if quick:
        k, reps, budget, other_reps = QUICK["k"], QUICK["reps"], QUICK["budget"], QUICK["other_reps"]
    plan = make_folds(data, k, seed, seated_known(scenario, data))
    seated = [s for s in data.states.index if s not in scenario.seating.exclude]
    unknown = [s for s in seated if data.record.at[s, "decision"] == "unknown"]
    if tune:
        check_vote_weight(scenario, data, vote_weight)
    chosen = predictors(data, scenario, tune, budget, reps, other_reps, seed, prior_sd, tuple(held), vote_weight)  # fmt: skip
    with _pool(workers) as pool:
        chosen = list(pool.map(_prepare, chosen))
        jobs = [(p, f, *_fold(plan, f, unknown)) for p in chosen for f in range(plan.k)]
        results, done = [], {}
        for i, (f, fit) in enumerate(pool.map(_fit, jobs)):
            done.setdefault(jobs[i][0].name, {})[f] = fit
            if progress:
                progress(f"{jobs[i][0].name}: fold {f + 1} of {plan.k}")
    for p in chosen:
        oof = pd.Series(np.nan, index=list(plan.states))
        unknown_sum = pd.Series(0.0, index=unknown)
        texts, votes, fitted = [], [], []
        for f in range(plan.k):
            fit = done[p.name][f]
            test = plan.split(f)[1]
            oof.loc[test] = fit.probability.loc[test].to_numpy()
            unknown_sum += fit.probability.loc[unknown].to_numpy()
            if fit.texts is not None:
                texts.append(fit.texts)
            if fit.vote is not None:
                votes.append(fit.vote)
            fitted.append(fit.info)
        results.append(
            PredictorResult(
                name=p.name, kind=p.kind, probability=oof, unknown=unknown_sum / plan.k,
                texts=np.concatenate(texts) if texts else None,
                vote=pd.concat(votes, ignore_index=True) if votes else None,
                fitted=fitted, note=NOTES.get(p.name, ""),
            )
        )  # fmt: skip
    vote = vote_weight if tune else 0.0
    return Validation(plan, results, data, scenario, reps, budget, tune, quick, prior_sd, tuple(held), vote)


def _fold(plan: FoldPlan, f: int, unknown: list[str]) -> tuple[list[str], list[str]]:
    train, test = plan.split(f)
    return train, test + unknown


class _Serial:
    """A stand-in for a process pool that runs in this process."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items):
        return map(fn, items)


def _pool(workers: int):
    if workers <= 1:
        return _Serial()
    import multiprocessing

    from wcitsim.experiments.executors import one_thread  # the workers are the parallelism

    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=one_thread
    )
