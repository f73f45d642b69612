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
    assert metrics["produced_by"]["command"].startswith("wcitsim select ")
    assert metrics["fold_of"] and set(metrics["out_of_fold"]) == set(two["scores"])
    assert metrics["candidates"]["prior"] == {"row": "model (single_text), prior sd 0.25", "prior_sd": 0.25,
                                              "held": []}  # fmt: skip
    assert len(metrics["calibrated"]["all"]) == 3 and set(metrics["calibrated"]["all"][0]) == {"coefficients"}
    report = (folder / "report.md").read_text()
    assert "## The choice in each outer fold" in report and "| 3 |" in report
    assert f"`wcitsim select {scenario} --candidates all,prior --folds 3" in report  # the command as run


@pytest.mark.parametrize(
    ("value", "what"),
    [("all", "one candidate"), ("all,nonsense", "no candidate 'nonsense'"), ("all,prior,all", "'all' twice"),
     ("", "no candidate ''")],
)  # fmt: skip
def test_bad_candidates_are_one_line(value, what, tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        main(["select", str(TOY), "--candidates", value, "--out", str(tmp_path)])
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.value.code == 2 and f"argument --candidates: {value!r}: {what}; " in line
    assert "expected two or more different candidates, comma-separated, of all, prior, one-index" in line
    assert not any(tmp_path.iterdir())


def _error(args, capsys) -> str:
    assert main(args) == 2
    return capsys.readouterr().err.strip()


def test_inner_folds_a_training_set_cannot_be_split_into_are_refused_before_any_work(tmp_path, capsys):
    """The toy seats 6 states: leave-one-out leaves 5 to train on, one per stratum, so no inner folds but 5."""
    out = tmp_path / "out"
    line = _error(["select", str(TOY), "--folds", "loo", "--inner", "3", "--out", str(out)], capsys)
    assert line == ("wcitsim: error: --inner 3: the 5 training states of outer fold 1 cannot be split into 3 folds "
                    "stratified by decision and ITU region; expected 5 (inner folds every outer fold's training states allow)")  # fmt: skip
    assert not out.exists()


def test_candidates_that_calibrate_the_scenario_alike_are_refused(tmp_path, capsys):
    """A scenario that fits no covariate weight: one-index holds nothing there, so it is `all` under another name;
    the report would otherwise say it held four weights."""
    scenario = tmp_path / "one_weight.toml"
    text = TOY.read_text(encoding="utf-8").replace("fh_total_score = 0.5\ngdp_pc_ppp_2012 = 0.25\n", "")
    scenario.write_text(text.replace('mode = "list"', 'mode = "all"'), encoding="utf-8")
    from wcitsim.validation.calibrate import parameters_for

    assert not any("covariate_weights" in p.path for p in parameters_for(load_scenario(scenario)))
    line = _error(
        ["select", str(scenario), "--candidates", "all,one-index", "--out", str(tmp_path / "o")], capsys
    )
    assert "--candidates all,one-index: all and one-index calibrate" in line and line.endswith("drop one")


def test_the_report_names_only_what_a_candidate_holds(selection):
    """The toy fits two covariate weights and no lost-vote mechanism: `six` holds those two and conformity."""
    from wcitsim.validation.select import describe, held_by

    held = held_by(selection.scenario, CANDIDATES["six"])
    assert held == ("seeder.covariate_weights.fh_total_score", "seeder.covariate_weights.gdp_pc_ppp_2012",
                    "signing.conformity")  # fmt: skip
    assert describe(CANDIDATES["six"], selection.scenario).endswith(", ".join(held))
    assert describe(CANDIDATES["all"], selection.scenario) == "no prior; nothing held"


def test_a_seed_the_calibration_cannot_take_is_refused(tmp_path, capsys):
    for command in ("select", "validate", "calibrate"):
        with pytest.raises(SystemExit) as err:
            main([command, str(TOY), "--seed", str(2**32 - 1), "--out", str(tmp_path / "x")])
        assert err.value.code == 2
        assert "--seed: 4294967295 is out of range; expected 0 ≤ seed < 4294967295" in capsys.readouterr().err


def test_an_out_whose_results_folder_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    for command in ("select", "validate"):
        out = tmp_path / command
        out.mkdir()
        (out / ("selection" if command == "select" else "validation")).write_text("x", encoding="utf-8")
        inner = ["--inner", "5"] if command == "select" else []
        line = _error([command, str(TOY), "--folds", "loo", *inner, "--out", str(out)], capsys)
        assert line.startswith(f"wcitsim: error: --out {out}/") and "expected a writable folder" in line
