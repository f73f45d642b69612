"""Interruptions and determinism: SIGKILL during a run, a killed sweep's workers, hash seeds, repeated runs."""

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
#: A toy sweep of 400 experiments × 256 replications: it runs for many seconds on two workers.
LONG_SWEEP = f"""[sweep]
name = "long"
scenario = "{TOY.as_posix()}"
design = "grid"
replications = 256
seed = 5
[parameters."signing.conformity"]
levels = [{", ".join(f"{0.05 * i:.2f}" for i in range(20))}]
[parameters."seeder.anchor_weight"]
levels = [{", ".join(f"{0.05 + 0.045 * i:.3f}" for i in range(20))}]
"""


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


@pytest.mark.parametrize(
    ("sig", "executor", "processes"),
    [
        (signal.SIGKILL, [], 4),  # forkserver, resource tracker, two workers
        (signal.SIGTERM, [], 4),
        (signal.SIGKILL, ["--scheduler", "local"], 3),  # resource tracker, two Dask workers
    ],
    ids=["sigkill", "sigterm", "sigkill-dask"],
)
def test_a_killed_sweep_leaves_no_worker_running(tmp_path, sig, executor, processes):
    """Kill a sweep's main process (kill -9 or SIGTERM): within seconds none of its processes is left."""
    from conftest import descendants, kill_all, still_running_after

    spec = tmp_path / "long.toml"
    spec.write_text(LONG_SWEEP, encoding="utf-8")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "wcitsim",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen([*cmd, *executor], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: list[int] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list((out / "long" / "parts").glob("outcomes-*.parquet")):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.05)
        started = descendants(proc.pid)
        assert len(started) >= processes, started  # the workers are running, and working
        assert proc.poll() is None
        os.kill(proc.pid, sig)
        proc.wait(timeout=10)
        assert not still_running_after(started, 10), "processes of the killed sweep are still running"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_all(started)
