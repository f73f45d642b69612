"""Choosing how the model is calibrated by inner folds: nested cross-validation of the calibration itself.

``wcitsim validate`` scores one calibration (every coefficient, no prior, by
default) out of fold; docs/validation.md tried others (a prior, fewer
coefficients) on the same folds, which lets the folds choose among them. Here
the choice is made inside each training set instead (Varma & Simon 2006; Cawley
& Talbot 2010): for outer fold f, every candidate calibration is scored by its
out-of-fold Brier over inner folds of f's training states only; the one with the
lowest is calibrated on all of f's training states and predicts f's held-out
states. The held-out states of every fold thus get a prediction from a procedure
that never saw them, choice included, and that procedure is what is scored.

Each candidate is also scored as a fixed choice on the same outer folds (its
"model ..." row), beside the logistic regression on the covariates and groups; a
fixed candidate with the scenario's own settings is exactly the model of
``wcitsim validate`` with the same folds, seed, replications and budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.data import Dataset
from wcitsim.experiments.records import git_revision
from wcitsim.io.files import staged_folder, write_json_atomic
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import brier, country_scores
from wcitsim.validation import predictors as P
from wcitsim.validation.bootstrap import compare
from wcitsim.validation.calibrate import hold, parameters_for
from wcitsim.validation.candidates import CANDIDATES, Candidate
from wcitsim.validation.crossval import FoldPlan, _pool, make_folds, seated_known
from wcitsim.validation.fit import with_prior
from wcitsim.validation.report import comparison_table, produced_by, run_keys

__all__ = ["CANDIDATES", "SELECTED", "Candidate", "Selection", "select_calibration", "write_selection"]

SELECTED = "model, calibration chosen by inner folds"
LOGIT = "logit: covariates + groups"


def held_by(scenario: Scenario, c: Candidate) -> tuple[str, ...]:
    """The coefficients ``c`` holds that ``scenario`` fits: those it actually holds."""
    fitted = {p.path for p in parameters_for(scenario)}
    return tuple(h for h in c.held if h in fitted)


def effective(scenario: Scenario, key: str) -> tuple:
    """What candidate ``key`` does to ``scenario``: two candidates with the same calibrate it alike."""
    c = CANDIDATES[key]
    return (c.prior_sd, frozenset(held_by(scenario, c)))


def _simulation(scenario: Scenario, data: Dataset, c: Candidate, reps: int, seed: int, budget: int):
    held = held_by(scenario, c)
    s = hold(scenario, held)
    parameters = with_prior([p for p in parameters_for(s) if p.path not in held], c.prior_sd)
    return P.Simulation(c.key, "model", s, data, P.run_protocol, parameters, reps, seed, budget)


def _fit(job) -> tuple[pd.Series, dict]:
    predictor, train, predict = job
    fit = predictor.fit(train, predict)
    return fit.probability, fit.info.get("coefficients", {})


@dataclass
class Selection:
    """Per outer fold, each candidate's inner Brier and the one chosen; out-of-fold P(sign) of every row."""

    plan: FoldPlan
    inner_k: int
    candidates: tuple[Candidate, ...]
    inner_brier: pd.DataFrame  # outer fold × candidate key
    chosen: list[str]  # per outer fold
    probability: dict[str, pd.Series]  # row name → out-of-fold P(sign) of the known states
    data: Dataset
    scenario: Scenario
    reps: int
    budget: int
    names: dict[str, str] = field(default_factory=dict)  # candidate key → its row name
    #: candidate key → per outer fold: its calibrated coefficients
    fitted: dict[str, list[dict]] = field(default_factory=dict)

    def scores(self) -> dict:
        record, region = self.data.record["decision"], self.data.states["itu_region"]
        known = list(self.plan.states)
        return {
            name: country_scores(p, record.loc[known], region.loc[known])
            for name, p in self.probability.items()
        }

    def comparisons(self) -> list[dict]:
        """The chosen calibration against each fixed one and the regression; each fixed one against it."""
        record, seed = self.data.record["decision"], self.plan.seed
        pairs = [(SELECTED, n) for n in (*self.names.values(), LOGIT)]
        pairs += [(n, LOGIT) for n in self.names.values()]
        return [compare(self.probability[a], self.probability[b], record, a, b, seed) for a, b in pairs]


def select_calibration(
    scenario: Scenario,
    data: Dataset,
    candidates: Sequence[str] = ("all", "prior", "six"),
    k: int = 10,
    inner: int = 3,
    reps: int = 50,
    seed: int = 0,
    budget: int = 150,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Selection:
    """Nested cross-validation of the choice among ``candidates`` (keys of :data:`CANDIDATES`).

    The outer folds are those of ``wcitsim validate`` with the same ``k`` and ``seed``;
    each training set is split into ``inner`` folds, stratified alike, with the same seed.
    """
    chosen_candidates = tuple(CANDIDATES[c] for c in candidates)
    plan = make_folds(data, k, seed, seated_known(scenario, data))
    simulations = {c.key: _simulation(scenario, data, c, reps, seed, budget) for c in chosen_candidates}
    jobs, where = [], []
    for f in range(plan.k):
        train, test = plan.split(f)
        inner_plan = make_folds(data, inner, seed, states=train)
        for c in chosen_candidates:
            jobs.append((simulations[c.key], train, test))
            where.append((f, c.key, None))
            for g in range(inner_plan.k):
                jobs.append((simulations[c.key], *inner_plan.split(g)))
                where.append((f, c.key, g))
    fits: dict[tuple, pd.Series] = {}
    fitted: dict[str, list[dict]] = {c.key: [] for c in chosen_candidates}
    with _pool(workers) as pool:
        for i, (p, coefficients) in enumerate(pool.map(_fit, jobs)):
            fits[where[i]] = p
            if where[i][2] is None:
                fitted[where[i][1]].append({"coefficients": coefficients})
            if progress:
                progress(f"calibration {i + 1} of {len(jobs)}")
    signed = data.record["decision"] == "signed"
    inner_brier = pd.DataFrame(index=range(plan.k), columns=[c.key for c in chosen_candidates], dtype=float)
    for f in range(plan.k):
        for c in chosen_candidates:
            p = pd.concat([fits[(f, c.key, g)] for g in range(inner)])
            inner_brier.loc[f, c.key] = brier(p.to_numpy(float), signed.loc[p.index].to_numpy())
    # the lowest inner Brier; a tie goes to the candidate listed first
    chosen = [str(inner_brier.loc[f].idxmin()) for f in range(plan.k)]
    model = f"model ({scenario.protocol.name})"  # the fixed `all` row is `wcitsim validate`'s model row
    names = {c.key: model if c.key == "all" else f"{model}, {c.label}" for c in chosen_candidates}
    probability = {n: pd.Series(np.nan, index=list(plan.states)) for n in (SELECTED, *names.values(), LOGIT)}
    logit = P.Logit(data, scenario, LOGIT, P.logit_covariates(scenario))
    for f in range(plan.k):
        train, test = plan.split(f)
        for c in chosen_candidates:
            probability[names[c.key]].loc[test] = fits[(f, c.key, None)].loc[test].to_numpy()
        probability[SELECTED].loc[test] = fits[(f, chosen[f], None)].loc[test].to_numpy()
        probability[LOGIT].loc[test] = logit.fit(train, test).probability.loc[test].to_numpy()
    return Selection(plan, inner, chosen_candidates, inner_brier, chosen, probability, data, scenario, reps,
                     budget, names, fitted)  # fmt: skip


def describe(c: Candidate, scenario: Scenario) -> str:
    """How a candidate calibrates ``scenario``, for the report: the coefficients it actually holds."""
    prior = "no prior" if math.isinf(c.prior_sd) else f"a Gaussian prior of sd {c.prior_sd:g} of each range"
    held = held_by(scenario, c)
    held = f"; held at the middle of their range: {', '.join(held)}" if held else "; nothing held"
    return prior + held


def selection_id(sel: Selection) -> str:
    """``<scenario>-k<folds>-i<inner>-s<seed>-r<reps>-b<budget>-<candidates>``: the same inputs, the same folder."""
    keys = "+".join(c.key for c in sel.candidates)
    return f"{sel.scenario.meta.name}-k{sel.plan.k}-i{sel.inner_k}-s{sel.plan.seed}-r{sel.reps}-b{sel.budget}-{keys}"


def _report(sel: Selection, scores: dict, comparisons: list[dict], command: str) -> str:
    keys = [c.key for c in sel.candidates]
    lines = [
        f"# The calibration chosen by inner folds: {sel.scenario.meta.name}",
        "",
        f"`{command}` (wcitsim {__version__}, revision {git_revision() or 'unknown'}). "
        f"{sel.plan.k} outer folds over the {len(sel.plan.states)} known states (those of `wcitsim validate "
        f"--folds {sel.plan.k} --seed {sel.plan.seed}`), each training set split into {sel.inner_k} inner folds; "
        f"{sel.budget} evaluations per calibration, {sel.reps} replications per prediction.",
        "",
        "## The candidates",
        "",
        *[f"- `{c.key}`, {c.label}: {describe(c, sel.scenario)}" for c in sel.candidates],
        "",
        "## The choice in each outer fold (Brier over its inner folds; lowest chosen)",
        "",
        "| outer fold | " + " | ".join(keys) + " | chosen |",
        "|---" * (len(keys) + 2) + "|",
    ]
    for f in range(sel.plan.k):
        cells = " | ".join(f"{sel.inner_brier.loc[f, k]:.4f}" for k in keys)
        lines.append(f"| {f + 1} | {cells} | {sel.chosen[f]} |")
    counts = pd.Series(sel.chosen).value_counts()
    lines += [
        "",
        "Chosen: " + ", ".join(f"`{k}` in {counts.get(k, 0)} of {sel.plan.k}" for k in keys) + ".",
        "",
    ]
    lines += [
        "## Scores (out of fold)",
        "",
        "| predictor | accuracy | Brier | log-loss | AUC |",
        "|---|---|---|---|---|",
    ]
    for name, sc in scores.items():
        lines.append(
            f"| {name} | {sc['accuracy']:.3f} | {sc['brier']:.3f} | {sc['log_loss']:.3f} | {sc['auc']:.3f} |"
        )
    lines += [
        "",
        "## Differences (paired bootstrap over the known states, 90 % interval; negative: the first is better)",
        "",
        comparison_table(comparisons),
    ]
    lines += [
        "",
        "Against the other rows of `wcitsim validate` on the same folds (the ablations, the other regressions): "
        "`python tools/compare_validations.py` with this run's `metrics.json` and the validation's.",
        "",
    ]
    return "\n".join(lines)


def write_selection(sel: Selection, out: Path, command: str) -> Path:
    """Write ``OUT/selection/<id>/`` (report.md, metrics.json) atomically; return the folder."""
    final = Path(out) / "selection" / selection_id(sel)
    with staged_folder(final, out) as staging:
        scores, comparisons = sel.scores(), sel.comparisons()
        metrics = {
            **run_keys(sel.scenario, sel.plan, sel.reps),
            "produced_by": produced_by(command),
            "inner_folds": sel.inner_k,
            "budget": sel.budget,
            "candidates": {
                c.key: {
                    "row": sel.names[c.key],
                    "prior_sd": None if math.isinf(c.prior_sd) else c.prior_sd,
                    "held": list(held_by(sel.scenario, c)),
                }
                for c in sel.candidates
            },
            "inner_brier": sel.inner_brier.to_dict(orient="records"),
            "chosen": sel.chosen,
            "scores": scores,
            "comparisons": comparisons,
            "fold_of": sel.plan.fold,
            "out_of_fold": {name: p.to_dict() for name, p in sel.probability.items()},
            "calibrated": sel.fitted,
        }
        write_json_atomic(staging / "metrics.json", metrics)
        (staging / "report.md").write_text(_report(sel, scores, comparisons, command), encoding="utf-8")
    return final
