"""Sweeps: specs, designs and their size bound, executors, streaming, resume after SIGKILL, refusals that name
the fix, analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wcitsim.cli import main
from wcitsim.errors import ScenarioError, UsageError
from wcitsim.experiments import sweeps
from wcitsim.experiments.analysis import wide_intervals
from wcitsim.experiments.executors import DaskExecutor, ProcessExecutor, SerialExecutor
from wcitsim.experiments.sweep_run import _tasks, run_sweep
from wcitsim.experiments.sweeps import (
    design_experiments,
    experiment_bytes,
    experiment_count,
    experiment_seeds,
    import_closure,
    load_spec,
    max_experiments,
)

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
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"--resume: the spec {other} changed since the sweep started" in err
    assert err.endswith(f"wcitsim sweep {other} --out {out} --restart")


def test_a_plain_rerun_names_the_command_that_continues_or_restarts(tmp_path, capsys):
    out, spec = tmp_path / "out", _spec(tmp_path, GRID)
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 2
    assert f"a finished sweep is already there; expected to analyse it (wcitsim analyze {out / 's'})" in (
        capsys.readouterr().err
    )
    meta = json.loads((out / "s" / "meta.json").read_text())
    del meta["finished"]  # as if killed before its final tables
    (out / "s" / "meta.json").write_text(json.dumps(meta))
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 2
    assert f"expected to continue it: wcitsim sweep {spec} --out {out} --resume" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep", str(spec), "--out", str(out), "--resume", "--restart"])


def test_a_folder_that_is_not_a_sweeps_is_never_replaced(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "s").mkdir(parents=True)
    (out / "s" / "thesis.tex").write_text("mine")
    for flags in ([], ["--resume"], ["--restart"]):
        assert main(["sweep", str(_spec(tmp_path, GRID)), "--out", str(out), "--quiet", *flags]) == 2
        assert "not a wcitsim sweep's folder (it holds 'thesis.tex')" in capsys.readouterr().err
    assert [p.name for p in (out / "s").iterdir()] == ["thesis.tex"]


class _Unreachable:
    """An executor whose start fails, as a Dask scheduler that cannot be reached."""

    def __enter__(self):
        raise UsageError("--scheduler tcp://10.0.0.1:8786: cannot connect; expected a running Dask scheduler")

    def __exit__(self, *exc):
        return None


def test_a_failed_executor_start_writes_nothing_and_the_retry_runs(tmp_path):
    spec, out = load_spec(_spec(tmp_path, GRID)), tmp_path / "out"
    with pytest.raises(UsageError, match="cannot connect"):
        run_sweep(spec, out, _Unreachable())
    assert not out.exists()
    assert len(pd.read_parquet(run_sweep(spec, out, SerialExecutor()) / "outcomes.parquet")) == 6


def test_a_worker_that_dies_is_one_line_naming_resume():
    ended = pytest.raises(UsageError, match=r"a worker process ended in the middle of a task.*--resume")
    with ended, ProcessExecutor(1) as ex:
        list(ex.map_unordered(os._exit, [1]))


def test_analyze_refuses_a_sweep_whose_final_tables_do_not_match(tmp_path, capsys):
    out, spec = tmp_path / "out", _spec(tmp_path, GRID)
    assert main(["sweep", str(spec), "--out", str(out), "--quiet"]) == 0
    folder = out / "s"
    finished = (folder / "outcomes.parquet").read_bytes()
    fix = f"expected to finish it first: wcitsim sweep {spec} --out {out} --resume"
    for damage in ("killed between the outcomes and states writes", "states replaced", "outcomes replaced"):
        if damage.startswith("killed"):
            (folder / "states.parquet").unlink()
        elif damage == "states replaced":
            pd.read_parquet(folder / "states.parquet").head(3).to_parquet(folder / "states.parquet")
        else:
            pd.read_parquet(folder / "outcomes.parquet").iloc[::-1].to_parquet(folder / "outcomes.parquet")
        capsys.readouterr()
        assert main(["analyze", str(folder)]) == 2, damage
        err = capsys.readouterr().err.strip()
        assert "the sweep has not finished" in err and err.endswith(fix) and len(err.splitlines()) == 1, err
        assert main(["sweep", str(spec), "--out", str(out), "--resume", "--quiet"]) == 0  # the fix it names
        assert (folder / "outcomes.parquet").read_bytes() == finished
        assert main(["analyze", str(folder)]) == 0


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
    capsys.readouterr()
    assert main(["analyze", str(out / "sob")]) == 0
    printed = capsys.readouterr()
    indices = pd.read_csv(out / "sob" / "analysis" / "indices.csv")
    assert set(indices.columns) >= {"S1", "S1_conf", "ST", "ST_conf"} and len(indices) == 2 * 5
    header = (out / "sob" / "analysis" / "indices_sobol.png").read_bytes()[16:24]
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
    assert width / height <= 2.5, (width, height)
    # N = 8: the warning names every interval wider than its index (or than 0.05), on stderr and in the summary
    wide = wide_intervals(indices, 8)
    assert not wide.empty
    warning = f"{len(wide)} of 20 Sobol confidence intervals are wider than their index"
    assert f"wcitsim analyze: warning: {warning}" in printed.err and f"**Warning**: {warning}" in printed.out
    assert f"about N = {wide['samples_needed'].max():,} would do" in printed.err
    # the bootstrap intervals are seeded: the same tables again
    assert main(["analyze", str(out / "sob")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "sob" / "analysis" / "indices.csv"), indices)
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


SIZES = st.fixed_dictionaries(
    {
        "design": st.sampled_from(["grid", "lhs", "sobol", "morris"]),
        "samples": st.integers(1, 12),
        "levels": st.lists(st.integers(1, 4), min_size=1, max_size=3),
    }
)


@given(size=SIZES)
@settings(max_examples=25, deadline=None)
def test_experiment_count_is_the_size_of_the_design(tmp_path_factory, size):
    names = ["signing.conformity", "seeder.anchor_weight", "protocol.concession"][: len(size["levels"])]
    body = f'design = "{size["design"]}"\nsamples = {size["samples"]}\nreplications = 2\nlevels = 4\n'
    for name, count in zip(names, size["levels"], strict=True):
        values = [0.1 * (i + 1) for i in range(count)]
        body += f'[parameters."{name}"]\n' + (
            f"levels = {values}\n" if size["design"] == "grid" else "bounds = [0.1, 0.9]\n"
        )
    spec = load_spec(_spec(tmp_path_factory.mktemp("spec"), body))
    assert experiment_count(spec.sweep, spec.parameters) == len(design_experiments(spec))


#: Twelve numeric fields of the toy scenario, with ten valid levels each.
TWELVE = {
    "seeder.anchor_weight": 1.0, "seeder.position_noise": 1.0, "chair.host_bias": 1.0, "protocol.influence": 1.0,
    "protocol.concession": 1.0, "protocol.session_noise": 1.0, "protocol.alignment": 1.0,
    "voting.consensus_share": 1.0, "voting.abstain_band": 1.0, "signing.conformity": 2.0,
    "signing.persuasion": 1.0, "signing.lost_vote": 1.0,
}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "key", "count"),
    [
        (
            'design = "sobol"\nsamples = 10000000\n[parameters."signing.conformity"]\nbounds = [0.0, 2.0]\n'
            '[parameters."seeder.anchor_weight"]\nbounds = [0.1, 0.9]\n',
            "sweep.samples: 10000000 samples (sobol: N × (D + 2), D = 2)",
            "40,000,000",
        ),
        (
            'design = "grid"\n'
            + "".join(
                f'[parameters."{name}"]\nlevels = {[round(top * i / 10, 2) for i in range(10)]}\n'
                for name, top in TWELVE.items()
            ),
            "parameters: " + " × ".join(["10"] * 12) + " levels",
            "1,000,000,000,000",
        ),
    ],
    ids=["sobol-1e7", "grid-12x10"],
)
def test_a_design_the_machine_cannot_hold_is_refused_before_it_is_made(tmp_path, capsys, body, key, count):
    assert main(["check", str(_spec(tmp_path, body))]) == 2
    err = capsys.readouterr().err.strip()
    most = max_experiments(2 if "sobol" in body else 12)
    assert f"{key} make {count} experiments; expected at most {most:,} on this machine" in err, err
    assert len(err.splitlines()) == 1


def test_the_bound_follows_the_machines_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(sweeps, "machine_memory", lambda: 64 * 2**20)
    assert max_experiments(2) == 32 * 2**20 // experiment_bytes(2) == 32 * 2**20 // 1792 == 18_724
    levels = [round(0.01 * i, 2) for i in range(101)]
    body = f'[parameters."signing.conformity"]\nlevels = {levels}\n[parameters."seeder.anchor_weight"]\nlevels = '
    load_spec(_spec(tmp_path, body + "[0.1, 0.2]\n"))  # 202 experiments
    with pytest.raises(
        ScenarioError, match=r"101 × 200 levels make 20,200 experiments; expected at most 18,724"
    ):
        load_spec(_spec(tmp_path, body + f"{[round(0.001 * (i + 1), 3) for i in range(200)]}\n"))


@pytest.mark.parametrize("count", [1, 12])
def test_the_main_process_holds_less_than_the_bound_per_experiment(tmp_path, count):
    """The design table and the tasks (one experiment each: the most of them), measured."""
    body = 'design = "lhs"\nsamples = 5000\nreplications = 256\n' + "".join(
        f'[parameters."{name}"]\nbounds = [0.0, {top}]\n' for name, top in list(TWELVE.items())[:count]
    )
    spec = load_spec(_spec(tmp_path, body))
    tracemalloc.start()
    try:
        experiments = design_experiments(spec)
        tasks = _tasks(spec, experiments, None, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(tasks) == 5_000
    assert peak / 5_000 < experiment_bytes(count), peak / 5_000


def test_the_code_fingerprint_follows_every_import_of_the_package(tmp_path):
    package = tmp_path / "pkgx"
    (package / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "import numpy\nfrom pkgx import b\n\ndef later():\n    from .sub import c\n",
        "b.py": "try:\n    from . import d\nexcept ImportError:\n    pass\n",
        "sub/__init__.py": "",
        "sub/c.py": "import json\n",
        "d.py": "",
        "unused.py": "import scipy\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    sources, libraries = import_closure("pkgx.a", package)
    assert set(sources) == {"pkgx", "pkgx.a", "pkgx.b", "pkgx.d", "pkgx.sub", "pkgx.sub.c"}
    assert libraries == {"numpy"}
    real, _ = import_closure("wcitsim.experiments.sweep_run", ROOT / "wcitsim")
    assert {"wcitsim.core.world", "wcitsim.experiments.runner", "wcitsim.io.scenario", "wcitsim.data"} <= set(
        real
    )
    assert not [name for name in real if name.startswith(("wcitsim.cli", "wcitsim.teach"))]


def test_more_replications_than_the_memory_holds_are_refused_before_anything_is_written(
    tmp_path, capsys, monkeypatch
):
    from wcitsim.cli import options

    monkeypatch.setattr(options, "machine_memory", lambda: 2**14)
    spec = _spec(tmp_path, GRID)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{spec}: sweep.replications 8: about" in err and "expected at most" in err, err
    assert not (tmp_path / "out").exists()
