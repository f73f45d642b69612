"""``wcitsim select``: the calibration chosen by inner folds of each training set, scored out of fold."""

from __future__ import annotations

import argparse
import sys

from wcitsim.cli import options
from wcitsim.cli.validate import _check_folds, _fold_progress, _splits
from wcitsim.errors import UsageError

__all__ = ["add_select"]


def _candidates(text: str) -> tuple[str, ...]:
    from wcitsim.validation.candidates import CANDIDATES

    keys = tuple(k.strip() for k in text.split(","))
    bad = [k for k in keys if k not in CANDIDATES]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if bad or twice or len(keys) < 2:
        what = f"no candidate {bad[0]!r}" if bad else f"{twice[0]!r} twice" if twice else "one candidate"
        raise argparse.ArgumentTypeError(
            f"{text!r}: {what}; expected two or more different candidates, comma-separated, of {', '.join(CANDIDATES)}"
        )
    return keys


def _check_select(args: argparse.Namespace, scenario, data, states: list[str]) -> None:
    """Refuse, before any work, inner folds a training set cannot be split into, and candidates that coincide."""
    from wcitsim.validation.crossval import make_folds
    from wcitsim.validation.select import effective

    seen: dict = {}
    for key in args.candidates:
        same = seen.setdefault(effective(scenario, key), key)
        if same != key:
            raise UsageError(
                f"--candidates {','.join(args.candidates)}: {same} and {key} calibrate {scenario.source} alike "
                f"(it fits none of the coefficients that tell them apart); drop one"
            )
    plan = make_folds(data, args.folds, args.seed, states)
    trains = [plan.split(f)[0] for f in range(plan.k)]
    for f, train in enumerate(trains):
        if not _splits(data, args.inner, args.seed, train):
            ok = [j for j in range(2, 11) if all(_splits(data, j, args.seed, t) for t in trains)]
            expected = (
                f"{', '.join(map(str, ok))} (inner folds every outer fold's training states allow)"
                if ok
                else "fewer outer folds, so that the training sets are larger"
            )
            raise UsageError(
                f"--inner {args.inner}: the {len(train)} training states of outer fold {f + 1} cannot be split into "
                f"{args.inner} folds stratified by decision and ITU region; expected {expected}"
            )


def _cmd_select(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.crossval import seated_known
    from wcitsim.validation.select import SELECTED, select_calibration, write_selection

    scenario = load_scenario(args.scenario)
    data = load_dataset(args.data_dir)
    known = seated_known(scenario, data)
    _check_folds(args.folds, data, args.seed, known)
    _check_select(args, scenario, data, known)
    options.fit_in_memory(args.reps, scenario, data, copies=args.workers)
    options.writable_folder(args.out, "--out")
    options.writable_folder(args.out / "selection", "--out")
    progress = _fold_progress(args.json)
    sel = select_calibration(
        scenario, data, args.candidates, args.folds, args.inner, args.reps, args.seed, args.budget,
        args.workers, progress,
    )  # fmt: skip
    if progress:
        print(file=sys.stderr)
    folder = write_selection(sel, args.out, args.command_line)
    scores, comparisons = sel.scores(), sel.comparisons()
    if args.json:
        print(options.json_text({"chosen": sel.chosen, "scores": scores, "comparisons": comparisons,
                                 "output": str(folder)}))  # fmt: skip
        return 0
    counts = {k: sel.chosen.count(k) for k in args.candidates}
    print(
        f"wcitsim select: {scenario.meta.name}, {sel.plan.k} outer folds × {sel.inner_k} inner, seed {sel.plan.seed}; "
        "chosen " + ", ".join(f"{k} in {n}" for k, n in counts.items())
    )
    width = max(map(len, scores))
    print(f"  {'predictor':<{width}} {'accuracy':>8} {'Brier':>7} {'logloss':>8} {'AUC':>6}")
    for name, sc in scores.items():
        print(
            f"  {name:<{width}} {sc['accuracy']:8.3f} {sc['brier']:7.3f} {sc['log_loss']:8.3f} {sc['auc']:6.3f}"
        )
    print("  paired bootstrap, 90 % intervals of the Brier difference (negative: the first is better):")
    for c in comparisons:
        b = c["brier"]
        if c["a"] == SELECTED or c["b"] != SELECTED:
            print(f"    {c['a']} vs {c['b']}: {b['difference']:+.3f} [{b['interval'][0]:+.3f}, {b['interval'][1]:+.3f}] "
                  f"{b['verdict']}")  # fmt: skip
    print(f"  report: {folder / 'report.md'}")
    return 0


def add_select(commands: options.Commands) -> None:
    """``wcitsim select``."""
    from wcitsim.validation.candidates import CANDIDATES

    sel = commands.add_parser(
        "select", help="choose how the model is calibrated by inner folds, and score the choice out of fold"
    )
    options.add_scenario(sel)
    sel.add_argument(
        "--candidates", type=_candidates, default=("all", "prior", "six"),
        help=f"the calibrations to choose among, comma-separated, of {', '.join(CANDIDATES)} "
        "(default all,prior,six; docs/validation.md)",
    )  # fmt: skip
    sel.add_argument("--folds", type=options.folds, default=10, help="outer folds, or 'loo' (default 10)")
    sel.add_argument(
        "--inner", type=options.bounded(int, "an integer", lambda v: 2 <= v <= 10, "2 to 10"), default=3,
        help="inner folds of each training set (default 3)",
    )  # fmt: skip
    options.add_reps(sel, default=50, help="replications per prediction (default 50)")
    options.add_seed(sel, default=0, help="seed of the folds and the runs (default 0)", kind=options.fit_seed)
    sel.add_argument(
        "--budget", type=options.budget, default=150, help="evaluations per calibration (default 150)"
    )
    options.add_workers(sel, default=2, help="worker processes (default 2); results do not depend on it")
    options.add_out(sel)
    options.add_json(sel, help="print one JSON object")
    options.add_data_dir(sel)
    sel.set_defaults(func=_cmd_select)
