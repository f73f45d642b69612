"""Sweeps: specs, designs, executors, streaming, resume after SIGKILL, analysis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.cli import main
from wcitsim.experiments.executors import DaskExecutor, ProcessExecutor, SerialExecutor
from wcitsim.experiments.sweep_run import run_sweep
from wcitsim.experiments.sweeps import design_experiments, experiment_seeds, load_spec

ROOT = Path(__file__).resolve().parents[1]
TOY = (ROOT / "tests" / "data" / "toy.toml").as_posix()


def _spec(tmp_path: Path, body: str, name: str = "s") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[sweep]\nname = "{name}"\nscenario = "{TOY}"\n{body}', encoding="utf-8")
    return path


GRID = """design = "grid"
replications = 8
seed = 5
[parameters."signing.conformity"]
levels = [0.0, 0.5, 1.0]
[parameters."seeder.anchor_weight"]
levels = [0.2, 0.6]
"""


def test_grid_design_and_seeds(tmp_path):
    spec = load_spec(_spec(tmp_path, GRID))
    table = design_experiments(spec)
    assert len(table) == 6 and list(table.columns) == [
        "experiment",
        "signing.conformity",
        "seeder.anchor_weight",
        "seed",
    ]
    assert table["seed"].tolist() == experiment_seeds(5, 6)
    assert table["seed"].nunique() == 6


def test_salib_designs_match_salib(tmp_path):
    from SALib.sample import latin, morris, sobol

    body = 'design = "{d}"\nsamples = 8\nreplications = 2\nseed = 3\n[parameters."signing.conformity"]\nbounds = [0.0, 2.0]\n[parameters."seeder.anchor_weight"]\nbounds = [0.1, 0.9]\n'
    problem = {
        "num_vars": 2,
        "names": ["signing.conformity", "seeder.anchor_weight"],
        "bounds": [[0.0, 2.0], [0.1, 0.9]],
    }
    expected = {
        "sobol": sobol.sample(problem, 8, calc_second_order=False, seed=3),
        "lhs": latin.sample(problem, 8, seed=3),
        "morris": morris.sample(problem, 8, num_levels=4, seed=3),
    }
    for design, points in expected.items():
        spec = load_spec(_spec(tmp_path, body.format(d=design), design))
        np.testing.assert_allclose(design_experiments(spec)[problem["names"]].to_numpy(), points)


def test_sobol_indices_on_the_ishigami_function():
    """SALib's own known-answer check (Ishigami: S1 ≈ 0.314, 0.442, 0.0) through the analysis path we use."""
    from SALib.analyze import sobol
    from SALib.sample import sobol as sample
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = sample.sample(problem, 1024, calc_second_order=False, seed=1)
    res = sobol.analyze(problem, Ishigami.evaluate(x), calc_second_order=False, seed=1)
    np.testing.assert_allclose(res["S1"], [0.314, 0.442, 0.0], atol=0.05)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            GRID.replace("signing.conformity", "signing.conformty"),
            'parameters."signing.conformty": names no scenario field',
        ),
        (GRID.replace('design = "grid"', 'design = "factorial"'), "sweep.design: 'factorial' is not known"),
        (
            'design = "lhs"\n[parameters."signing.conformity"]\nbounds = [1.0, 0.5]\n',
            "low ≥ high; expected low < high",
        ),
        (
            'design = "sobol"\n[parameters."signing.conformity"]\nlevels = [1.0]\n',
            "bounds: []; expected [low, high]",
        ),
        ('design = "grid"\n[parameters."meta.name"]\nlevels = [1.0]\n', "expected a numeric scenario field"),
        (
            'design = "grid"\n[parameters."signing.temperature"]\nlevels = [0.0]\n',
            "0.0 is not valid for the scenario",
        ),
        ("replications = 0\n[parameters.x]\nlevels = [1]\n", "sweep.replications: 0 is out of range"),
    ],
)
def test_a_bad_spec_gets_one_line_and_exit_2(tmp_path, body, expected, capsys):
    path = _spec(tmp_path, body)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "out").exists()


def _run(spec_path: Path, out: Path, executor) -> pd.DataFrame:
    folder = run_sweep(load_spec(spec_path), out, executor)
    return pd.read_parquet(folder / "outcomes.parquet"), pd.read_parquet(folder / "states.parquet")


def test_identical_tables_on_1_and_2_workers_and_dask(tmp_path):
    spec = _spec(tmp_path, GRID)
    one, states_one = _run(spec, tmp_path / "a", SerialExecutor())
    two, states_two = _run(spec, tmp_path / "b", ProcessExecutor(2))
    dask, states_dask = _run(spec, tmp_path / "c", DaskExecutor("local", 2))
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)
    pd.testing.assert_frame_equal(states_one, states_two)
    pd.testing.assert_frame_equal(states_one, states_dask)
    assert len(one) == 6 and len(states_one) == 6 * 6


def test_resume_after_sigkill_equals_the_uninterrupted_run(tmp_path):
    body = GRID.replace("levels = [0.2, 0.6]", "levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]").replace(
        "replications = 8", "replications = 64"
    )
    spec = _spec(tmp_path, body)
    whole, _ = _run(spec, tmp_path / "whole", SerialExecutor())
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "wcitsim", "sweep", str(spec), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = out / "s" / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("outcomes-*.parquet"))) < 3:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(parts.glob("outcomes-*.parquet")))
    assert 0 < done < 24  # killed in the middle
    assert not (out / "s" / "outcomes.parquet").exists()
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 2  # refuses to mix without --resume
    assert main(["sweep", str(spec), "--out", str(out), "--resume", "--quiet"]) == 0
    resumed = pd.read_parquet(out / "s" / "outcomes.parquet")
    pd.testing.assert_frame_equal(whole, resumed)


def test_resume_refuses_another_sweeps_folder(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(_spec(tmp_path, GRID)), "--out", str(out), "--quiet"]) == 0
    other = _spec(tmp_path, GRID.replace("seed = 5", "seed = 6"))
    assert main(["sweep", str(other), "--out", str(out), "--resume", "--quiet"]) == 2
    assert "results of another sweep" in capsys.readouterr().err


def test_analyze_grid_and_sobol(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(_spec(tmp_path, GRID, "g")), "--out", str(out), "--quiet"]) == 0
    assert main(["analyze", str(out / "g")]) == 0
    assert {p.name for p in (out / "g" / "analysis").iterdir()} >= {
        "summary.md", "summary.csv", "region.csv", "heatmap_signed_eligible.png", "heatmap_accuracy.png",
    }  # fmt: skip
    body = 'design = "sobol"\nsamples = 8\nreplications = 4\nseed = 1\n[parameters."signing.conformity"]\nbounds = [0.0, 2.0]\n[parameters."seeder.anchor_weight"]\nbounds = [0.1, 0.9]\n'
    assert (
        main(["sweep", str(_spec(tmp_path, body, "sob")), "--out", str(out), "--workers", "2", "--quiet"])
        == 0
    )
    assert main(["analyze", str(out / "sob")]) == 0
    indices = pd.read_csv(out / "sob" / "analysis" / "indices.csv")
    assert set(indices.columns) >= {"S1", "S1_conf", "ST", "ST_conf"} and len(indices) == 2 * 5
    assert (out / "sob" / "analysis" / "indices_sobol.png").exists()
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "nothing")]) == 2


def test_shipped_sweep_specs_are_valid():
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.toml")):
        spec = load_spec(path)
        assert len(design_experiments(spec)) > 1


def test_ema_workbench_adapter_with_the_sequential_evaluator():
    ema = pytest.importorskip("ema_workbench")
    from wcitsim.experiments.ema import OUTCOMES, ema_model

    model = ema_model(
        ROOT / "tests" / "data" / "toy.toml",
        {"signing.conformity": (0.0, 2.0), "seeder.anchor_weight": (0.1, 0.9)},
        {"chair.host_bias": (0.0, 0.5)},
        replications=4,
    )
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=3, policies=2)
    assert len(experiments) == 6
    assert {"signing__conformity", "seeder__anchor_weight", "chair__host_bias"} <= set(experiments.columns)
    assert set(outcomes) == set(OUTCOMES)
    assert all(len(v) == 6 and np.isfinite(v).all() for v in outcomes.values())
    # the same inputs give the same outcomes (seeded replications)
    from wcitsim.experiments.ema import evaluate

    row = experiments.iloc[0]
    again = evaluate(
        ROOT / "tests" / "data" / "toy.toml",
        4,
        0,
        signing__conformity=row["signing__conformity"],
        seeder__anchor_weight=row["seeder__anchor_weight"],
        chair__host_bias=row["chair__host_bias"],
    )
    assert again["signed_eligible"] == pytest.approx(outcomes["signed_eligible"][0])
