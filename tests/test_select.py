"""``wcitsim select``: the calibration chosen by inner folds, scored out of fold as a procedure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.cli import main
from wcitsim.data import load_dataset
from wcitsim.io.scenario import load_scenario
from wcitsim.metrics import brier
from wcitsim.validation.crossval import cross_validate, make_folds
from wcitsim.validation.select import CANDIDATES, LOGIT, SELECTED, _simulation, select_calibration

TOY = Path(__file__).resolve().parent / "data" / "toy.toml"
DATA = load_dataset()
SMALL = {"k": 3, "inner": 2, "reps": 3, "seed": 0, "budget": 4}


@pytest.fixture(scope="module")
def toy():
    return load_scenario(TOY).replace(**{"seating.mode": "all"})


@pytest.fixture(scope="module")
def selection(toy):
    return select_calibration(toy, DATA, ("all", "six"), workers=1, **SMALL)


def test_the_chosen_calibration_is_the_lowest_inner_brier_and_predicts_its_fold(selection):
    assert list(selection.probability) == [SELECTED, "model (single_text)", selection.names["six"], LOGIT]
    assert selection.names["six"] == f"model (single_text), {CANDIDATES['six'].label}"
    for f in range(selection.plan.k):
        row = selection.inner_brier.loc[f]
        assert selection.chosen[f] == row.idxmin() and row[selection.chosen[f]] == row.min()
        test = selection.plan.split(f)[1]
        chosen_row = selection.names[selection.chosen[f]]
        pd.testing.assert_series_equal(
            selection.probability[SELECTED].loc[test], selection.probability[chosen_row].loc[test]
        )
    for p in selection.probability.values():
        assert p.notna().all() and len(p) == 100


def test_the_inner_brier_is_the_candidates_own_out_of_fold_brier_on_the_training_states(toy, selection):
    """Recomputed by hand for outer fold 0 and the six-coefficient candidate: calibrate on each inner training
    set, predict its inner held-out states, pool, and score against the record."""
    train = selection.plan.split(0)[0]
    inner = make_folds(DATA, SMALL["inner"], SMALL["seed"], states=train)
    assert sorted(inner.states) == sorted(train)
    sim = _simulation(toy, DATA, CANDIDATES["six"], SMALL["reps"], SMALL["seed"], SMALL["budget"])
    pooled = pd.concat([sim.fit(*inner.split(g)).probability for g in range(inner.k)])
    y = (DATA.record.loc[pooled.index, "decision"] == "signed").to_numpy()
    assert selection.inner_brier.loc[0, "six"] == pytest.approx(brier(pooled.to_numpy(float), y))
    # the six-coefficient candidate holds what the toy fits of it, and nothing else
    fitted = {p.path for p in sim.parameters}
    assert "signing.conformity" not in fitted and "seeder.covariate_weights.fh_total_score" not in fitted
    assert sim.scenario.signing.conformity == pytest.approx(1.5)  # the middle of 0–3
    assert {p.sd for p in sim.parameters} == {0.25}


def test_the_fixed_default_row_is_the_model_of_validate_on_the_same_folds(toy, selection):
    v = cross_validate(
        toy, DATA, k=SMALL["k"], reps=SMALL["reps"], seed=0, budget=SMALL["budget"], other_reps=1
    )
    np.testing.assert_array_equal(
        selection.probability["model (single_text)"].loc[list(v.plan.states)].to_numpy(),
        v.model.probability.to_numpy(),
    )
    assert selection.plan.fold == v.plan.fold


def test_select_command_writes_the_report_and_does_not_depend_on_the_workers(toy, tmp_path, capsys):
    scenario = tmp_path / "toy_all.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\nmode = "all"\n', encoding="utf-8")
    args = ["select", str(scenario), "--candidates", "all,prior", "--folds", "3", "--inner", "2", "--reps", "2",
            "--budget", "3"]  # fmt: skip
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "a"), "--json"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "b")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("wcitsim select: toy, 3 outer folds × 2 inner, seed 0; chosen all in")
    assert f"{SELECTED} vs logit: covariates + groups" in printed
    folder = tmp_path / "b" / "selection" / "toy-k3-i2-s0-r2-b3-all+prior"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["scores"] == two["scores"] and metrics["chosen"] == two["chosen"]
    assert metrics["fold_of"] and set(metrics["out_of_fold"]) == set(two["scores"])
    assert metrics["candidates"]["prior"] == {"row": "model (single_text), prior sd 0.25", "prior_sd": 0.25,
                                              "held": []}  # fmt: skip
    assert len(metrics["calibrated"]["all"]) == 3
    report = (folder / "report.md").read_text()
    assert "## The choice in each outer fold" in report and "| 3 |" in report
    assert f"`wcitsim select {scenario} --candidates all,prior --folds 3" in report  # the command as run


@pytest.mark.parametrize("value", ["all", "all,nonsense", "all,all", ""])
def test_bad_candidates_are_one_line(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        main(["select", str(TOY), "--candidates", value, "--out", str(tmp_path)])
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.value.code == 2 and "argument --candidates" in line
    assert "expected two or more different candidates, comma-separated, of all, prior, one-index" in line
    assert not any(tmp_path.iterdir())
