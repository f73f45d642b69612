"""Calibration of a scenario's global coefficients on the decisions of chosen states (CMA-ES).

Only global coefficients are fitted (twelve in the baseline: the seeding's slope
and covariate weights, the signing rule, the concession rate and the mechanisms';
up to fifteen in the identification tests, :mod:`wcitsim.validation.coefficients`);
never a number per country. The loss is the mean log-loss of P(sign) over the training states plus
``text_weight`` × the share of clauses whose final text misses the Final Acts
(the text is one fact about the conference, not about any state), and, if
``vote_weight`` is not 0, that weight × the share of the record's voters the model's
floor places differently on the one recorded vote (77–33–8 on the right of access;
another fact about the conference), with common
random numbers (the same replication seeds for every candidate), so the
objective is smooth enough for CMA-ES (Hansen's ``cma`` package).

A Gaussian prior on every coefficient, in its unit space (0 and 1 the ends of
its range) around its centre (the middle of the range), turns the fit into a
maximum a posteriori estimate: the mean log-loss is the negative log-likelihood
divided by the n training states, so the prior's negative log density divided
by n is added, λ Σ (u − u₀)² with λ = 1 / (2 n sd²) (:func:`prior_weight`). An
sd of a quarter of the range makes the range the prior's 95 % interval (± 2 sd);
the default, an infinite sd, is the flat prior (maximum likelihood; docs/validation.md).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import Dataset
from wcitsim.errors import ScenarioError
from wcitsim.experiments.instruments import RECORD_VOTE, vote_mismatch
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import write_text_atomic
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import brier, log_loss
from wcitsim.validation.coefficients import (
    DEFAULT_PARAMETERS,
    MECHANISM_PARAMETERS,
    Parameter,
    current,
    hold,
    parameters_for,
    with_values,
)
from wcitsim.validation.fit import PRIOR_SD, minimise, prior_penalty, prior_weight, search_name, with_prior

__all__ = [
    "DEFAULT_PARAMETERS",
    "MECHANISM_PARAMETERS",
    "PRIOR_SD",
    "Calibration",
    "Parameter",
    "calibrate",
    "check_vote_weight",
    "hold",
    "loss_terms",
    "minimise",
    "parameters_for",
    "prior_penalty",
    "prior_weight",
    "scenario_loss",
    "vote_mismatch_possible",
    "vote_term",
    "with_prior",
    "write_calibrated",
]


TEXT_WEIGHT = 1.0


def scenario_loss(
    scenario: Scenario,
    data: Dataset,
    states: Sequence[str],
    replications: int,
    seed: int,
    metric: str = "log_loss",
    text_weight: float = TEXT_WEIGHT,
    runner=None,
    vote_weight: float = 0.0,
) -> float:
    """Mean log-loss (or Brier score) of P(sign) over ``states`` + ``text_weight`` × the text's mismatch share
    (+ ``vote_weight`` × :func:`~wcitsim.experiments.instruments.vote_mismatch`, the record's vote).

    ``runner(world, seeds) -> Outcome`` runs the replications (default: the
    scenario's protocol, without diagnostics).
    """
    world = build_world(scenario, data)
    seeds = replication_seeds(seed, replications)
    outcome = runner(world, seeds) if runner else run_outcome(world, seeds, trace=False, measure=False)
    return sum(loss_terms(world, outcome, data, states, metric, text_weight, vote_weight).values())


def loss_terms(
    world, outcome, data: Dataset, states: Sequence[str], metric: str = "log_loss",
    text_weight: float = TEXT_WEIGHT, vote_weight: float = 0.0,
) -> dict[str, float]:  # fmt: skip
    """The terms :func:`scenario_loss` sums, for replications already run: ``fit`` (the mean log-loss or
    Brier score over ``states``), ``text`` (× ``text_weight``) and ``vote`` (× ``vote_weight``)."""
    probability = pd.Series(outcome.probability.mean(axis=0), index=list(world.iso3))
    p = probability.loc[list(states)].to_numpy()
    y = (data.record.loc[list(states), "decision"] == "signed").to_numpy()
    terms = {"fit": log_loss(p, y) if metric == "log_loss" else brier(p, y), "text": 0.0, "vote": 0.0}
    final = world.agenda.final_acts
    comparable = np.isfinite(final)
    if text_weight and comparable.any():
        terms["text"] = text_weight * float(np.mean(outcome.text[:, comparable] != final[comparable]))
    if vote_weight:
        terms["vote"] = vote_weight * vote_mismatch(world, outcome, data.facts)
    return terms


def check_vote_weight(scenario: Scenario, data: Dataset, vote_weight: float) -> None:
    """Refuse a vote weight that is negative, or positive where the scenario cannot cast the record's vote."""
    if not (math.isfinite(vote_weight) and vote_weight >= 0):
        raise ScenarioError(f"{scenario.source}: vote weight {vote_weight!r}: expected a number ≥ 0")
    if vote_weight and not vote_mismatch_possible(scenario, data):
        raise ScenarioError(
            f"{scenario.source}: vote weight {vote_weight:g}: the scenario has no clause {RECORD_VOTE!r} "
            "with a Final Acts option, so the record's vote cannot be cast; expected vote weight 0"
        )


def vote_mismatch_possible(scenario: Scenario, data: Dataset) -> bool:
    """Whether the scenario's agenda carries the record's vote (its clause, with a Final Acts option)."""
    recorded = RECORD_VOTE in data.facts.votes
    return recorded and any(c.id == RECORD_VOTE and c.final_acts is not None for c in scenario.agenda.active)


@dataclass
class Calibration:
    """The result of a calibration: the fitted scenario and how it was found."""

    scenario: Scenario
    parameters: tuple[Parameter, ...]
    values: dict[str, float]
    start: dict[str, float]
    loss_start: float
    loss: float
    evaluations: int
    states: list[str]
    replications: int
    seed: int
    seconds: float
    history: list[float] = field(default_factory=list)
    text_weight: float = TEXT_WEIGHT
    prior_sd: float = PRIOR_SD
    penalty: float = 0.0  # the prior's share of ``loss`` at the fitted values
    held: dict[str, float] = field(default_factory=dict)  # coefficients held at their centre, not fitted
    vote_weight: float = 0.0  # the record's vote in the loss (0: left out)


def calibrate(
    scenario: Scenario,
    data: Dataset,
    states: Sequence[str],
    *,
    budget: int = 300,
    replications: int = 16,
    seed: int = 0,
    parameters: Sequence[Parameter] | None = None,
    start: str = "midpoint",
    text_weight: float = TEXT_WEIGHT,
    runner=None,
    prior_sd: float = PRIOR_SD,
    held: Sequence[str] = (),
    vote_weight: float = 0.0,
) -> Calibration:
    """Fit ``parameters`` to the decisions of ``states`` with CMA-ES and return the fitted scenario.

    ``start`` is ``"midpoint"`` (the middle of every range: nothing learnt from
    any state, the choice for nested cross-validation) or ``"scenario"`` (the
    scenario's own values). ``parameters`` default to :func:`parameters_for`. ``text_weight`` 0 leaves the Final Acts out of the loss,
    so the text is predicted, not fitted. ``prior_sd``: the Gaussian prior's sd in the unit space of
    a parameter without its own (``math.inf``: none, maximum likelihood); ``loss`` includes
    its :func:`prior_penalty`. ``runner`` as in :func:`scenario_loss`. The coefficients named in
    ``held`` are set to their centre (:func:`hold`) and not fitted. ``vote_weight`` puts the record's
    vote in the loss (:func:`scenario_loss`).
    """
    check_vote_weight(scenario, data, vote_weight)
    scenario = hold(scenario, held)
    parameters = tuple(parameters) if parameters is not None else parameters_for(scenario)
    parameters = tuple(p for p in parameters if p.path not in held)
    seated = set(build_world(scenario, data).iso3)
    states = [s for s in states if s in seated and data.record.at[s, "decision"] in ("signed", "not_signed")]
    if not states:
        raise ScenarioError(
            f"{scenario.source}: calibration needs seated states whose decision is known; none given"
        )
    if start == "scenario":
        given = [current(scenario, p) for p in parameters]
        x0 = [
            min(max(p.to_unit(v), 0.0), 1.0) if math.isfinite(v) else 0.5
            for p, v in zip(parameters, given, strict=True)
        ]
    else:
        x0 = [0.5] * len(parameters)
    begin = time.perf_counter()
    history: list[float] = []

    def loss(unit: Sequence[float]) -> float:
        values = [p.from_unit(u) for p, u in zip(parameters, unit, strict=True)]
        value = scenario_loss(
            with_values(scenario, parameters, values), data, states, replications, seed, text_weight=text_weight,
            runner=runner, vote_weight=vote_weight,
        ) + prior_penalty(unit, parameters, prior_sd, len(states))  # fmt: skip
        history.append(value)
        return value

    best_unit, best_loss, loss_start = minimise(loss, x0, budget, seed)
    values = {p.path: p.from_unit(u) for p, u in zip(parameters, best_unit, strict=True)}
    return Calibration(
        scenario=with_values(scenario, parameters, list(values.values())),
        parameters=parameters,
        values=values,
        start={p.path: p.from_unit(u) for p, u in zip(parameters, x0, strict=True)},
        loss_start=float(loss_start),
        loss=float(best_loss),
        evaluations=len(history),
        states=list(states),
        replications=replications,
        seed=seed,
        seconds=time.perf_counter() - begin,
        history=history,
        text_weight=text_weight,
        prior_sd=prior_sd,
        penalty=float(prior_penalty(best_unit, parameters, prior_sd, len(states))),
        held={h: current(scenario, p) for h in held for p in parameters_for(scenario) if p.path == h},
        vote_weight=vote_weight,
    )


def _toml_value(value: float) -> str:
    return f"{value:.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.6e}"


def vote_term(vote_weight: float, clause: str = RECORD_VOTE) -> str:
    """The record's vote's term of the loss in words ('' when its weight is 0)."""
    times = "" if vote_weight == 1 else f"{vote_weight:g} × "
    return f" + {times}share of the record's voters cast differently on {clause}" if vote_weight else ""


def _loss_name(text_weight: float, prior_sd: float = math.inf, vote_weight: float = 0.0) -> str:
    prior = "" if math.isinf(prior_sd) else f" + a Gaussian prior's penalty (sd {prior_sd:g} of each range)"
    after = vote_term(vote_weight) + prior  # the terms after the text's
    if not text_weight:
        return f"mean log-loss{after}; the Final Acts left out, so the text is predicted"
    weight = "" if text_weight == 1 else f"{text_weight:g} × "
    return f"mean log-loss + {weight}share of clauses missing the Final Acts{after}"


def write_calibrated(result: Calibration, base: Path, out: Path, command: str) -> Path:
    """Write the calibrated scenario as a variant of ``base`` whose header records how it was produced."""
    out = Path(out)
    tables: dict[str, dict[str, float]] = {}
    for path, value in {**result.held, **result.values}.items():
        *table, key = path.split(".")
        tables.setdefault(".".join(table), {})[key] = value
    rel = Path(os.path.relpath(Path(base).resolve(), out.resolve().parent))
    lines = [
        f"# Calibrated by wcitsim {__version__} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC:",
        f"#   {command}",
        f"# {search_name(len(result.parameters)) or 'No search (every coefficient held)'} over {len(result.parameters)} global coefficients, {result.evaluations} evaluations, "
        f"{result.replications} replications per evaluation (common seeds from {result.seed}),",
        f"# on the {len(result.states)} states whose decision is known; loss ({_loss_name(result.text_weight, result.prior_sd, result.vote_weight)}) "
        f"{result.loss_start:.4f} at the start, {result.loss:.4f} fitted.",
        *[f"# Held at the middle of their range, not fitted: {', '.join(result.held)}."][: bool(result.held)],
        "# These values are fitted in sample: `wcitsim validate` reports out-of-sample scores",
        "# from nested cross-validation (calibration inside each training fold).",
        f'extends = "{rel.as_posix()}"',
        "",
        "[meta]",
        f'name = "{result.scenario.meta.name}"',
        "",
    ]
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, "\n".join(lines))
    return out


def known_states(data: Dataset) -> list[str]:
    """ISO3 codes of the Member States whose decision is known."""
    record = data.record
    return [
        iso for iso in record.index if record.at[iso, "decision"] != "unknown" and iso in data.states.index
    ]


def summary_table(result: Calibration) -> pd.DataFrame:
    """Start and fitted value of every coefficient; a held one has its value as both."""
    start, fitted = {**result.held, **result.start}, {**result.held, **result.values}
    return pd.DataFrame(
        {"start": pd.Series(start), "fitted": pd.Series(fitted)},
        index=[*result.held, *(p.path for p in result.parameters)],
    ).astype(np.float64)
