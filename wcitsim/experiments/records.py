"""Writing a run: Parquet tables, ``summary.json``, ``meta.json`` and figures, atomically.

A run folder is first written under a temporary name beside its final place and
then renamed, so a reader never sees a half-written run; an interrupted write
leaves only a ``.tmp-*`` folder that no reader accepts.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import FIELD_VIEWS
from wcitsim.experiments.runner import RunResult
from wcitsim.io.files import staged_folder, write_json_atomic
from wcitsim.metrics import known_decisions

__all__ = [
    "git_revision",
    "read_run",
    "run_folder",
    "tables",
    "write_run",
]

TABLES = ("countries", "replications", "sessions", "votes")  # and record_vote, when the agenda has its clause


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


def tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The run's tables: countries, replications, sessions and votes."""
    w, o = result.world, result.outcome
    ids = list(w.agenda.ids)
    known = known_decisions(w.record)
    replications = pd.DataFrame({"replication": np.arange(result.replications), "seed": result.seeds})
    replications["signed"] = o.signed.sum(axis=1)
    replications["signed_known"] = o.signed[:, known].sum(axis=1)
    replications["text_matches"] = (o.text == w.agenda.final_acts).sum(axis=1)
    for k, clause in enumerate(ids):
        replications[f"text_{clause}"] = o.text[:, k]
    r, s = o.drafts.shape[:2]
    sessions = pd.DataFrame(
        {
            "replication": np.repeat(np.arange(r), s + 1),
            "session": np.tile(np.arange(s + 1), r),
        }
    )
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
            "replication": np.repeat(np.arange(r), len(ids)),
            "clause": np.tile(ids, r),
            "contested": o.contested.ravel(),
            "yes": o.tallies[..., 0].ravel(),
            "no": o.tallies[..., 1].ravel(),
            "abstain": o.tallies[..., 2].ravel(),
        }
    )
    out = {
        "countries": result.countries(),
        "replications": replications,
        "sessions": sessions,
        "votes": votes,
    }
    vote = result.record_vote()
    if vote is not None:
        out["record_vote"] = vote
    return out


def run_folder(result: RunResult, out: Path) -> Path:
    """``OUT/<scenario>/s<seed>-r<replications>-<digest>-<engine>``: the same inputs, the same folder."""
    s = result.scenario
    return Path(out) / s.meta.name / f"s{result.seed}-r{result.replications}-{s.digest[:8]}-{result.engine}"


def _figures(result: RunResult, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wcitsim.plotting import plot_field, plot_sign_map, plot_text_by_session

    o, w = result.outcome, result.world
    if o.drafts.shape[1]:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_text_by_session(o.drafts, list(w.agenda.ids), w.agenda.final_acts, ax)
        fig.tight_layout()
        fig.savefig(folder / "text_by_session.png", dpi=120)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_field(o.field, FIELD_MEASURES, ax)
    fig.tight_layout()
    fig.savefig(folder / "field.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_sign_map(result.countries(), ax)
    fig.tight_layout()
    fig.savefig(folder / "sign_map.png", dpi=140)
    plt.close(fig)


def write_run(result: RunResult, out: Path, figures: bool = True) -> Path:
    """Write the run under ``out`` atomically and return its folder."""
    final = run_folder(result, out)
    with staged_folder(final, out) as staging:
        for name, frame in tables(result).items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        write_json_atomic(staging / "summary.json", result.summary())
        write_json_atomic(staging / "meta.json", _meta(result))
        if figures:
            _figures(result, staging)
    return final


def _meta(result: RunResult) -> dict:
    import mesa

    s = result.scenario
    return {
        "scenario": s.meta.name,
        "scenario_file": s.source,
        "scenario_digest": s.digest,
        "scenario_resolved": s.raw,
        "engine": result.engine,
        "root_seed": result.seed,
        "replication_seeds": result.seeds,
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
