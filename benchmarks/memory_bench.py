"""Peak memory of ``wcitsim run`` by replications and of a sweep's final merge; the command line's start-up.

Each figure is measured in a fresh process (its own peak resident set, from wait4),
printed beside what the same measure gave before runs streamed (wcitsim 0.1.0 at
commit 13276c0, when a run kept every replication's outcome).

    python benchmarks/memory_bench.py                      # run at 10^3, 10^4, 10^5; merge; start-up
    python benchmarks/memory_bench.py --reps 1000,10000    # other counts
    python benchmarks/memory_bench.py --million            # and 10^6 (about 20 min of one core for the baseline)
    python benchmarks/memory_bench.py --scenario tests/data/toy.toml --reps 1000,1000000
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "wcit2012.toml"
PYTHON = sys.executable
WCITSIM = str(Path(PYTHON).with_name("wcitsim"))
#: Before: peak RSS of ``wcitsim run scenarios/wcit2012.toml --reps N --no-write`` (MiB), as measured then.
BEFORE_RUN = {20_000: 1.7 * 1024, 100_000: 8.1 * 1024, 1_000_000: 80 * 1024}
#: Before: the main process of a 10^6-replication sweep peaked in its final merge (MiB).
BEFORE_MERGE = 618
#: Before: wall seconds of ``wcitsim run --reps 1`` (three quarters of it imports; pandas alone 0.25-0.28 s).
BEFORE_RUN_ONE = 0.44


def measure(argv: list[str]) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of ``argv`` in its own process (one run, read through wait4)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if child.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed: {err.read().decode().strip()[-300:]}")
    return usage.ru_maxrss / 1024, seconds


def best_wall(argv: list[str], repeats: int = 5) -> float:
    """The least wall time of ``argv`` over ``repeats`` runs (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def runs(scenario: Path, counts: list[int]) -> None:
    baseline = scenario.resolve() == BASELINE.resolve()
    print(f"wcitsim run {scenario} --reps N --no-write: peak resident memory")
    print(f"  {'replications':>12}  {'now':>10}  {'before':>10}  {'wall':>9}")
    for reps in counts:
        mib, seconds = measure([WCITSIM, "run", str(scenario), "--reps", str(reps), "--no-write"])
        before = BEFORE_RUN.get(reps) if baseline else None
        shown = f"{before:,.0f} MiB" if before else "—"
        print(f"  {reps:>12,}  {mib:>6,.0f} MiB  {shown:>10}  {seconds:>7.0f} s", flush=True)
    if baseline:
        print(
            "  before: 20,000 peaked at 1.7 GB, 100,000 at 8.1 GB (about 80 KiB a replication; 10^6 ~80 GB)"
        )


MERGE = """
import resource, sys
from pathlib import Path
from wcitsim.experiments.sweep_run import _write_final
folder, tasks = Path(sys.argv[1]), int(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
_write_final(folder, folder / "parts", tasks, {"sweep": "bench"}, "resume")
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

PARTS = """
import sys
from pathlib import Path
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
parts, tasks, per = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
parts.mkdir(parents=True)
iso3 = pa.array([f"S{i:03d}" for i in range(193)], pa.large_string())
names = ["signed_known", "signed_eligible", "signed_eligible_median", "accuracy", "brier", "text_matches",
         "poles", "bipolarity", "polarization"]
rng = np.random.default_rng(0)
for t in range(tasks):
    experiments = np.arange(t * per, (t + 1) * per)
    order = rng.permutation(per * 193)  # the states of a task come in seating order, not sorted
    outcomes = pa.table({"experiment": experiments, **{n: rng.random(per) for n in names}})
    states = pa.table({"experiment": np.repeat(experiments, 193), "iso3": pa.concat_arrays([iso3] * per),
                       "p_sign": rng.random(per * 193)}).take(order)
    pq.write_table(outcomes, parts / f"outcomes-{t:05d}.parquet")
    pq.write_table(states, parts / f"states-{t:05d}.parquet")
"""


def merge(experiments: int, replications: int) -> None:
    """The final merge of a sweep of ``experiments`` × ``replications`` (parts made up, tasks as a sweep cuts them)."""
    per_task = max(1, -(-256 // replications))
    tasks = -(-experiments // per_task)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([PYTHON, "-c", PARTS, f"{tmp}/parts", str(tasks), str(per_task)], check=True)
        done = subprocess.run(
            [PYTHON, "-c", MERGE, tmp, str(tasks)], capture_output=True, text=True, check=True
        )
        before, peak = (float(x) for x in done.stdout.split())
    print(
        f"a sweep's final merge, {experiments:,} experiments × {replications} replications ({tasks:,} parts): "
        f"peak {peak:.0f} MiB in the main process ({before:.0f} MiB before it; before streaming: a "
        f"10^6-replication sweep's main process peaked at {BEFORE_MERGE} MiB in its merge)"
    )


DESIGN = """
import sys, tracemalloc
from pathlib import Path
from wcitsim.experiments.sweep_run import _tasks
from wcitsim.experiments.sweeps import design_experiments, load_spec
spec_file, samples = Path(sys.argv[1]), int(sys.argv[2])
spec_file.write_text(
    f'[sweep]\\nname = "design"\\nscenario = "{sys.argv[3]}"\\ndesign = "lhs"\\nsamples = {samples}\\n'
    'replications = 5\\nseed = 1\\n[parameters."signing.intercept"]\\nbounds = [-0.3, 0.1]\\n'
    '[parameters."seeder.anchor_weight"]\\nbounds = [0.2, 0.6]\\n'
)
spec = load_spec(spec_file)
tracemalloc.start()
tasks = _tasks(spec, design_experiments(spec), None, 52)
todo = list(range(len(tasks)))
print(tracemalloc.get_traced_memory()[1] / 2**20)
"""


def design(samples: int) -> None:
    """What the main process of a sweep of ``samples`` experiments holds for its design and its tasks."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [PYTHON, "-c", DESIGN, f"{tmp}/spec.toml", str(samples), BASELINE.as_posix()],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    mib = float(done.stdout.split()[-1])
    print(
        f"a sweep's design and tasks, {samples:,} experiments (Latin hypercube, 2 parameters): {mib:.0f} MiB "
        f"in the main process ({mib * 2**20 / samples:.0f} bytes an experiment; before: 104 MiB, the seeds "
        "spawned at once and every task made before the first ran)"
    )


def startup() -> None:
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import wcitsim.cli"], capture_output=True, text=True
    )
    total = int(re.findall(r"\|\s+(\d+) \| wcitsim\.cli$", done.stderr, re.M)[-1]) / 1e6
    print("start-up (least wall time of 5):")
    print(f"  python -X importtime -c 'import wcitsim.cli': {total:.3f} s cumulative for wcitsim.cli")
    for label, argv in (
        ("wcitsim --help", [WCITSIM, "--help"]),
        ("wcitsim check scenarios/wcit2012.toml", [WCITSIM, "check", str(BASELINE)]),
        (
            "wcitsim run scenarios/wcit2012.toml --reps 1 --no-write",
            [WCITSIM, "run", str(BASELINE), "--reps", "1", "--no-write"],
        ),
        ("python -c pass", [PYTHON, "-c", "pass"]),
    ):
        print(f"  {label:<56} {best_wall(argv):.2f} s")
    print(
        f"  before: wcitsim run --reps 1 took {BEFORE_RUN_ONE} s; --help and check waited for pandas (0.25-0.28 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", default="1000,10000,100000", help="comma-separated replication counts")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 replications")
    parser.add_argument("--scenario", type=Path, default=BASELINE.relative_to(ROOT))
    parser.add_argument("--no-merge", action="store_true")
    parser.add_argument("--no-startup", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.reps.split(",") if n] + ([1_000_000] if args.million else [])
    if not args.no_startup:
        startup()
    if not args.no_merge:
        merge(20_000, 50)
        design(200_000)
    if counts:
        runs(args.scenario, counts)


if __name__ == "__main__":
    main()
