"""The ``exchange`` protocol's speed on the baseline, for each round rule and kernel, side by side.

Replications per second of ``scenarios/wcit2012.toml`` with ``protocol.name =
"exchange"`` (193 delegations, 8 clauses, 10 rounds), on one core, the engine
alone (no trace, no measures, as a calibration runs it); each figure the best of
``--repeats`` runs after a warm-up (which compiles or loads the numba kernels), in
CPU time (``time.process_time``: all of it runs on one thread, and other work on a
shared machine then counts less than in wall time):

- the default (``round_rule = "sequential"``, ``carry = "partial"``, compiled),
  through the registered protocol (its numpy kernel, the specification, is left
  out: it makes one exchange per numpy pass over all candidates, minutes a replication);
- ``round_rule = "matching"``, ``carry = "voting"``, compiled: the old rule, fast;
- the same with the numpy kernel: today's path (bit-equal to wcitsim 0.1.0).

Then the default on every core this process may use, its replications shared among
threads (``WCITSIM_THREADS``, :func:`wcitsim.core.kernels.threads`), four replications a
thread (``wcitsim run``'s batches hold 32), in wall time, with the cores it kept busy
(CPU time over wall time).

Then the Copenhagen input (11 actors, 7 issues, 10 rounds): wcitsim's kernels,
and ``decide-exchange-model`` itself when an interpreter that has it is given
(``--decide-python`` or ``$DECIDE_PYTHON``; it runs
``tools/regenerate_exchange_oracle.py --time`` there), else a message says why not.

Usage: ``python benchmarks/exchange_bench.py [--reps 4] [--repeats 3] [--decide-python PATH]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("WCITSIM_THREADS", "1")  # one core; the threaded figure sets its own

import argparse
import subprocess
import time
from pathlib import Path

from run import environment, seconds  # benchmarks/run.py: the least CPU time of some repeats; a variable set

from wcitsim.core.protocols import exchange
from wcitsim.core.world import Streams, build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import machine_cores
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "wcit2012.toml"
COPENHAGEN = ROOT / "tests" / "data" / "copenhagen_exchange.tsv"
ORACLE_TOOL = ROOT / "tools" / "regenerate_exchange_oracle.py"

MATCHING = {"round_rule": "matching", "carry": "voting"}
PATHS = {
    "default: sequential, partial carry, compiled (registered protocol)": None,
    "matching, voting carry, compiled": {**MATCHING, "kernel": "compiled"},
    "matching, voting carry, numpy (today's path)": {**MATCHING, "kernel": "numpy"},
}


def baseline_rates(reps: int, repeats: int) -> dict[str, float]:
    world = build_world(load_scenario(BASELINE).replace(**{"protocol.name": "exchange"}), load_dataset())
    seeds = replication_seeds(1, reps)
    rates = {}
    for name, params in PATHS.items():
        if params is None:  # what `wcitsim run` runs

            def run():
                run_outcome(world, seeds, "vectorized", trace=False, measure=False)
        else:

            def run(params=params):
                exchange.simulate(world, Streams(seeds), trace=False, measure=False, params=params)

        exchange.simulate(
            world, Streams(seeds[:1]), trace=False, measure=False, params={**(params or {}), "max_rounds": 1}
        )
        rates[name] = reps / seconds(run, repeats)
    return rates


def threaded_rate(reps: int, repeats: int, cores: int) -> tuple[float, float]:
    """The default's replications per second in wall time on ``cores`` threads, and the cores it kept busy."""
    world = build_world(load_scenario(BASELINE).replace(**{"protocol.name": "exchange"}), load_dataset())
    seeds = replication_seeds(1, reps)
    best, busy = float("inf"), 0.0
    with environment("WCITSIM_THREADS", str(cores)):
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            run_outcome(world, seeds, "vectorized", trace=False, measure=False)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if wall < best:
                best, busy = wall, cpu / wall
    return reps / best, busy


def copenhagen_seconds(repeats: int) -> dict[str, float]:
    _actors, _issues, x, s, c, bounds = exchange.read_decide(COPENHAGEN.read_text(encoding="utf-8"))
    out = {}
    for kernel in ("compiled", "numpy", "decimal"):
        params = {**exchange.REFERENCE, "kernel": kernel}
        exchange.run(x, c, s, {**params, "max_rounds": 1}, bounds)  # warm up
        out[f"wcitsim, reference settings, {kernel}"] = seconds(
            lambda p=params: exchange.run(x, c, s, p, bounds), repeats
        )
    return out


def decide_seconds(python: str | None) -> float | str:
    """decide-exchange-model's seconds for 10 rounds on Copenhagen, or why they are missing."""
    if not python:
        return "skipped: no interpreter with decide-exchange-model (--decide-python or $DECIDE_PYTHON)"
    if not Path(python).exists():
        return f"skipped: {python} does not exist"
    done = subprocess.run([python, str(ORACLE_TOOL), "--time"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return "skipped: " + (done.stderr.strip().splitlines() or ["it failed"])[0]
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=4, help="replications per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (the best is kept)")
    parser.add_argument("--decide-python", default=os.environ.get("DECIDE_PYTHON"))
    args = parser.parse_args()
    rates = baseline_rates(args.reps, args.repeats)
    today = rates["matching, voting carry, numpy (today's path)"]
    print(
        f"baseline (193 delegations, 8 clauses, 10 rounds), {args.reps} replications, "
        f"best of {args.repeats}, CPU time:"
    )
    for name, rate in rates.items():
        print(f"  {name:<68} {rate:8.3f} replications/s  ({rate / today:5.1f}× today's)")
    cores = machine_cores()
    rate, busy = threaded_rate(max(args.reps, 4 * cores), args.repeats, cores)
    print(
        f"  {f'default on {cores} threads (WCITSIM_THREADS={cores}), wall time':<68} {rate:8.3f} replications/s"
        f"  ({rate / today:5.1f}× today's; {busy:.2f} of {cores} cores busy)"
    )
    print("Copenhagen (11 actors, 7 issues, 10 rounds):")
    for name, took in copenhagen_seconds(args.repeats).items():
        print(f"  {name:<68} {took:8.4f} s")
    decide = decide_seconds(args.decide_python)
    if isinstance(decide, float):
        print(f"  {'decide-exchange-model 2025.3.1 (its own interpreter)':<68} {decide:8.4f} s")
    else:
        print(f"  decide-exchange-model 2025.3.1: {decide}")


if __name__ == "__main__":
    main()
