"""What each term of the calibration's loss says about the consensus test's objection threshold.

For each training fold of a ``wcitsim validate`` run (its calibrated
coefficients, from ``metrics.json``), this script keeps every other coefficient
as the run had it (the fold's fit; those the run held, ``--hold``, at the middle
of their range), sets ``voting.objection_threshold`` to each value of a grid,
and recomputes the loss the calibration minimised on that fold's training states,
term by term, with the calibration's own replications (16, common seeds from the
run's fold seed):

- the mean log-loss of P(sign) over the training states;
- the share of clauses whose text misses the Final Acts (× the text weight 1);
- the share of the record's voters the floor casts differently (× the run's vote weight);
- the prior's penalty, where the run had a prior (``--prior-sd``);

beside the share of replications in which the clause (default ``access_right``)
is adopted by a motion from the floor, and the share in which the scope matches
the Final Acts. Each fold's fitted threshold is shown on a row of its own: there
the total is the loss the calibration reported, which the script checks, so the
profile shows which term pulls the fitted threshold where it lies. The means over
folds are over the grid's rows only. Bad input stops with one line and exit
status 2.

Usage::

    python tools/objection_profile.py RUN/metrics.json SCENARIO
        [--grid 0,0.01,0.025,0.05,0.1,0.15,0.2] [--clause access_right] [--data-dir DIR]

docs/validation.md, "The objection threshold fitted", quotes it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from wcitsim.cli import OneLineParser
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.errors import WcitsimError
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.calibrate import check_vote_weight, hold, loss_terms, parameters_for, prior_penalty

#: The replications of every evaluation in a validation's calibration (wcitsim.validation.predictors).
CALIBRATION_REPS = 16
KEY = "voting.objection_threshold"
DEFAULT_GRID = "0,0.01,0.025,0.05,0.1,0.15,0.2"


class BadRun(ValueError):
    """Input this script cannot profile; the message says why."""


def parse_grid(text: str) -> list[float]:
    """The grid's thresholds, sorted, each once; -0 is 0."""
    try:
        grid = [float(v) for v in text.split(",")]
    except ValueError:
        grid = []
    if not grid or not all(math.isfinite(v) and 0 <= v <= 10 for v in grid):
        raise BadRun(f"--grid {text!r}: expected comma-separated thresholds between 0 and 10")
    return sorted({v + 0.0 for v in grid})


def read_run(path: Path, model: str) -> dict:
    """The parts of a validation's metrics.json the profile needs, checked; :class:`BadRun` if not."""
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRun(f"{path}: {error}; expected the metrics.json of a wcitsim validate run") from None
    if not isinstance(metrics, dict):
        raise BadRun(
            f"{path}: a JSON {type(metrics).__name__}; expected the metrics.json of a wcitsim validate run"
        )
    calibrated = metrics.get("calibrated")
    folds = calibrated.get(model) if isinstance(calibrated, dict) else None
    if (
        not isinstance(folds, list)
        or not folds
        or not all(
            isinstance(f, dict) and isinstance(f.get("coefficients"), dict) and KEY in f["coefficients"]
            for f in folds
        )
    ):
        raise BadRun(f"{path}: no fold of {model!r} with a calibrated {KEY}; expected a run that fits it")
    for f, fold in enumerate(folds):
        values = [*fold["coefficients"].values(), fold.get("loss")]
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
        ):
            raise BadRun(f"{path}: calibrated[{model!r}][{f}]: expected numeric coefficients and loss")
    fold_of, seed, vote_weight = metrics.get("fold_of"), metrics.get("seed"), metrics.get("vote_weight")
    if (
        not isinstance(fold_of, dict)
        or not fold_of
        or not all(
            isinstance(s, str) and isinstance(g, int) and not isinstance(g, bool) for s, g in fold_of.items()
        )
    ):
        raise BadRun(f"{path}: fold_of: expected a mapping of each known state to its fold number")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise BadRun(f"{path}: seed: {seed!r}; expected the run's fold seed, an integer ≥ 0")
    if not isinstance(vote_weight, int | float) or isinstance(vote_weight, bool) or not vote_weight >= 0:
        raise BadRun(f"{path}: vote_weight: {vote_weight!r}; expected a number ≥ 0")
    held, prior_sd = metrics.get("held", []), metrics.get("prior_sd")
    if not isinstance(held, list) or not all(isinstance(h, str) for h in held):
        raise BadRun(f"{path}: held: {held!r}; expected a list of coefficient names")
    if prior_sd is not None and not (isinstance(prior_sd, int | float) and prior_sd > 0):
        raise BadRun(f"{path}: prior_sd: {prior_sd!r}; expected null or a number > 0")
    return {
        "folds": folds, "fold_of": fold_of, "seed": seed, "vote_weight": float(vote_weight),
        "held": held, "prior_sd": math.inf if prior_sd is None else float(prior_sd),
    }  # fmt: skip


def terms(scenario, data, train: list[str], run: dict, coefficients: dict, clause: str) -> dict:
    """The loss's terms on ``train`` and what the conference did, for the run's scenario with ``coefficients``."""
    world = build_world(scenario, data)
    outcome = run_outcome(world, replication_seeds(run["seed"], CALIBRATION_REPS), trace=False, measure=False)
    loss = loss_terms(world, outcome, data, train, vote_weight=run["vote_weight"])  # as the calibration's
    fitted = [p for p in parameters_for(scenario) if p.path in coefficients]
    unit = [p.to_unit(coefficients[p.path]) for p in fitted]
    final, ids = world.agenda.final_acts, list(world.agenda.ids)
    out = {
        "log_loss": loss["fit"],
        "text": loss["text"],
        "vote": loss["vote"],
        "prior": float(prior_penalty(unit, fitted, run["prior_sd"], len(train))),
        "moved": float(outcome.moved[:, ids.index(clause)].mean()),
        "scope": float(np.mean(outcome.text[:, ids.index("scope")] == final[ids.index("scope")]))
        if "scope" in ids
        else float("nan"),
    }
    out["total"] = sum(loss.values()) + out["prior"]
    return out


def _row(label: str, threshold: float, r: dict, mark: str = "") -> str:
    return (
        f"{label:>4}  {threshold:9.3f}  {r['log_loss']:8.3f}  {r['text']:5.3f}  {r['vote']:5.3f}  "
        f"{r['prior']:5.3f}  {r['total']:5.3f}  {r['moved']:5.0%}  {r['scope']:5.0%}{mark}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="objection_profile", description=__doc__.splitlines()[0])
    parser.add_argument("metrics", type=Path)
    parser.add_argument("scenario")
    parser.add_argument("--grid", default=DEFAULT_GRID)
    parser.add_argument("--clause", default="access_right")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="the data folder the run used (--data-dir)"
    )
    args = parser.parse_args(argv)
    try:
        grid = parse_grid(args.grid)
        scenario, data = load_scenario(args.scenario), load_dataset(args.data_dir)
        ids = [c.id for c in scenario.agenda.active]
        if args.clause not in ids:
            raise BadRun(f"--clause {args.clause!r}: not on the table; expected one of {', '.join(ids)}")
        model = f"model ({scenario.protocol.name})"
        run = read_run(args.metrics, model)
        base = hold(scenario, run["held"])
        check_vote_weight(base, data, run["vote_weight"])  # the run's vote must be one this scenario casts
        seated = set(build_world(base, data).iso3)
        if unseated := sorted(set(run["fold_of"]) - seated):
            raise BadRun(
                f"{args.metrics}: fold_of: {unseated[:3]} are not seated in {args.scenario}; "
                "expected the run's scenario"
            )
        print("fold  threshold  log-loss   text   vote  prior  total  moved  scope")
        summary: dict[float, list[dict]] = {t: [] for t in grid}
        for f, fold in enumerate(run["folds"]):
            train = sorted(s for s, g in run["fold_of"].items() if g != f)
            coefficients = fold["coefficients"]

            def at(threshold: float, f=f, coefficients=coefficients, train=train) -> dict:
                values = {**coefficients, KEY: threshold}
                try:
                    variant = base.replace(**values)
                except WcitsimError as error:
                    raise BadRun(f"{args.metrics}: calibrated[{model!r}][{f}]: {error}") from None
                return terms(variant, data, train, run, values, args.clause)

            fitted = coefficients[KEY]
            mine = at(fitted)
            if not math.isclose(mine["total"], fold["loss"], rel_tol=1e-9, abs_tol=1e-9):
                raise BadRun(
                    f"fold {f}: loss {mine['total']:.6f} at the fitted threshold, the run reported "
                    f"{fold['loss']:.6f}; expected the run's scenario, data folder and data"
                )
            for t in grid:
                summary[t].append(mine if t == fitted else at(t))
                print(_row(str(f), t, summary[t][-1]))
            print(_row(str(f), fitted, mine, " (fitted)"))
    except (BadRun, WcitsimError) as error:
        print(f"objection_profile: error: {error}", file=sys.stderr)
        return 2
    print("mean over folds (the grid's rows):")
    for t, rows in summary.items():
        print(_row("", t, {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}))
    fitted = [f["coefficients"][KEY] for f in run["folds"]]
    print(
        f"fitted threshold over folds: {min(fitted):.3f} to {max(fitted):.3f}, median {np.median(fitted):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
