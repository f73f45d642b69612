"""What each term of the calibration's loss says about the consensus test's objection threshold.

For each training fold of a ``wcitsim validate`` run (its calibrated
coefficients, from ``metrics.json``), this script holds every other coefficient
at the fold's fit, sets ``voting.objection_threshold`` to each value of a grid,
and recomputes the loss the calibration minimised on that fold's training states,
term by term, with the calibration's own replications (16, common seeds from the
run's fold seed):

- the mean log-loss of P(sign) over the training states;
- the share of clauses whose text misses the Final Acts (× the text weight 1);
- the share of the record's voters the floor casts differently (× the run's vote weight);

beside the share of replications in which the clause (default ``access_right``)
is adopted by a motion from the floor, and the share in which the scope matches
the Final Acts. At the fold's fitted threshold the total is the loss the
calibration reported (the script checks it), so the profile shows which term
pulls the fitted threshold where it lies. Bad input stops with one line and exit
status 2.

Usage::

    python tools/objection_profile.py RUN/metrics.json SCENARIO [--grid 0,0.01,0.025,0.05,0.1,0.2]

docs/validation.md, "The objection threshold fitted", quotes it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.errors import WcitsimError
from wcitsim.experiments.instruments import vote_mismatch
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario
from wcitsim.metrics import log_loss

#: The replications of every evaluation in a validation's calibration (wcitsim.validation.predictors).
CALIBRATION_REPS = 16
KEY = "voting.objection_threshold"


def terms(scenario, data, train: list[str], seed: int, vote_weight: float, clause: str) -> dict:
    """The loss's terms on ``train`` and what the conference did, for one scenario."""
    world = build_world(scenario, data)
    outcome = run_outcome(world, replication_seeds(seed, CALIBRATION_REPS), trace=False, measure=False)
    rows = [world.iso3.index(s) for s in train]
    p = outcome.probability.mean(axis=0)[rows]
    y = (data.record.loc[train, "decision"] == "signed").to_numpy()
    final = world.agenda.final_acts
    comparable = np.isfinite(final)
    ids = list(world.agenda.ids)
    out = {
        "log_loss": log_loss(p, y),
        "text": float(np.mean(outcome.text[:, comparable] != final[comparable])),
        "vote": vote_weight * vote_mismatch(world, outcome, data.facts) if vote_weight else 0.0,
        "moved": float(outcome.moved[:, ids.index(clause)].mean()),
    }
    if "scope" in ids:
        k = ids.index("scope")
        out["scope"] = float(np.mean(outcome.text[:, k] == final[k]))
    out["total"] = out["log_loss"] + out["text"] + out["vote"]
    return out


def parse_grid(text: str) -> list[float]:
    try:
        grid = [float(v) for v in text.split(",")]
    except ValueError:
        grid = []
    if not grid or not all(math.isfinite(v) and 0 <= v <= 10 for v in grid):
        raise ValueError(f"--grid {text!r}: expected comma-separated thresholds between 0 and 10")
    return grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", type=Path)
    parser.add_argument("scenario")
    parser.add_argument("--grid", default="0,0.01,0.025,0.05,0.1,0.15,0.2")
    parser.add_argument("--clause", default="access_right")
    args = parser.parse_args(argv)
    try:
        grid = parse_grid(args.grid)
    except ValueError as error:
        parser.error(str(error))
    try:
        metrics = json.loads(args.metrics.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        parser.error(f"{args.metrics}: {error}; expected the metrics.json of a wcitsim validate run")
    folds = (
        (metrics.get("calibrated") or {}).get("model (single_text)") if isinstance(metrics, dict) else None
    )
    if not folds or not all(isinstance(f, dict) and KEY in f.get("coefficients", {}) for f in folds):
        parser.error(f"{args.metrics}: no fold with a calibrated {KEY}; expected a run that fits it")
    fold_of, seed, vote_weight = metrics["fold_of"], int(metrics["seed"]), float(metrics["vote_weight"])
    try:
        scenario, data = load_scenario(args.scenario), load_dataset()
        ids = [c.id for c in scenario.agenda.active]
        if args.clause not in ids:
            parser.error(f"--clause {args.clause!r}: not on the table; expected one of {', '.join(ids)}")
        print("fold  threshold  log-loss   text   vote  total  moved  scope")
        summary = {t: [] for t in grid}
        for f, fold in enumerate(folds):
            train = sorted(s for s, g in fold_of.items() if g != f)
            fitted = fold["coefficients"][KEY]
            at = terms(scenario.replace(**fold["coefficients"]), data, train, seed, vote_weight, args.clause)
            if not math.isclose(at["total"], fold["loss"], rel_tol=1e-9, abs_tol=1e-9):
                print(f"objection_profile: error: fold {f}: loss {at['total']:.6f} at the fitted threshold, "
                      f"the run reported {fold['loss']:.6f}; expected the same scenario and data", file=sys.stderr)  # fmt: skip
                return 2
            for t in [*grid, fitted]:
                r = at if t == fitted else terms(
                    scenario.replace(**{**fold["coefficients"], KEY: t}), data, train, seed, vote_weight, args.clause
                )  # fmt: skip
                if t != fitted or t in grid:
                    summary[t].append(r)
                mark = " (fitted)" if t == fitted else ""
                print(f"{f:>4}  {t:9.3f}  {r['log_loss']:8.3f}  {r['text']:5.3f}  {r['vote']:5.3f}  "
                      f"{r['total']:5.3f}  {r['moved']:5.0%}  {r.get('scope', float('nan')):5.0%}{mark}")  # fmt: skip
    except WcitsimError as error:
        print(f"objection_profile: error: {error}", file=sys.stderr)
        return 2
    print("mean over folds:")
    for t, rows in summary.items():
        mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
        print(f"      {t:9.3f}  {mean['log_loss']:8.3f}  {mean['text']:5.3f}  {mean['vote']:5.3f}  "
              f"{mean['total']:5.3f}  {mean['moved']:5.0%}  {mean.get('scope', float('nan')):5.0%}")  # fmt: skip
    fitted = [f["coefficients"][KEY] for f in folds]
    print(
        f"fitted threshold over folds: {min(fitted):.3f} to {max(fitted):.3f}, median {np.median(fitted):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
