"""The commands that test the model against the record: ``validate`` and ``calibrate``."""

from __future__ import annotations

import argparse
import math
import sys

from wcitsim.cli import options
from wcitsim.errors import UsageError

__all__ = ["add_calibrate", "add_validate"]


def _fold_progress(quiet: bool):
    """A one-line progress message on a terminal's stderr, or None when quiet or not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    return lambda m: print(f"\r  {m:<40}", end="", file=sys.stderr)


def _check_folds(folds: int | str, data, seed: int, states: list[str] | None = None) -> None:
    """Refuse, in one line, a number of folds the known states (or ``states``) cannot be split into.

    The folds are stratified by decision and ITU region, so at most as many as the
    largest stratum holds (or leave-one-out); the bound is found by making the folds.
    """
    from wcitsim.validation.calibrate import known_states

    states = states if states is not None else known_states(data)

    def splits(k: int | str) -> bool:
        return _splits(data, k, seed, states)

    if len(states) < 2:
        raise UsageError(
            f"the scenario seats {len(states)} state(s) whose decision is known; validation needs 2 or more"
        )
    if splits(folds):
        return
    n = len(states)
    most = max((k for k in range(2, min(int(folds), n)) if splits(k)), default=None)
    within = f"2 to {most} folds, or " if most else ""
    raise UsageError(
        f"--folds {folds}: the {n} known states cannot be split into {folds} folds stratified by decision "
        f"and ITU region; expected {within}'loo' (leave one out)"
    )


def _splits(data, k: int | str, seed: int, states: list[str]) -> bool:
    """Whether ``states`` can be split into ``k`` folds stratified by decision and ITU region."""
    from wcitsim.validation.crossval import make_folds

    try:
        make_folds(data, k, seed, states)
    except ValueError:
        return False
    return True


def _held(args: argparse.Namespace, scenario) -> tuple[str, ...]:
    """The coefficients ``--hold`` names (dotted keys or shell-style patterns), in the fit's order.

    A pattern that names none of the coefficients the scenario fits is refused.
    """
    from fnmatch import fnmatchcase

    from wcitsim.validation.calibrate import parameters_for

    parameters = parameters_for(scenario)
    fitted = [p.path for p in parameters]
    if args.hold and getattr(args, "no_calibrate", False):
        raise UsageError(
            "--hold with --no-calibrate: nothing is fitted, so nothing can be held; drop one of them"
        )
    for pattern in args.hold:
        if not any(fnmatchcase(path, pattern) for path in fitted):
            raise UsageError(
                f"--hold {pattern!r}: {scenario.source} fits no such coefficient; expected one of "
                f"{', '.join(fitted)} (or a pattern such as 'seeder.covariate_weights.*')"
            )
    held = tuple(path for path in fitted if any(fnmatchcase(path, pattern) for pattern in args.hold))
    _say_held(scenario, [p for p in parameters if p.path in held])
    return held


def _say_held(scenario, held) -> None:
    """One line on standard error: where each held coefficient (a Parameter) is held, beside the scenario's value."""
    from wcitsim.validation.coefficients import current

    at = [f"{p.path} = {p.from_unit(p.centre):.4g} (the scenario's {current(scenario, p):.4g})" for p in held]
    if at:
        print(
            f"holding at the middle of its range, not at the scenario's value: {'; '.join(at)}",
            file=sys.stderr,
        )


def _score_line(name: str, sc: dict, eligible: int, width: int = 30) -> str:
    split = sc["split"]
    return (
        f"  {name:<{width}} {sc['accuracy']:8.3f} {sc['balanced_accuracy']:8.3f} {sc['brier']:7.3f} "
        f"{sc['log_loss']:8.3f} {sc['auc']:6.3f}  {split['signed_expected']:.1f} / {eligible - split['signed_expected']:.1f} "
        f"vs {split['record_signed']} / {split['record_not_signed']}"
        + (f"; text {sc['text']['matches_mean']:.2f} of {sc['text']['comparable']}" if "text" in sc else "")
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.crossval import QUICK, cross_validate, seated_known
    from wcitsim.validation.report import verdict, write_validation

    scenario = load_scenario(args.scenario)
    data = load_dataset(args.data_dir)
    held = _held(args, scenario)
    if args.vote_weight and args.no_calibrate:
        raise UsageError(
            "--vote-weight with --no-calibrate: nothing is fitted, so the vote cannot enter a fit; drop one of them"
        )
    _check_folds(QUICK["k"] if args.quick else args.folds, data, args.seed, seated_known(scenario, data))
    options.fit_in_memory(max(args.reps, args.protocol_reps), scenario, data, copies=args.workers)
    options.writable_folder(args.out, "--out")
    options.writable_folder(args.out / "validation", "--out")
    progress = _fold_progress(args.json)
    v = cross_validate(
        scenario, data, args.folds, args.reps, args.seed, args.budget, not args.no_calibrate, progress,
        args.protocol_reps, workers=args.workers, quick=args.quick, held=held, vote_weight=args.vote_weight,
        **_prior(args),
    )  # fmt: skip
    if progress:
        print(file=sys.stderr)
    folder = write_validation(v, args.out, args.command_line)
    scores, comparisons = v.scores(), v.comparisons()
    if args.json:
        report = {
            "verdict": verdict(scores, comparisons),
            "folds": v.plan.k,
            "quick": v.quick,
            "replications": v.reps,
            "budget": v.budget if v.tuned else None,
            "scores": scores,
            "comparisons": comparisons,
            "output": str(folder),
        }
        print(options.json_text(report))
        return 0
    mode = " (quick)" if v.quick else ""
    print(
        f"wcitsim validate{mode}: {scenario.meta.name}, {v.plan.k} folds over {len(v.plan.states)} known states, "
        f"seed {v.plan.seed}"
    )
    width = max(30, *map(len, scores))
    print(
        f"  {'predictor':<{width}} {'accuracy':>8} {'bal.acc':>8} {'Brier':>7} {'logloss':>8} {'AUC':>6}  eligible split"
    )
    for name, sc in scores.items():
        print(_score_line(name, sc, data.facts.eligible, width))
    print(
        "  paired bootstrap over the known states, 90 % intervals of the difference (negative: the first is better):"
    )
    for c in comparisons:
        b, ll = c["brier"], c["log_loss"]
        print(
            f"    {c['a']} vs {c['b']}: Brier {b['difference']:+.3f} [{b['interval'][0]:+.3f}, {b['interval'][1]:+.3f}] "
            f"{b['verdict']}; log-loss {ll['difference']:+.3f} [{ll['interval'][0]:+.3f}, {ll['interval'][1]:+.3f}] "
            f"{ll['verdict']}"
        )
    vote = scores[v.model.name].get("record_vote")
    if vote:
        y, n, a = vote["tally_scaled"]
        r = vote["record"]
        print(
            f"  the record's vote ({vote['clause']}): {y:.0f}–{n:.0f}–{a:.0f} against {r['yes']}–{r['no']}–{r['abstain']} "
            f"(mean absolute error {vote['mae']:.1f}); to a vote in {vote['share_to_vote']:.0%}, "
            f"adopted by a motion from the floor in {vote['share_adopted_by_motion']:.0%}, "
            f"in the text in {vote['share_adopted']:.0%}"
            + (f"; fitted (--vote-weight {v.vote_weight:g}), not predicted" if v.vote_weight else "")
        )
    print(f"  {verdict(scores, comparisons)}")
    print(f"  report: {folder / 'report.md'}")
    print(
        f"  the model's targets, met or missed: wcitsim scorecard {folder} (with other fold seeds' folders)"
    )
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.io.scenario import load_scenario
    from wcitsim.validation.calibrate import (
        calibrate,
        known_states,
        summary_table,
        vote_term,
        write_calibrated,
    )

    scenario = load_scenario(args.scenario)
    data = load_dataset(args.data_dir)
    out = args.out or options.RESULTS / "calibration" / f"{scenario.meta.name}.toml"
    options.writable_file(out, "--out")
    _check_folds(args.folds, data, args.seed)
    held = _held(args, scenario)
    options.fit_in_memory(args.reps, scenario, data)
    result = calibrate(
        scenario, data, known_states(data), budget=args.budget, replications=args.reps, seed=args.seed,
        start=args.start, text_weight=args.text_weight, held=held, vote_weight=args.vote_weight, **_prior(args),
    )  # fmt: skip
    command = (
        f"wcitsim calibrate {args.scenario} --budget {args.budget} --reps {args.reps} --seed {args.seed} "
        f"--start {args.start}" + (f" --text-weight {args.text_weight:g}" if args.text_weight != 1 else "")
        + (f" --prior-sd {args.prior_sd:g}" if args.prior_sd is not None else "")
        + (f" --vote-weight {args.vote_weight:g}" if args.vote_weight else "")
        + "".join(f" --hold {h}" for h in held)
    )  # fmt: skip
    written = write_calibrated(result, args.scenario, out, command)
    print(
        f"wcitsim calibrate: {scenario.meta.name}, {result.evaluations} evaluations on {len(result.states)} known states"
    )
    what = "mean log-loss" + (
        (
            " + "
            + ("" if args.text_weight == 1 else f"{args.text_weight:g} × ")
            + "share of clauses missing the Final Acts"
        )
        if args.text_weight
        else ", the text left out"
    )
    what += vote_term(args.vote_weight, "the right of access")
    if result.penalty or not math.isinf(result.prior_sd):
        what += f" + the prior's penalty, sd {result.prior_sd:g} of each range ({result.penalty:.4f} of it at the fit)"
    print(f"  loss {result.loss_start:.4f} → {result.loss:.4f} ({what}), in sample")
    print(summary_table(result).to_string(float_format=lambda x: f"{x:.4g}"))
    print(f"  written to {written}; out-of-sample scores: wcitsim validate {written} --folds {args.folds}")
    return 0


def _prior(args: argparse.Namespace) -> dict:
    """``prior_sd`` for the library when ``--prior-sd`` is given (else its default)."""
    return {} if args.prior_sd is None else {"prior_sd": args.prior_sd}


#: A weight of a fact about the conference in the loss (the text, the vote).
_WEIGHT = options.bounded(float, "a number", lambda v: 0 <= v <= 100, "a number from 0 to 100")


def _add_prior_sd(parser: argparse.ArgumentParser) -> None:
    """``--prior-sd``, ``--hold`` and ``--vote-weight``: what the calibration may move, and what it fits to."""
    parser.add_argument(
        "--hold", action="append", default=[], metavar="KEY",
        help="hold this coefficient at the middle of its range (of its logarithm for a log-scale one, as the search) "
        "instead of fitting it (a dotted key such as "
        "signing.lost_vote, or a pattern such as 'seeder.covariate_weights.*'); may be repeated",
    )  # fmt: skip
    parser.add_argument(
        "--prior-sd", type=options.bounded(float, "a number", lambda v: v > 0, "a number above 0, or inf"),
        default=None,
        help="sd of the Gaussian prior on each coefficient around the middle of its range, as a share of the "
        "range, e.g. 0.25 (the range is then the prior's ±2 sd); default inf: no prior (maximum likelihood)",
    )  # fmt: skip
    parser.add_argument(
        "--vote-weight", type=_WEIGHT,
        default=0.0,
        help="weight in the loss of the share of the record's voters (77-33-8 on the right of access) the model "
        "casts differently; the vote is then fitted, not predicted (default 0: left out)",
    )  # fmt: skip


def add_validate(commands: options.Commands) -> None:
    """``wcitsim validate``."""
    validate = commands.add_parser(
        "validate", help="cross-validate the model and the baselines on the known states"
    )
    options.add_scenario(validate)
    validate.add_argument(
        "--folds", type=options.folds, default=10, help="number of folds, or 'loo' (default 10)"
    )
    options.add_reps(validate, default=50, help="replications per fold (default 50)")
    options.add_seed(
        validate, default=0, help="seed of the folds and the runs (default 0)", kind=options.fit_seed
    )
    validate.add_argument(
        "--budget", type=options.budget, default=150, help="calibration evaluations per fold"
    )
    validate.add_argument(
        "--protocol-reps", type=options.replications, default=8,
        help="replications per fold of the slower protocols (default 8)",
    )  # fmt: skip
    validate.add_argument(
        "--no-calibrate", action="store_true", help="use the scenario's coefficients as given"
    )
    _add_prior_sd(validate)
    validate.add_argument(
        "--quick", action="store_true",
        help="the same table on fewer folds, evaluations and replications, in under a minute (for scripts and CI)",
    )  # fmt: skip
    options.add_workers(
        validate, default=2,
        help="worker processes for the folds (default: 2, or 1 on a one-core machine); results do not depend on it",
    )  # fmt: skip
    options.add_out(validate)
    options.add_json(validate, help="print one JSON object")
    options.add_data_dir(validate)
    validate.set_defaults(func=_cmd_validate)


def add_calibrate(commands: options.Commands) -> None:
    """``wcitsim calibrate``."""
    cal = commands.add_parser("calibrate", help="fit the global coefficients on the known states")
    options.add_scenario(cal)
    cal.add_argument(
        "--budget", type=options.budget, default=300, help="evaluations of the loss (default 300)"
    )
    cal.add_argument(
        "--folds", type=options.folds, default=10, help="folds suggested for validating the result"
    )
    options.add_reps(cal, default=16, help="replications per evaluation (default 16)")
    options.add_seed(cal, default=0, kind=options.fit_seed)
    cal.add_argument(
        "--start", choices=("midpoint", "scenario"), default="midpoint", help="where CMA-ES starts"
    )
    cal.add_argument(
        "--text-weight", type=_WEIGHT,
        default=1.0,
        help="weight of the share of clauses missing the Final Acts in the loss; 0 leaves the text out, "
        "so it is predicted, not fitted (default 1)",
    )  # fmt: skip
    _add_prior_sd(cal)
    options.add_out(
        cal, default=None, help="the calibrated scenario to write (default results/calibration/NAME.toml)"
    )
    options.add_data_dir(cal)
    cal.set_defaults(func=_cmd_calibrate)
