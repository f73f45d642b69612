"""``make bench`` (sweeps): replications per second of a 10,000-replication sweep of the baseline on 1 and 2
workers and a Dask LocalCluster of 2, and the peak memory of a 100,000-replication sweep."""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from wcitsim.experiments.executors import Started, make_executor
from wcitsim.experiments.sweep_run import run_sweep
from wcitsim.experiments.sweeps import load_spec

ROOT = Path(__file__).resolve().parents[1]


def spec_file(folder: Path, experiments: int, replications: int) -> Path:
    """A grid over the signing intercept with ``experiments`` levels × ``replications``."""
    levels = ", ".join(f"{-0.3 + 0.4 * i / max(experiments - 1, 1):.6f}" for i in range(experiments))
    path = folder / f"bench_{experiments}x{replications}.toml"
    path.write_text(
        f'[sweep]\nname = "bench_{experiments}x{replications}"\nscenario = "{(ROOT / "scenarios" / "wcit2012.toml").as_posix()}"\n'
        f'design = "grid"\nreplications = {replications}\nseed = 1\n\n'
        f'[parameters."signing.intercept"]\nlevels = [{levels}]\n',
        encoding="utf-8",
    )
    return path


def timed(spec_path: Path, out: Path, workers: int, scheduler: str | None) -> tuple[float, float]:
    """(start-up seconds, sweep seconds): the executor is started first, then the sweep is timed on it."""
    spec = load_spec(spec_path)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    executor = make_executor(workers, scheduler).__enter__()
    ready = time.perf_counter()
    try:
        run_sweep(spec, out, Started(executor))
    finally:
        done = time.perf_counter()
        executor.__exit__(None, None, None)
    return ready - start, done - ready


def main() -> None:
    big = "--no-100k" not in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = spec_file(tmp, 100, 100)
        print("sweeps: 10,000 replications of the baseline (100 experiments × 100 replications)")
        for workers, scheduler, label in (
            (1, None, "1 worker"),
            (2, None, "2 workers"),
            (2, "local", "Dask LocalCluster, 2 workers"),
        ):
            startup, seconds = timed(small, tmp / f"out-{workers}-{scheduler}", workers, scheduler)
            print(
                f"  {label:<30} {10_000 / seconds:8.0f} replications/s ({seconds:.1f} s; start-up {startup:.1f} s more, "
                f"{10_000 / (seconds + startup):.0f}/s with it)"
            )
        if big:
            _, seconds = timed(spec_file(tmp, 1000, 100), tmp / "out-big", 2, None)
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(
                f"  100,000 replications on 2 workers: {100_000 / seconds:.0f} replications/s; peak memory "
                f"{own:.0f} MiB (main process), {children:.0f} MiB (largest worker)"
            )


if __name__ == "__main__":
    main()
