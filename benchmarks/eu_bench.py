"""The expected-utility protocol on the baseline: replications per second, new path beside the previous one.

``python benchmarks/eu_bench.py`` runs scenarios/wcit2012.toml with ``protocol.name =
"expected_utility"`` (193 delegations × 8 clauses, 10 rounds), as a calibration runs it
(no per-session trace, no field measures), on one core, and prints replications per
second for:

- the protocol as registered, with the compiled kernels (the default) and with the
  numpy specification (``WCITSIM_KERNELS=numpy``);
- the implementation before the replications were matched (commit ``13276c0``, read
  with ``git show``; its own defaults: linear probabilities, risk measured once,
  challengers' saliences), when git and that commit are at hand.

Then the compiled path on every core this process may use, a batch's rows shared among
threads (``WCITSIM_THREADS``), in wall time.

Each figure is the best of ``--repeats`` runs, all in this one process, so that they
are comparable on a shared machine; process CPU time is printed beside wall time.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("WCITSIM_THREADS", "1")  # one core; the threaded figure sets its own

import argparse
import inspect
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
from run import environment  # benchmarks/run.py

from wcitsim.core import kernels
from wcitsim.core.conference import run_iterative
from wcitsim.core.protocols import PROTOCOLS, ExpectedUtility, _params
from wcitsim.core.world import Streams, build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import machine_cores
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "wcit2012.toml"
#: The commit whose expected-utility module is "the previous path".
PREVIOUS = "13276c0"


def rate(run, replications: int, repeats: int) -> tuple[float, float]:
    """Best (wall, CPU) replications per second of ``run(seeds)`` over ``repeats`` runs."""
    seeds = replication_seeds(1, replications)
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run(seeds)
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return replications / wall, replications / cpu


def previous_module() -> types.ModuleType | None:
    """The expected-utility module of commit ``PREVIOUS``, or None without git or that commit."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{PREVIOUS}:wcitsim/core/protocols/expected_utility.py"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    module = types.ModuleType("expected_utility_previous")
    sys.modules[module.__name__] = module  # its dataclass looks itself up there
    exec(compile(done.stdout, f"{PREVIOUS}:expected_utility.py", "exec"), module.__dict__)
    return module


def previous_run(world, old):
    """The protocol's ``run`` as commit ``PREVIOUS`` had it, on module ``old``."""
    params = {**old.DEFAULTS}
    c = world.capability / world.capability.sum()

    def forecast(position, salience):
        w = c[:, None] * salience
        return world.agenda.snap(old.weighted_median(position.swapaxes(-1, -2), w.swapaxes(-1, -2)))

    def step(position, salience, risk):
        x = position.swapaxes(-1, -2)
        s = (salience / salience.max(axis=(-2, -1), keepdims=True)).swapaxes(-1, -2)
        cc = np.broadcast_to(c, x.shape)
        if risk is None:
            risk = old.risk_exponents(old.expected_utilities(x, cc, s, np.ones_like(x), params))
        new, _ = old.challenge_round(x, cc, s, risk, params)
        return np.clip(new, 0.0, 1.0).swapaxes(-1, -2).copy(), risk

    def run(seeds):
        for i in range(0, len(seeds), 32):
            run_iterative(
                world, Streams(seeds[i : i + 32]), step, forecast, int(params["max_rounds"]), False, False
            )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=64, help="replications of the compiled path")
    parser.add_argument("--numpy-reps", type=int, default=4, help="replications of the numpy path")
    parser.add_argument("--previous-reps", type=int, default=8, help="replications of the previous path")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(BASELINE).replace(**{"protocol.name": "expected_utility"})
    world = build_world(scenario, load_dataset())
    params = _params(world, PROTOCOLS["expected_utility"].parameters)
    print(
        f"baseline: {world.n} delegations × {world.agenda.k} clauses, {params['max_rounds']} rounds, one core"
    )
    if "protocol_step" not in inspect.getsource(ExpectedUtility.run):
        print(
            "  note: ExpectedUtility.run does not call expected_utility.protocol_step; it measures the old wiring"
        )

    def current(seeds):
        run_outcome(world, seeds, "vectorized", trace=False, measure=False)

    current(replication_seeds(0, 2))  # compiles, or loads the compiled kernels from the cache
    figures = {"expected_utility, compiled kernels": rate(current, args.reps, args.repeats)}
    with kernels.use("numpy"):
        figures["expected_utility, numpy kernels"] = rate(current, args.numpy_reps, 1)
    old = previous_module()
    if old is not None:
        figures[f"previous path ({PREVIOUS})"] = rate(previous_run(world, old), args.previous_reps, 1)
    cores = machine_cores()
    with environment("WCITSIM_THREADS", str(cores)):
        threaded = rate(current, args.reps, args.repeats)
    for name, (wall, cpu) in figures.items():
        print(f"  {name + ':':<40} {wall:7.2f} replications/s ({cpu:7.2f} per CPU second)")
    print(
        f"  {f'compiled, on {cores} threads (WCITSIM_THREADS):':<40} {threaded[0]:7.2f} replications/s "
        f"(wall time; {threaded[0] / threaded[1]:.2f} of {cores} cores busy)"
    )
    if old is None:
        print(f"  previous path ({PREVIOUS}): not available (needs git and that commit)")
    else:
        new, before = figures["expected_utility, compiled kernels"], figures[f"previous path ({PREVIOUS})"]
        print(f"  compiled / previous: {new[0] / before[0]:.1f}× wall, {new[1] / before[1]:.1f}× CPU")


if __name__ == "__main__":
    main()
