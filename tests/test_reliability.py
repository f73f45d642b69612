"""Interruptions and determinism: SIGKILL during a run, hash seeds, repeated runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from wcitsim.cli import main
from wcitsim.errors import DataError
from wcitsim.experiments.records import read_run

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"


def _tables(folder: Path) -> dict:
    run = read_run(folder)
    return {k: v for k, v in run.items() if isinstance(v, pd.DataFrame)}


@pytest.mark.parametrize("delay", [0.2, 0.8, 1.6, 2.4])
def test_sigkill_during_run_never_leaves_an_accepted_partial_folder(tmp_path, delay):
    """Kill `wcitsim run` at several points; whatever is left is either complete or refused; a rerun matches."""
    reference = tmp_path / "reference"
    assert main(["run", str(TOY), "--reps", "400", "--out", str(reference)]) == 0
    (expected_folder,) = (reference / "toy").iterdir()
    expected = _tables(expected_folder)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "wcitsim", "run", str(TOY), "--reps", "400", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for folder in (out / "toy").glob("*") if (out / "toy").exists() else []:
        if folder.name.startswith(".tmp-"):
            with pytest.raises(DataError):
                read_run(folder)
        else:  # a finished folder is complete
            for name, frame in _tables(folder).items():
                pd.testing.assert_frame_equal(frame, expected[name])
    assert main(["run", str(TOY), "--reps", "400", "--out", str(out)]) == 0
    (folder,) = [f for f in (out / "toy").iterdir() if not f.name.startswith(".tmp-")]
    for name, frame in _tables(folder).items():
        pd.testing.assert_frame_equal(frame, expected[name])


def _summary(env_seed: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "wcitsim", "run", str(TOY), "--reps", "12", "--json", "--no-write"],
        capture_output=True, text=True, timeout=120, check=True, env={**os.environ, "PYTHONHASHSEED": env_seed},
    )  # fmt: skip
    summary = json.loads(done.stdout)
    summary.pop("timing")
    return summary


def test_identical_results_across_hash_seeds():
    assert _summary("0") == _summary("12345") == _summary("random")


def test_read_run_refuses_incomplete_folders(tmp_path):
    assert main(["run", str(TOY), "--reps", "3", "--out", str(tmp_path), "--no-figures"]) == 0
    (folder,) = (tmp_path / "toy").iterdir()
    assert read_run(folder)["meta"]["replications"] == 3
    (folder / "votes.parquet").unlink()
    with pytest.raises(DataError, match="not a complete wcitsim run"):
        read_run(folder)
