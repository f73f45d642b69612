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
