"""The commands of parameter sweeps: ``sweep`` and ``analyze``."""

from __future__ import annotations

import argparse
from pathlib import Path

from wcitsim.cli import options

__all__ = ["add_analyze", "add_sweep"]


def _cmd_sweep(args: argparse.Namespace) -> int:
    import pandas as pd

    from wcitsim.cli.progress import replications_progress
    from wcitsim.data import load_dataset
    from wcitsim.experiments.executors import make_executor
    from wcitsim.experiments.sweep_run import run_sweep
    from wcitsim.experiments.sweeps import load_spec

    spec = load_spec(args.spec)
    data = load_dataset(args.data_dir)
    if args.scheduler in (None, "local"):  # a cluster's workers hold their tasks on their own machines
        where = f"{args.spec}: sweep.replications"
        options.fit_in_memory(spec.sweep.replications, spec.scenario, data, where, copies=args.workers)
    executor = make_executor(args.workers, args.scheduler)
    with replications_progress("sweep", enabled=not args.quiet) as progress:
        folder = run_sweep(
            spec, args.out, executor, args.resume, args.data_dir, progress=progress, restart=args.restart
        )
    table = pd.read_parquet(folder / "outcomes.parquet")
    facts = data.facts
    print(
        f"wcitsim sweep: {spec.sweep.name}, {len(table)} experiments × {spec.sweep.replications} replications "
        f"({spec.sweep.design} over {', '.join(spec.parameters)})"
    )
    print(
        f"  signatories of the {facts.eligible} eligible: {table['signed_eligible'].min():.1f} to "
        f"{table['signed_eligible'].max():.1f} (record {facts.signed})"
    )
    print(f"  written to {folder}; analyse with: wcitsim analyze {folder}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    import sys

    from wcitsim.experiments.analysis import analyze_sweep, read_warnings

    out = analyze_sweep(args.results)
    print(f"wcitsim analyze: summary, indices and figures in {out}")
    print((out / "summary.md").read_text(encoding="utf-8"))
    for warning in read_warnings(out):
        print(f"wcitsim analyze: warning: {warning}", file=sys.stderr)
    return 0


def add_sweep(commands: options.Commands) -> None:
    """``wcitsim sweep``."""
    sweep = commands.add_parser("sweep", help="run a parameter sweep (grid, LHS, Sobol, Morris)")
    sweep.add_argument("spec", type=Path, help="a sweep spec (TOML)")
    options.add_workers(sweep, help="local worker processes (default 1)")
    sweep.add_argument(
        "--scheduler",
        type=options.scheduler,
        help="a Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster",
    )
    options.add_out(sweep)
    again = sweep.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted sweep (same inputs)")
    again.add_argument(
        "--restart",
        action="store_true",
        help="discard the sweep's results in --out and run it from the start",
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress output")
    options.add_data_dir(sweep)
    sweep.set_defaults(func=_cmd_sweep)


def add_analyze(commands: options.Commands) -> None:
    """``wcitsim analyze``."""
    analyze = commands.add_parser("analyze", help="tables and figures from a sweep's results")
    analyze.add_argument("results", type=Path, help="the folder wcitsim sweep wrote")
    analyze.set_defaults(func=_cmd_analyze)
