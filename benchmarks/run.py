"""``make bench``: replications per second of the baseline on one core, for both engines, and peak memory.

Run with one BLAS thread so that "one core" means one core. Each figure is the
best of a few repeats (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "wcit2012.toml"
NO_SORTING = BASELINE.with_name("no_sorting.toml")


def rate(world, engine: str, replications: int, repeats: int, **options) -> float:
    """Best replications per second over ``repeats`` runs (``options``: ``trace``, ``measure``)."""
    seeds = replication_seeds(1, replications)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run_outcome(world, seeds, engine, **options)
        best = min(best, time.perf_counter() - start)
    return replications / best


def mesa_rate(world, replications: int) -> float:
    """Runs per second of the Mesa face (WcitModel stepping the conference with R = 1)."""
    from wcitsim.model import WcitModel

    start = time.perf_counter()
    for seed in replication_seeds(1, replications):
        model = WcitModel(world=world, rng=seed)
        while model.running:
            model.step()
    return replications / (time.perf_counter() - start)


def peak_mib(world, engine: str, replications: int) -> float:
    """Peak memory allocated by Python objects during one run (tracemalloc)."""
    tracemalloc.start()
    run_outcome(world, replication_seeds(2, replications), engine)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def bench_data_loading(repeat: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        load_dataset()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vectorized-reps", type=int, default=2000)
    parser.add_argument("--reference-reps", type=int, default=3)
    args = parser.parse_args()
    world = build_world(load_scenario(BASELINE), load_dataset())
    run_outcome(world, replication_seeds(0, 32))  # warm up
    vec = rate(world, "vectorized", args.vectorized_reps, 3, trace=False, measure=False)
    ends = rate(world, "vectorized", args.vectorized_reps // 4, 1, trace=False, measure="deadline")
    traced = rate(world, "vectorized", 200, 1)
    # the per-agent reference engine runs the conference without the mechanisms that sort
    averaging = build_world(load_scenario(NO_SORTING), load_dataset())
    ref = rate(averaging, "reference", args.reference_reps, 1)
    vec_averaging = rate(averaging, "vectorized", args.vectorized_reps, 1, trace=False, measure=False)
    print(f"baseline: {world.n} delegations × {world.agenda.k} clauses × {world.sessions} sessions, one core")
    print(
        f"  vectorized engine: {vec:8.1f} replications/s ({args.vectorized_reps} replications, batches of 32; "
        "no diagnostics, as in a calibration)"
    )
    print(
        f"    with the table's field measured at the deadline (sweeps): {ends:8.1f} replications/s; "
        f"after every session too (wcitsim run): {traced:6.1f} replications/s"
    )
    print(
        f"  without the mechanisms that sort (scenarios/no_sorting.toml): vectorized {vec_averaging:8.1f}, "
        f"reference {ref:.2f} replications/s ({args.reference_reps} replications, Mesa agents): "
        f"{vec_averaging / ref:,.0f}×"
    )
    print(f"  Mesa face (WcitModel, R = 1, DataCollector on): {mesa_rate(world, 50):8.1f} runs/s (50 runs)")
    print(
        f"  peak traced memory: vectorized {peak_mib(world, 'vectorized', 1000):.1f} MiB for 1,000 replications; "
        f"reference {peak_mib(averaging, 'reference', 1):.1f} MiB for 1 (without sorting)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak resident memory of this process: {rss:.0f} MiB")
    for name, reps in (("compromise", 2000), ("expected_utility", 8), ("exchange", 4)):
        other = build_world(load_scenario(BASELINE).replace(**{"protocol.name": name}), load_dataset())
        print(
            f"  protocol {name + ':':<18} {rate(other, 'vectorized', reps, 1):8.1f} replications/s ({reps} replications)"
        )
    print(f"data loading: {bench_data_loading() * 1e3:.1f} ms per validated load")


if __name__ == "__main__":
    main()
