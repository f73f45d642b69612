"""The ``wcitsim`` command line: thin wrappers that parse, call one library function and print.

Every user mistake (a bad file, a bad argument) ends with one line on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from wcitsim import __version__
from wcitsim.errors import WcitsimError

__all__ = ["main", "main_entry"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())


def format_coverage(report: dict) -> str:
    """Render :func:`wcitsim.coverage.coverage_report` as readable lines."""
    t = report["totals"]
    region = report["itu_region"]
    lines = [
        f"wcitsim data: {report['states']} ITU Member States (2012); record of 14 December 2012 "
        f"with {report['record_rows']} rows",
        f"  decisions: {_format_counts(report['decisions'])}",
    ]
    for conf, counts in report["by_confidence"].items():
        lines.append(f"    by {conf.replace('_', ' ')}: {_format_counts(counts)}")
    lines.append("  by ITU region:")
    for key, counts in report["by_region"].items():
        lines.append(f"    {key:<13} {_format_counts(counts)}")
    lines += [
        f"  against the totals ({t['eligible']} eligible: {t['signed']} signed, {t['not_signed']} not):",
        f"    known {t['known_signed']} + {t['known_not_signed']} = {t['known']} of {t['eligible']}; "
        f"still unplaced: {t['unknown_signed']} signatories, {t['unknown_not_signed']} non-signatories",
        f"    {t['no_signing_right']} Member States had no right to sign (absent or without credentials); "
        f"{t['unknown_member_states']} Member States and {t['unknown_non_members']} non-member row(s) are unknown",
        f"  ITU region: {region['filled']} of {report['states']} filled "
        f"({_format_counts(region['by_basis'])}); blank: {' '.join(region['blank']) or 'none'}",
        f"  APT members: {report['apt']['members']}; unknown: {' '.join(report['apt']['blank']) or 'none'}",
        "  missing covariates:",
    ]
    for column, codes in report["missing"].items():
        shown = " ".join(codes[:12]) + (f" … (+{len(codes) - 12})" if len(codes) > 12 else "")
        lines.append(f"    {column:<26} {len(codes):>3}: {shown}")
    return "\n".join(lines)


def _cmd_data(args: argparse.Namespace) -> int:
    from wcitsim.coverage import coverage_report
    from wcitsim.data import load_dataset

    report = coverage_report(load_dataset(args.data_dir))
    print(json.dumps(report, indent=2) if args.json else format_coverage(report))
    return 0


def format_run(summary: dict, folder: Path | None) -> str:
    """Render a run's summary as a few readable lines."""
    split, c, text, pol = summary["split"], summary["countries"], summary["text"], summary["polarization"]
    known, scaled = split["known_states"], split["scaled_to_eligible"]
    lo, hi = known["signed_interval"]
    slo, shi = scaled["signed_interval"]
    s = summary["scenario"]
    lines = [
        f"wcitsim run: {s['name']} ({s['protocol']}, chair {s['chair_policy']}, {s['voting_rule']} vote), "
        f"{summary['replications']} replications, seed {summary['seed']}, {summary['engine']} engine",
        f"  split on the {known['n']} states whose decision is known: {known['signed_mean']:.1f} sign "
        f"(90 % {lo:.0f}–{hi:.0f}) against {known['record_signed']} recorded; "
        f"{known['n'] - known['signed_mean']:.1f} do not against {known['record_not_signed']}",
        f"  split scaled to the {scaled['eligible']} eligible (share of the {split['seated']} seated states signing): "
        f"{scaled['signed_mean']:.1f} / {scaled['eligible'] - scaled['signed_mean']:.1f} "
        f"(90 % {slo:.0f}–{shi:.0f} signing) against {scaled['record_signed']} / {scaled['record_not_signed']}",
        f"  per country ({c['n_known']} known): accuracy {c['accuracy']:.3f}, balanced accuracy "
        f"{c['balanced_accuracy']:.3f}, Brier {c['brier']:.3f}, AUC {c['auc']:.3f}",
        f"    misclassified: {' '.join(c['misclassified']) or 'none'}",
        f"  final text vs the Final Acts: {text['matches_mean']:.2f} of {text['comparable']} clauses match on average; "
        f"{100 * text['share_all_but_two']:.0f} % of replications match at least {text['comparable'] - 2}",
    ]
    for clause in text["clauses"]:
        mark = "=" if clause["modal"] == clause["final_acts"] else "≠"
        fa = clause["final_acts_label"] or "unknown"
        share = "" if clause["match_share"] is None else f" ({100 * clause['match_share']:.0f} % match)"
        vote = ""
        if clause["votes_mean"]:
            y, n, a = clause["votes_mean"]
            vote = f"; voted in {100 * clause['contested_share']:.0f} % ({y:.0f}–{n:.0f}–{a:.0f})"
        lines.append(f"    {clause['id']:<13} {mark} {clause['modal_label']}{share}; Final Acts: {fa}{vote}")
    er = pol["esteban_ray"]
    bim = pol["bimodality"]
    binary = pol["binary_from_session"]
    lines.append(
        f"  polarization (Esteban–Ray) opening {er[0]:.2f} → deadline {er[-1]:.2f}; bimodality {bim[0]:.2f} → {bim[-1]:.2f}"
        + (
            f"; two camps (bimodality > 5/9) from session {binary}"
            if binary is not None
            else "; never bimodal"
        )
    )
    timing = summary["timing"]
    lines.append(f"  {timing['seconds']:.2f} s ({timing['replications_per_second']:.0f} replications/s)")
    if folder is not None:
        lines.append(f"  written to {folder}")
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from wcitsim.data import load_dataset
    from wcitsim.records import write_run
    from wcitsim.runner import run_scenario
    from wcitsim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    result = run_scenario(scenario, args.reps, args.seed, args.engine, load_dataset(args.data_dir))
    folder = None if args.no_write else write_run(result, args.out, figures=not args.no_figures)
    summary = result.summary()
    if args.json:
        summary["output"] = None if folder is None else str(folder)
        print(json.dumps(summary, indent=2))
    else:
        print(format_run(summary, folder))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive; expected an integer ≥ 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{value} is out of range; expected 0 ≤ seed < 2**63")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``wcitsim`` command."""
    parser = _Parser(prog="wcitsim", description="An agent-based model of WCIT-12 (Dubai, 2012).")
    parser.add_argument("--version", action="version", version=f"wcitsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = commands.add_parser("data", help="report what the data cover")
    data.add_argument("--json", action="store_true", help="print one JSON object")
    data.add_argument(
        "--data-dir", type=Path, help="a folder with states.csv, wcit2012_record.csv, facts.toml"
    )
    data.set_defaults(func=_cmd_data)

    run = commands.add_parser("run", help="run a scenario and compare it with the record")
    run.add_argument("scenario", type=Path, help="a scenario TOML file, e.g. scenarios/wcit2012.toml")
    run.add_argument("--reps", type=_positive_int, help="replications (default: the scenario's)")
    run.add_argument("--seed", type=_seed, help="root seed (default: the scenario's)")
    run.add_argument("--engine", choices=("vectorized", "reference"), help="default: the scenario's")
    run.add_argument("--out", type=Path, default=Path("results"), help="results folder (default: results/)")
    run.add_argument("--json", action="store_true", help="print one JSON object (keys in docs/cli.md)")
    run.add_argument("--no-write", action="store_true", help="print only; write nothing")
    run.add_argument("--no-figures", action="store_true", help="write tables but no figures")
    run.add_argument("--data-dir", type=Path, help="use another data folder")
    run.set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WcitsimError as err:
        print(f"wcitsim: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("wcitsim: interrupted", file=sys.stderr)
        return 130


def main_entry() -> None:
    """Entry point of the ``wcitsim`` script."""
    sys.exit(main())
