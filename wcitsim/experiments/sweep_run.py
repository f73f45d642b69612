"""Run a sweep: experiments in tasks, results streamed to Parquet parts, resumable.

Layout of ``OUT/<sweep name>/``:

- ``spec.toml`` (a copy), ``meta.json`` (spec digest, versions), ``experiments.parquet``;
- ``parts/outcomes-NNNNN.parquet`` and ``parts/states-NNNNN.parquet``: one pair per
  finished task, each written to a temporary name and renamed (the outcomes file
  last, so it marks the task done);
- at the end, ``outcomes.parquet`` (one row per experiment, aligned with the
  experiments table) and ``states.parquet`` (per experiment and state: P(sign)).

``--resume`` skips the tasks whose outcomes part exists; since every experiment
carries its own seed, the final tables equal those of an uninterrupted run.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from wcitsim._version import __version__
from wcitsim.errors import UsageError
from wcitsim.experiments.executors import SerialExecutor
from wcitsim.experiments.sweeps import SweepSpec, design_experiments
from wcitsim.io.files import write_atomic, write_json_atomic

__all__ = ["TASK_REPLICATIONS", "run_sweep", "run_task", "sweep_folder"]

#: Replications per task: enough to amortise the per-task overhead.
TASK_REPLICATIONS = 256
_CACHE: dict = {}


def cached_dataset(directory=None):
    """The dataset of ``directory`` (default: the package's), loaded once per process."""
    from wcitsim.data import load_dataset

    key = str(directory)
    if key not in _CACHE:
        _CACHE[key] = load_dataset(directory)
    return _CACHE[key]


def run_task(task: dict) -> dict[str, pd.DataFrame]:
    """Run a task's experiments; return its outcomes and per-state tables (runs in a worker)."""
    from wcitsim.core.world import build_world, replication_seeds
    from wcitsim.experiments.runner import experiment_outcomes, run_outcome
    from wcitsim.io.scenario import scenario_from_dict

    data = cached_dataset(task["data_dir"])
    base = scenario_from_dict(task["scenario"], task["source"])
    outcomes, states = [], []
    for row in task["experiments"]:
        world = build_world(base.replace(**row["parameters"]), data)
        o = run_outcome(world, replication_seeds(row["seed"], task["replications"]), trace=False)
        values, p = experiment_outcomes(world, o, data)
        outcomes.append({"experiment": row["experiment"], **values})
        states.append(
            pd.DataFrame({"experiment": row["experiment"], "iso3": list(world.iso3), "p_sign": p.to_numpy()})
        )
    return {"outcomes": pd.DataFrame(outcomes), "states": pd.concat(states, ignore_index=True)}


def sweep_folder(spec: SweepSpec, out: Path) -> Path:
    """``OUT/<sweep name>``, the sweep's results folder."""
    return Path(out) / spec.sweep.name


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically, without its index."""
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _prepare(spec: SweepSpec, folder: Path, resume: bool, experiments: pd.DataFrame) -> None:
    meta_path = folder / "meta.json"
    if folder.exists() and any(folder.iterdir()):
        if not resume:
            raise UsageError(f"{folder}: a sweep is already there; expected --resume, or another --out")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UsageError(
                f"{folder}: not a wcitsim sweep folder (no readable meta.json); expected the folder of this sweep"
            ) from None
        if meta.get("spec_digest") != spec.digest:
            raise UsageError(
                f"{folder}: results of another sweep (spec digest {meta.get('spec_digest')}, this spec {spec.digest}); "
                "expected the folder this spec wrote"
            )
        return
    try:
        (folder / "parts").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(
            f"{folder}: cannot write results here ({err.strerror}); expected a writable folder"
        ) from None
    shutil.copy(spec.source, folder / "spec.toml")
    _write_parquet(experiments, folder / "experiments.parquet")
    meta = {
        "sweep": spec.sweep.name,
        "spec": spec.source,
        "spec_digest": spec.digest,
        "scenario_digest": spec.scenario.digest,
        "design": spec.sweep.design,
        "parameters": list(spec.parameters),
        "bounds": {n: list(p.bounds) for n, p in spec.parameters.items()},
        "levels": {n: list(p.levels) for n, p in spec.parameters.items()},
        "samples": spec.sweep.samples,
        "morris_levels": spec.sweep.levels,
        "scenario": spec.scenario.source,
        "eligible": None,
        "experiments": len(experiments),
        "replications": spec.sweep.replications,
        "root_seed": spec.sweep.seed,
        "wcitsim_version": __version__,
    }
    write_json_atomic(meta_path, meta)


def _tasks(spec: SweepSpec, experiments: pd.DataFrame, data_dir) -> list[dict]:
    per_task = max(1, math.ceil(TASK_REPLICATIONS / spec.sweep.replications))
    names = list(spec.parameters)
    rows = [
        {
            "experiment": int(r.experiment),
            "seed": int(r.seed),
            "parameters": {n: float(getattr(r, f"p{i}")) for i, n in enumerate(names)},
        }
        for r in experiments.rename(columns={n: f"p{i}" for i, n in enumerate(names)}).itertuples()
    ]
    return [
        {
            "task": t,
            "experiments": rows[i : i + per_task],
            "scenario": spec.scenario.raw,
            "source": spec.scenario.source,
            "replications": spec.sweep.replications,
            "data_dir": None if data_dir is None else str(data_dir),
        }
        for t, i in enumerate(range(0, len(rows), per_task))
    ]


def run_sweep(
    spec: SweepSpec,
    out: Path,
    executor,
    resume: bool = False,
    data_dir=None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Run (or resume) a sweep under ``out`` with ``executor`` and return its folder.

    Args:
        spec: The sweep.
        out: The folder the sweep's folder is written under.
        executor: Where the tasks run (:mod:`wcitsim.experiments.executors`); None runs them here.
        resume: Skip the tasks whose results are already in the folder.
        data_dir: The data folder (default: the package's).
        progress: Called after each task with (replications done, replications in all).
    """
    folder = sweep_folder(spec, out)
    experiments = design_experiments(spec)
    _prepare(spec, folder, resume, experiments)
    parts = folder / "parts"
    done = {int(p.stem.split("-")[1]) for p in parts.glob("outcomes-*.parquet")}
    tasks = _tasks(spec, experiments, data_dir)
    todo = [t for t in tasks if t["task"] not in done]
    reps = spec.sweep.replications
    total = len(experiments) * reps
    finished = (len(experiments) - sum(len(t["experiments"]) for t in todo)) * reps
    with executor if executor is not None else SerialExecutor() as ex:
        for task, result in ex.map_unordered(run_task, todo):
            _write_parquet(result["states"], parts / f"states-{task['task']:05d}.parquet")
            _write_parquet(result["outcomes"], parts / f"outcomes-{task['task']:05d}.parquet")
            finished += len(task["experiments"]) * reps
            if progress is not None:
                progress(finished, total)
    outcomes = pd.concat(
        [pd.read_parquet(p) for p in sorted(parts.glob("outcomes-*.parquet"))], ignore_index=True
    )
    states = pd.concat(
        [pd.read_parquet(p) for p in sorted(parts.glob("states-*.parquet"))], ignore_index=True
    )
    _write_parquet(outcomes.sort_values("experiment").reset_index(drop=True), folder / "outcomes.parquet")
    _write_parquet(
        states.sort_values(["experiment", "iso3"]).reset_index(drop=True), folder / "states.parquet"
    )
    return folder
