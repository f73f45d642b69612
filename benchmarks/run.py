"""``make bench``: replications per second on one core, numpy kernels against compiled ones, and conferences
far past 193 delegations.

Run with one BLAS thread so that "one core" means one core. The machine may be
shared: each rate is CPU seconds of this process (what one core spends), the best
of a few repeats, and the two kernels are timed in turn so that their ratio is
fair. The rates on one and two local worker processes (the sweeps' executor) are
wall time, with the cores the workers had beside them. The scale table and the
compile times come from fresh child processes
(their peak resident memory, and a numba cache of their own for the cold start).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("WCITSIM_THREADS", "1")  # the protocols' threads too (exchange, expected utility)

import argparse
import contextlib
import functools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wcitsim.core import kernels
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "wcit2012.toml"
NO_SORTING = BASELINE.with_name("no_sorting.toml")
SCALES = (193, 1000, 10_000)


@contextlib.contextmanager
def environment(name: str, value: str):
    """Set an environment variable for a block."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def seconds(work, repeats: int) -> float:
    """The least CPU time of ``repeats`` calls of ``work``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def rates(world, replications: int, repeats: int, engine: str = "vectorized", **options) -> dict[str, float]:
    """Replications per second with each kernel, timed in turn (``options``: ``trace``, ``measure``)."""
    seeds = replication_seeds(1, replications)
    best = dict.fromkeys(kernels.KERNELS, float("inf"))
    for _ in range(repeats):
        for name in kernels.KERNELS:
            with kernels.use(name):
                best[name] = min(best[name], seconds(lambda: run_outcome(world, seeds, engine, **options), 1))
    return {name: replications / t for name, t in best.items()}


@functools.cache
def _baseline_world():
    return build_world(load_scenario(BASELINE), load_dataset())


def _share(task: tuple[list[int], bool | str]) -> float:
    """In a worker: run the baseline's replications with these seeds; return the CPU seconds."""
    seeds, measure = task
    begun = time.process_time()
    run_outcome(_baseline_world(), seeds, trace=False, measure=measure)
    return time.process_time() - begun


def worker_rates(
    workers: int, replications: int, measure: bool | str, chunk: int = 512
) -> tuple[float, float]:
    """Wall replications per second on ``workers`` local worker processes (the sweeps' executor), and the
    workers' CPU seconds over the wall seconds (how much of the cores they had); each worker warmed first."""
    from wcitsim.experiments.executors import ProcessExecutor

    seeds = replication_seeds(1, replications)
    tasks = [(seeds[start : start + chunk], measure) for start in range(0, replications, chunk)]
    with ProcessExecutor(workers) as pool:
        list(pool.map_unordered(_share, [(seeds[:64], measure)] * (2 * workers)))  # build, load the kernels
        begun = time.perf_counter()
        cpu = sum(seconds for _, seconds in pool.map_unordered(_share, tasks))
        wall = time.perf_counter() - begun
    return replications / wall, cpu / wall


def mesa_rate(world, replications: int) -> float:
    """Runs per second of the Mesa face (WcitModel stepping the conference with R = 1)."""
    from wcitsim.model import WcitModel

    def work():
        for seed in replication_seeds(1, replications):
            model = WcitModel(world=world, rng=seed)
            while model.running:
                model.step()

    return replications / seconds(work, 1)


def scale_child(size: int, numpy_kernels: bool) -> None:
    """In a child process: build a world of ``size`` delegations, run one replication, print the figures."""
    if numpy_kernels:
        kernels.set_kernels("numpy")
    data, scenario = load_dataset(), load_scenario(BASELINE)
    if size != 193:
        scenario = scenario.replace(**{"population.size": size})
    run_outcome(
        build_world(load_scenario(BASELINE), data), replication_seeds(0, 1), trace=False, measure=False
    )
    start = time.process_time()
    world = build_world(scenario, data)
    step = world.transition if kernels.dense_influence(world.n) else world.influence  # built when first used
    assert step is not None
    build = time.process_time() - start
    rep = seconds(lambda: run_outcome(world, replication_seeds(3, 1), trace=False, measure=False), 3)
    print(json.dumps({"build_ms": build * 1e3, "rep_ms": rep * 1e3, "peak_mib": peak_resident_mib()}))


def peak_resident_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(*args: str, env: dict | None = None) -> tuple[str, float]:
    """Run this file with ``args`` in a child process: its last printed line and its wall seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout.strip().splitlines()[-1], time.perf_counter() - start


def first_call_child() -> None:
    """In a child process: the seconds to import, build the baseline and run its first and second replications."""
    start = time.perf_counter()
    world = build_world(load_scenario(BASELINE), load_dataset())
    built = time.perf_counter()
    run_outcome(world, replication_seeds(0, 2))
    first = time.perf_counter()
    run_outcome(world, replication_seeds(1, 2))
    print(json.dumps({"build": built - start, "first": first - built, "second": time.perf_counter() - first}))


def bench_data_loading(repeat: int = 10) -> float:
    return seconds(lambda: [load_dataset() for _ in range(repeat)], 1) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vectorized-reps", type=int, default=1024)
    parser.add_argument("--reference-reps", type=int, default=3)
    parser.add_argument(
        "--no-cold-start", action="store_true", help="skip compiling the kernels from scratch"
    )
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--numpy", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first-call-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        return scale_child(args.scale_child, args.numpy)
    if args.first_call_child:
        return first_call_child()

    data = load_dataset()
    world = build_world(load_scenario(BASELINE), data)
    rates(world, 64, 1, trace=False, measure=False)  # warm up both kernels
    reps = args.vectorized_reps
    bare = rates(world, reps, 3, trace=False, measure=False)
    ends = rates(world, reps // 4, 2, trace=False, measure="deadline")
    traced = rates(world, 64, 1)
    averaging = build_world(load_scenario(NO_SORTING), data)
    ref_seeds = replication_seeds(1, args.reference_reps)
    ref = args.reference_reps / seconds(lambda: run_outcome(averaging, ref_seeds, "reference"), 1)
    vec_averaging = rates(averaging, reps, 2, trace=False, measure=False)

    print(f"baseline: {world.n} delegations × {world.agenda.k} clauses × {world.sessions} sessions, one core")
    print(
        f"  replications per second (CPU time, best of repeats)   {'numpy':>10} {'compiled':>10} {'ratio':>7}"
    )
    for label, figures in (
        ("no diagnostics (a calibration's runs)", bare),
        ("the table measured at the deadline (sweeps)", ends),
        ("measured after every session (wcitsim run)", traced),
        ("without the mechanisms that sort (no_sorting)", vec_averaging),
    ):
        n, c = figures["numpy"], figures["compiled"]
        print(f"    {label:<52} {n:10.1f} {c:10.1f} {c / n:6.1f}×")
    print(
        f"  per-agent reference engine on no_sorting (Mesa agents, {args.reference_reps} replications): "
        f"{ref:.3f} replications/s; the vectorised engine is {vec_averaging['compiled'] / ref:,.0f}× faster "
        f"({vec_averaging['numpy'] / ref:,.0f}× with the numpy kernels)"
    )
    print(f"  Mesa face (WcitModel, R = 1, DataCollector on): {mesa_rate(world, 50):8.1f} runs/s (50 runs)")
    print(
        "  on local worker processes (the sweeps' executor), compiled, wall time, best of three; "
        "'cores' = the workers' CPU / wall (fewer than the workers: the machine was shared):"
    )
    for label, measure, total in (
        ("no diagnostics", False, 16 * 1024),
        ("table at the deadline", "deadline", 8192),
    ):
        one, one_cores = max(worker_rates(1, total // 2, measure) for _ in range(3))  # best of three
        two, two_cores = max(worker_rates(2, total, measure) for _ in range(3))
        print(
            f"    {label:<24} 1 worker {one:8.0f}/s ({one_cores:.2f} cores)   2 workers {two:8.0f}/s "
            f"({two_cores:.2f} cores), {two / one:.2f}× one worker; one core, CPU time: {bare['compiled'] if measure is False else ends['compiled']:8.0f}/s"
        )
    for name, count in (("compromise", 1024), ("expected_utility", 8), ("exchange", 4)):
        other = build_world(load_scenario(BASELINE).replace(**{"protocol.name": name}), data)
        rate = count / seconds(lambda: run_outcome(other, replication_seeds(1, count)), 1)  # noqa: B023
        print(f"  protocol {name + ':':<18} {rate:8.1f} replications/s ({count} replications, traced)")

    print("conferences past 193 delegations ([population] size = N; one replication, no diagnostics):")
    print(
        f"    {'N':>7} {'kernels':>9} {'ms / replication':>17} {'world built, ms':>16} {'peak memory, MiB':>17}"
    )
    for size in SCALES:
        for numpy_kernels in (True, False):
            line, _ = in_child("--scale-child", str(size), *(["--numpy"] if numpy_kernels else []))
            f = json.loads(line)
            name = "numpy" if numpy_kernels else "compiled"
            print(f"    {size:>7} {name:>9} {f['rep_ms']:17.1f} {f['build_ms']:16.1f} {f['peak_mib']:17.0f}")

    print(
        "first call in a fresh process (import, build the baseline, run 2 replications traced), wall seconds:"
    )
    runs = [("numpy kernels", {"WCITSIM_KERNELS": "numpy"}), ("compiled, numba cache warm", {})]
    with tempfile.TemporaryDirectory() as cache:
        if not args.no_cold_start:
            runs.append(("compiled, numba cache cold (compiling)", {"NUMBA_CACHE_DIR": cache}))
        for label, env in runs:
            f = json.loads(in_child("--first-call-child", env=env)[0])
            print(
                f"    {label:<40} build {f['build']:5.2f}  first run {f['first']:6.2f}  second {f['second']:5.2f}"
            )
    print(f"data loading: {bench_data_loading() * 1e3:.1f} ms per validated load")


if __name__ == "__main__":
    main()
