"""Run a sweep: experiments in tasks, results streamed to Parquet parts, resumable.

Layout of ``OUT/<sweep name>/``:

- ``spec.toml`` (a copy), ``experiments.parquet`` and ``meta.json`` (the digests of
  the inputs, the tasks the experiments are cut into, versions): prepared in a
  staging folder and renamed into place, so the folder is there complete or not at all;
- ``parts/outcomes-NNNNN.parquet`` and ``parts/states-NNNNN.parquet``: one pair per
  finished task, each written to a temporary name and renamed (the outcomes file
  last, so it marks the task done);
- at the end, ``outcomes.parquet`` (one row per experiment, aligned with the
  experiments table) and ``states.parquet`` (per experiment and state: P(sign)), then
  ``meta.json`` again with their digests under ``finished``: only then is the sweep
  finished, and only then does ``wcitsim analyze`` read it.

``--resume`` skips the finished tasks; since every experiment carries its own seed,
the final tables equal those of an uninterrupted run. It refuses a folder whose
inputs differ from this sweep's (:func:`~wcitsim.experiments.sweeps.sweep_inputs`): the spec, the scenario as
resolved through ``extends``, the data files, the code that computes the results.
``--restart`` replaces a sweep's folder with a fresh one. Every refusal names the
command that fixes it.
"""

from __future__ import annotations

import json
import math
import shlex
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from wcitsim._version import __version__
from wcitsim.errors import UsageError
from wcitsim.experiments.executors import SerialExecutor
from wcitsim.experiments.sweeps import (
    SweepSpec,
    data_files,
    design_experiments,
    file_digest,
    library_versions,
    sweep_inputs,
)
from wcitsim.io.files import CannotWrite, remove_abandoned, staged_folder, write_atomic, write_json_atomic

__all__ = ["TASK_REPLICATIONS", "finished_tables", "run_sweep", "run_task", "sweep_folder"]

#: Replications per task: enough to amortise the per-task overhead.
TASK_REPLICATIONS = 256
#: What a sweep's folder may hold; a folder with anything else is not a sweep's, and is never replaced.
SWEEP_FILES = frozenset(
    {
        "spec.toml",
        "experiments.parquet",
        "meta.json",
        "parts",
        "outcomes.parquet",
        "states.parquet",
        "analysis",
    }
)
#: The inputs a resumed sweep must share with its start, as the refusal names them.
INPUTS = ("spec", "scenario", "data", "code")
_CACHE: dict = {}


def cached_dataset(directory=None):
    """The dataset of ``directory`` (default: the package's), loaded once per process and content."""
    from wcitsim.data import load_dataset

    stamps = [
        (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None for p in data_files(directory)
    ]
    key = (str(directory), tuple(stamps))  # a data folder edited since is loaded again
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
        o = run_outcome(
            world, replication_seeds(row["seed"], task["replications"]), trace=False, measure="deadline"
        )
        values, p = experiment_outcomes(world, o, data)
        outcomes.append({"experiment": row["experiment"], **values})
        states.append(
            pd.DataFrame({"experiment": row["experiment"], "iso3": list(world.iso3), "p_sign": p.to_numpy()})
        )
    return {"outcomes": pd.DataFrame(outcomes), "states": pd.concat(states, ignore_index=True)}


def sweep_folder(spec: SweepSpec, out: Path) -> Path:
    """``OUT/<sweep name>``, the sweep's results folder."""
    return Path(out) / spec.sweep.name


def _command(spec: SweepSpec, out: Path, data_dir, flag: str) -> str:
    """The ``wcitsim sweep`` command line for this sweep, with ``flag``."""
    words = ["wcitsim", "sweep", spec.source, "--out", str(out)]
    if data_dir is not None:
        words += ["--data-dir", str(data_dir)]
    return shlex.join([*words, flag])


def _differences(meta: dict, inputs: dict[str, str], spec: SweepSpec, data_dir) -> str:
    """What differs between the inputs recorded in ``meta`` and ``inputs``, in words."""
    before, versions = meta.get("inputs", {}), {"wcitsim": __version__, **library_versions()}
    then = {"wcitsim": meta.get("wcitsim_version"), **meta.get("libraries", {})}
    moved = [f"{name} {then.get(name)} → {versions.get(name)}" for name in {**then, **versions}
             if then.get(name) != versions.get(name)]  # fmt: skip
    words = {
        "spec": f"the spec {spec.source}",
        "scenario": f"the scenario {spec.scenario.source} (or a file it extends)",
        "data": f"the data files of --data-dir {data_dir}" if data_dir else "the package's data files",
        "code": f"the model's code ({', '.join(moved) or 'its source files'})",
    }
    return ", ".join(words[name] for name in INPUTS if before.get(name) != inputs[name])


def _ours(name: str) -> bool:
    """Whether a sweep writes an entry of this name in its folder (a table, a part, a temporary)."""
    return name in SWEEP_FILES or name.startswith(".tmp-") or (name.startswith(".") and name.endswith(".tmp"))


def _read_meta(folder: Path) -> dict | None:
    """The meta of the sweep in ``folder``: None when there is no folder (or an empty one), ``{}`` for a
    sweep's folder whose meta is unreadable; raise for a folder that is not a sweep's."""
    if not folder.exists() and not folder.is_symlink():
        return None
    if folder.is_symlink() or not folder.is_dir():
        raise UsageError(f"{folder}: a file is there; expected the folder of a sweep, or another --out")
    entries = [p.name for p in folder.iterdir()]
    foreign = [name for name in entries if not _ours(name)]
    if foreign:
        raise UsageError(
            f"{folder}: not a wcitsim sweep's folder (it holds {foreign[0]!r}); "
            "expected another --out, or another sweep.name"
        )
    if not entries:
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) and "inputs" in meta else {}


def _plan(spec, folder, out, data_dir, inputs, resume: bool, restart: bool) -> dict | None:
    """The meta of the sweep to continue, or None to prepare a new folder; refuse, naming the fix."""
    meta = _read_meta(folder)
    if meta is None or restart:
        return None
    if not meta:
        raise UsageError(
            f"{folder}: a sweep's folder without a readable record of its inputs (meta.json; an older wcitsim, "
            f"or damaged); expected to start it again: {_command(spec, out, data_dir, '--restart')}"
        )
    if not resume:
        if "finished" in meta:
            raise UsageError(
                f"{folder}: a finished sweep is already there; expected to analyse it (wcitsim analyze {folder}), "
                f"or to run it again: {_command(spec, out, data_dir, '--restart')}"
            )
        raise UsageError(
            f"{folder}: an unfinished sweep is already there; expected to continue it: "
            f"{_command(spec, out, data_dir, '--resume')} (or --restart to start it again)"
        )
    changed = _differences(meta, inputs, spec, data_dir)
    if changed:
        raise UsageError(
            f"{folder}: --resume: {changed} changed since the sweep started; expected the inputs it started "
            f"with, or to start it again with these: {_command(spec, out, data_dir, '--restart')}"
        )
    return meta


def _meta(spec: SweepSpec, inputs: dict, experiments: pd.DataFrame, per_task: int) -> dict:
    """What ``meta.json`` records of a sweep when it starts (its inputs; the tasks hold ``per_task`` experiments)."""
    return {
        "sweep": spec.sweep.name,
        "spec": spec.source,
        "spec_digest": spec.digest,
        "scenario_digest": spec.scenario.digest,
        "inputs": inputs,
        "libraries": library_versions(),
        "design": spec.sweep.design,
        "parameters": list(spec.parameters),
        "bounds": {n: list(p.bounds) for n, p in spec.parameters.items()},
        "levels": {n: list(p.levels) for n, p in spec.parameters.items()},
        "samples": spec.sweep.samples,
        "morris_levels": spec.sweep.levels,
        "scenario": spec.scenario.source,
        "eligible": None,
        "experiments": len(experiments),
        "task_experiments": per_task,
        "replications": spec.sweep.replications,
        "root_seed": spec.sweep.seed,
        "wcitsim_version": __version__,
    }


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically, without its index."""
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _prepare(spec: SweepSpec, folder: Path, out: Path, experiments: pd.DataFrame, meta: dict) -> None:
    """Write the sweep's folder before its first task, all at once (or replace an older one)."""
    with staged_folder(folder, out) as staging:
        (staging / "parts").mkdir()
        shutil.copyfile(spec.source, staging / "spec.toml")
        _write_parquet(experiments, staging / "experiments.parquet")
        write_json_atomic(staging / "meta.json", meta)


class _Tasks(Sequence):
    """The sweep's tasks, ``per_task`` consecutive experiments each, each made when read (never all at once)."""

    def __init__(self, spec: SweepSpec, experiments: pd.DataFrame, data_dir, per_task: int) -> None:
        self.spec, self.data_dir, self.per_task = spec, data_dir, per_task
        self.columns = {c: experiments[c].to_numpy() for c in ("experiment", "seed", *spec.parameters)}

    def rows(self, t: int) -> range:
        """The rows of the experiments of task ``t``."""
        return range(len(self.columns["seed"]))[t * self.per_task : (t + 1) * self.per_task]

    def __len__(self) -> int:
        return -(-len(self.columns["seed"]) // self.per_task)

    def __getitem__(self, t: int) -> dict:
        if not 0 <= t < len(self):
            raise IndexError(t)
        c, names = self.columns, list(self.spec.parameters)
        experiments = [
            {"experiment": int(c["experiment"][i]), "seed": int(c["seed"][i]),
             "parameters": {n: float(c[n][i]) for n in names}}
            for i in self.rows(t)
        ]  # fmt: skip
        return {"task": t, "experiments": experiments, "scenario": self.spec.scenario.raw,
                "source": self.spec.scenario.source, "replications": self.spec.sweep.replications,
                "data_dir": None if self.data_dir is None else str(self.data_dir)}  # fmt: skip


_tasks = _Tasks  # the tasks of a sweep's experiments


def finished_tables(folder: Path, meta: dict) -> bool:
    """Whether ``outcomes.parquet`` and ``states.parquet`` are the tables the sweep in ``folder`` finished with."""
    finished = meta.get("finished")
    if not isinstance(finished, dict):
        return False
    try:
        return all(
            file_digest(folder / f"{name}.parquet") == finished.get(name) for name in ("outcomes", "states")
        )
    except OSError:
        return False


def _read_part(path: Path, resume: str):
    """A task's part as an Arrow table, or the one-line refusal that says how to run the task again."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).read(use_threads=False)
    except (OSError, pa.ArrowException) as err:
        raise UsageError(
            f"{path}: not a table this sweep wrote ({str(err).splitlines()[0]}); expected to remove it "
            f"and run its task again: {resume}"
        ) from None


@contextmanager
def _continuable(folder: Path, resume: str) -> Iterator[None]:
    """Turn a write the disk refuses into one line that names the command continuing the sweep."""
    try:
        yield
    except (OSError, CannotWrite) as err:
        raise UsageError(f"{CannotWrite(folder, err)}, then: {resume}") from None


def _write_final(folder: Path, parts: Path, tasks: int, meta: dict, resume: str) -> None:
    """Join the parts into the final tables, then mark the sweep finished.

    The tables stream: each part is read, sorted and appended as one row group (the
    parts hold consecutive experiments, in task order), so the merge holds one part in
    memory whatever the size of the sweep; Arrow tables throughout, no pandas frames.
    """
    import pyarrow.parquet as pq

    def join(kind: str, order: list[str]) -> Callable[[Path], None]:
        def write(tmp: Path) -> None:
            writer = None
            try:
                for t in range(tasks):
                    part = _read_part(parts / f"{kind}-{t:05d}.parquet", resume)
                    table = part.sort_by([(column, "ascending") for column in order])
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table.cast(writer.schema))
                    del part, table
            finally:
                if writer is not None:
                    writer.close()

        return write

    write_atomic(folder / "outcomes.parquet", join("outcomes", ["experiment"]))
    write_atomic(folder / "states.parquet", join("states", ["experiment", "iso3"]))
    finished = {name: file_digest(folder / f"{name}.parquet") for name in ("outcomes", "states")}
    write_json_atomic(folder / "meta.json", {**meta, "finished": finished})


def run_sweep(
    spec: SweepSpec,
    out: Path,
    executor,
    resume: bool = False,
    data_dir=None,
    progress: Callable[[int, int], None] | None = None,
    restart: bool = False,
) -> Path:
    """Run (or resume, or restart) a sweep under ``out`` with ``executor`` and return its folder.

    Nothing is written before the executor has started, so a scheduler that cannot
    be reached leaves nothing behind.

    Args:
        spec: The sweep.
        out: The folder the sweep's folder is written under.
        executor: Where the tasks run (:mod:`wcitsim.experiments.executors`); None runs them here.
        resume: Continue the sweep in its folder (its inputs must be this sweep's).
        data_dir: The data folder (default: the package's).
        progress: Called after each task with (replications done, replications in all).
        restart: Replace the sweep's folder, finished or not, with a fresh one.

    Raises:
        UsageError: The folder holds another sweep, or this one without --resume or
            --restart, or the disk refuses a write (the message names the command to run next).
    """
    out = Path(out)
    folder = sweep_folder(spec, out)
    experiments = design_experiments(spec)
    cached_dataset(data_dir)  # the loaders check the data files before their digest reads them
    inputs = sweep_inputs(spec, data_dir)
    meta = _plan(spec, folder, out, data_dir, inputs, resume, restart)
    parts, resume_command = folder / "parts", _command(spec, out, data_dir, "--resume")
    if meta is not None:  # what killed writes left: a staging folder of a restart, parts, final tables
        with _continuable(folder, resume_command):
            for where, name in ((out, spec.sweep.name), (folder, None), (parts, None)):
                if where.is_dir():
                    remove_abandoned(where, name)
        if finished_tables(folder, meta):
            return folder
    with executor if executor is not None else SerialExecutor() as ex:
        if meta is None:
            per_task = max(1, math.ceil(TASK_REPLICATIONS / spec.sweep.replications))
            meta = _meta(spec, inputs, experiments, per_task)
            _prepare(spec, folder, out, experiments, meta)
        tasks = _tasks(spec, experiments, data_dir, meta["task_experiments"])
        with _continuable(folder, resume_command):
            parts.mkdir(exist_ok=True)
        done = {
            t
            for t in range(len(tasks))
            if (parts / f"outcomes-{t:05d}.parquet").is_file()
            and (parts / f"states-{t:05d}.parquet").is_file()
        }
        todo = [t for t in range(len(tasks)) if t not in done]
        reps = spec.sweep.replications
        total = len(experiments) * reps
        finished = (len(experiments) - sum(len(tasks.rows(t)) for t in todo)) * reps
        todo = (tasks[t] for t in todo)  # each task made as the executor takes it
        for task, result in ex.map_unordered(run_task, todo):
            with _continuable(folder, resume_command):
                _write_parquet(result["states"], parts / f"states-{task['task']:05d}.parquet")
                _write_parquet(result["outcomes"], parts / f"outcomes-{task['task']:05d}.parquet")
            finished += len(task["experiments"]) * reps
            if progress is not None:
                progress(finished, total)
        with _continuable(folder, resume_command):
            _write_final(folder, parts, len(tasks), meta, resume_command)
    return folder
