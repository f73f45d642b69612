"""Writing a run: Parquet tables, ``summary.json``, ``meta.json`` and figures, atomically.

A run folder is first written under a temporary name beside its final place and
then renamed, so a reader never sees a half-written run; an interrupted write
leaves only a ``.tmp-*`` folder that no reader accepts.

The per-replication tables (replications, sessions, votes, record_vote) are written
while the replications stream (:func:`stream_run`), a row group every
:data:`ROW_GROUP` replications, so writing a run holds the same memory for any
number of replications. The figures' 90 % bands need every value: they show the
first :data:`FIGURE_REPLICATIONS` replications (all of them in a smaller run).
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import FIELD_VIEWS, Outcome
from wcitsim.core.world import World
from wcitsim.data import Dataset
from wcitsim.experiments.instruments import record_vote_columns
from wcitsim.experiments.runner import (
    TRACED,
    RunResult,
    StreamedRun,
    run_settings,
    seed_batches,
    stream_scenario,
)
from wcitsim.io.files import json_text, staged_folder, write_json_atomic, writing_atomically
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import known_decisions

__all__ = [
    "FIGURE_REPLICATIONS",
    "ROW_GROUP",
    "RunWriter",
    "git_revision",
    "read_run",
    "replication_tables",
    "run_folder",
    "stream_run",
    "tables",
    "write_run",
]

TABLES = ("countries", "replications", "sessions", "votes")  # and record_vote, when the agenda has its clause
#: Replications per row group of the per-replication tables.
ROW_GROUP = 2048
#: The replications the figures show (the first ones: replications are independent draws).
FIGURE_REPLICATIONS = 10_000


def git_revision() -> str | None:
    """The git commit of the wcitsim source tree, if it is a git checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def replication_tables(
    world: World, outcome: Outcome, seeds: list[int], first: int = 0, vote: dict | None = None
) -> dict[str, pd.DataFrame]:
    """A batch's rows of the per-replication tables (replications, sessions, votes, record_vote).

    ``first`` is the index of the batch's first replication; ``vote`` its record-vote
    columns (:func:`~wcitsim.experiments.instruments.record_vote_columns`), if any.
    """
    o, ids = outcome, list(world.agenda.ids)
    known = known_decisions(world.record)
    r, s = o.drafts.shape[:2]
    index = np.arange(first, first + r)
    replications = pd.DataFrame({"replication": index, "seed": seeds})
    replications["signed"] = o.signed.sum(axis=1)
    replications["signed_known"] = o.signed[:, known].sum(axis=1)
    replications["text_matches"] = (o.text == world.agenda.final_acts).sum(axis=1)
    for k, clause in enumerate(ids):
        replications[f"text_{clause}"] = o.text[:, k]
    sessions = pd.DataFrame({"replication": np.repeat(index, s + 1), "session": np.tile(np.arange(s + 1), r)})
    for v, view in enumerate(FIELD_VIEWS):
        for m, measure in enumerate(FIELD_MEASURES):
            sessions[f"{measure}_{view}"] = o.field[:, :, v, m].ravel()
    drafted = sessions["session"] > 0
    sessions["projected_signatories"] = np.nan
    sessions.loc[drafted, "projected_signatories"] = o.projected.ravel()
    for k, clause in enumerate(ids):
        sessions[f"draft_{clause}"] = np.nan
        sessions.loc[drafted, f"draft_{clause}"] = o.drafts[:, :, k].ravel()
    votes = pd.DataFrame(
        {
            "replication": np.repeat(index, len(ids)),
            "clause": np.tile(ids, r),
            "contested": o.contested.ravel(),
            "yes": o.tallies[..., 0].ravel(),
            "no": o.tallies[..., 1].ravel(),
            "abstain": o.tallies[..., 2].ravel(),
        }
    )
    out = {"replications": replications, "sessions": sessions, "votes": votes}
    if vote is not None:
        text = {name: pd.array(vote[name], dtype="str") for name in ("mover", "supporter")}
        out["record_vote"] = pd.DataFrame({"replication": index, **vote, **text})
    return out


def tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The run's tables: countries, replications, sessions and votes (and record_vote)."""
    vote = record_vote_columns(result.world, result.outcome, result.data.facts)
    return {
        "countries": result.countries(),
        **replication_tables(result.world, result.outcome, result.seeds, 0, vote),
    }


def _folder(out: Path, scenario: Scenario, seed: int, replications: int, engine: str) -> Path:
    return Path(out) / scenario.meta.name / f"s{seed}-r{replications}-{scenario.digest[:8]}-{engine}"


def run_folder(result: RunResult | StreamedRun, out: Path) -> Path:
    """``OUT/<scenario>/s<seed>-r<replications>-<digest>-<engine>``: the same inputs, the same folder."""
    return _folder(out, result.scenario, result.seed, result.replications, result.engine)


class RunWriter:
    """A sink (:func:`~wcitsim.experiments.runner.stream_scenario`) writing a run folder as batches stream.

    It appends each batch's per-replication rows (unless ``per_replication`` is False)
    to Parquet files in ``folder``, a row group every :data:`ROW_GROUP` replications,
    and keeps what the figures need; :meth:`finish` writes the rest.
    """

    def __init__(self, folder: Path, per_replication: bool = True, figures: bool = True) -> None:
        self.folder, self.per_replication, self.figures = Path(folder), per_replication, figures
        self.pending: dict[str, list[pd.DataFrame]] = {}
        self.waiting = 0  # replications in self.pending
        self.writers: dict = {}
        self.sample: dict[str, list[np.ndarray]] = {"drafts": [], "field": []}
        self.kept = 0

    def __call__(
        self, world: World, first: int, seeds: list[int], outcome: Outcome, vote: dict | None
    ) -> None:
        if self.per_replication:
            for name, frame in replication_tables(world, outcome, seeds, first, vote).items():
                self.pending.setdefault(name, []).append(frame)
            self.waiting += len(seeds)
            if self.waiting >= ROW_GROUP:
                self._flush()
        if self.figures and self.kept < FIGURE_REPLICATIONS:
            for name, kept in self.sample.items():
                kept.append(getattr(outcome, name)[: FIGURE_REPLICATIONS - self.kept].copy())
            self.kept += len(self.sample["field"][-1])

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        for name, frames in self.pending.items():
            table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
            if name not in self.writers:
                self.writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema)
            self.writers[name].write_table(table.cast(self.writers[name].schema))
        self.pending, self.waiting = {}, 0

    def close(self, flush: bool = True) -> None:
        """Write the rows still waiting (unless ``flush`` is False: a failed run) and close the tables."""
        try:
            if flush and self.waiting:
                self._flush()
        finally:
            for writer in self.writers.values():
                writer.close()
            self.writers = {}

    def finish(self, run: RunResult | StreamedRun) -> None:
        """Close the tables; write the countries table, ``summary.json``, ``meta.json`` and the figures."""
        self.close()
        run.countries().to_parquet(self.folder / "countries.parquet", index=False)
        write_json_atomic(self.folder / "summary.json", run.summary())
        _write_meta(self.folder / "meta.json", _meta(run), seed_batches(run.seed, run.replications, 4096))
        if self.figures:
            drafts, field = (np.concatenate(self.sample[name]) for name in ("drafts", "field"))
            _figures(drafts, field, run.countries(), run.world, self.folder)


def stream_run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    data: Dataset | None = None,
    out: Path | None = None,
    figures: bool = True,
    per_replication: bool = True,
    traced: int | None = TRACED,
) -> tuple[StreamedRun, Path | None]:
    """Run a scenario's replications as a stream and, with ``out``, write its run folder as they come.

    Returns the run and its folder (None without ``out``). No replication's outcome is
    kept: the summary is tallied, the per-replication tables are written a row group at
    a time (none with ``per_replication`` False), so memory does not grow with the
    replications.
    """
    replications, seed, engine, data = run_settings(scenario, replications, seed, engine, data)
    if out is None:
        return stream_scenario(scenario, replications, seed, engine, data, traced=traced), None
    final = _folder(out, scenario, seed, replications, engine)
    with staged_folder(final, out) as staging:
        writer = RunWriter(staging, per_replication, figures)
        try:
            run = stream_scenario(scenario, replications, seed, engine, data, sink=writer, traced=traced)
        except BaseException:
            writer.close(flush=False)
            raise
        writer.finish(run)
    return run, final


def _figures(
    drafts: np.ndarray, field: np.ndarray, countries: pd.DataFrame, world: World, folder: Path
) -> None:
    """The figures: the drafts by session (R × S × K), the field (R × (S+1) × 2 × M), the map of ``countries``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wcitsim.plotting import plot_field, plot_sign_map, plot_text_by_session

    if drafts.shape[1]:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_text_by_session(drafts, list(world.agenda.ids), world.agenda.final_acts, ax)
        fig.tight_layout()
        fig.savefig(folder / "text_by_session.png", dpi=120)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_field(field, FIELD_MEASURES, ax)
    fig.tight_layout()
    fig.savefig(folder / "field.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_sign_map(countries, ax)
    fig.tight_layout()
    fig.savefig(folder / "sign_map.png", dpi=140)
    plt.close(fig)


def write_run(result: RunResult, out: Path, figures: bool = True) -> Path:
    """Write a kept run under ``out`` atomically and return its folder."""
    final = run_folder(result, out)
    with staged_folder(final, out) as staging:
        writer = RunWriter(staging, figures=figures)
        try:
            vote = record_vote_columns(result.world, result.outcome, result.data.facts)
            writer(result.world, 0, result.seeds, result.outcome, vote)
        except BaseException:
            writer.close(flush=False)
            raise
        writer.finish(result)
    return final


#: What stands for the replications' seeds in ``meta.json`` until they are written, a batch at a time.
_SEEDS = "\u0000replication_seeds"


def _write_meta(path: Path, meta: dict, seeds: Iterator[list[int]]) -> None:
    """``meta.json`` as :func:`~wcitsim.io.files.json_text` writes ``meta``, its seeds streamed from ``seeds``."""
    key = f'\n  "replication_seeds": {json.dumps(_SEEDS)}'
    before, after = json_text({**meta, "replication_seeds": _SEEDS}).split(key)
    with writing_atomically(path) as handle:
        handle.write(f'{before}\n  "replication_seeds": [')
        separator = ""
        for batch in seeds:
            handle.write(separator + ",".join(f"\n    {seed}" for seed in batch))
            separator = ","
        handle.write("\n  ]" + after)


def _meta(result: RunResult | StreamedRun) -> dict:
    import mesa

    s = result.scenario
    return {
        "scenario": s.meta.name,
        "scenario_file": s.source,
        "scenario_digest": s.digest,
        "scenario_resolved": s.raw,
        "engine": result.engine,
        "root_seed": result.seed,
        "replication_seeds": None,
        "replications": result.replications,
        "wcitsim_version": __version__,
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "mesa": mesa.__version__,
        "seconds": result.seconds,
    }


def read_run(folder: Path) -> dict[str, object]:
    """Read a run folder written by :func:`write_run`; refuse a staging folder or an incomplete one."""
    from wcitsim.errors import DataError

    folder = Path(folder)
    if folder.name.startswith(".tmp-"):
        raise DataError(f"{folder}: a staging folder of an unfinished write; expected a run folder")
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    except (OSError, ValueError) as err:
        raise DataError(
            f"{folder}: not a complete wcitsim run ({err}); expected a folder written by wcitsim run"
        ) from None
    return {"meta": meta, "summary": summary, **frames}
