"""Validation and calibration: folds, leakage, baselines, the optimiser, the report, explain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.cli import main
from wcitsim.data import Dataset, load_dataset
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.calibrate import Parameter, calibrate, known_states, scenario_loss, write_calibrated
from wcitsim.validation.crossval import cross_validate, group_majority, logistic, make_folds

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()


def test_folds_partition_the_known_states_and_are_stratified():
    plan = make_folds(DATA, 5, seed=3)
    assert sorted(plan.states) == sorted(known_states(DATA)) and len(plan.states) == 96
    assert set(plan.fold.values()) == set(range(5))
    sizes = pd.Series(plan.fold).value_counts()
    assert sizes.max() - sizes.min() <= 1
    signed = DATA.record.loc[list(plan.states), "decision"] == "signed"
    per_fold = signed.groupby(pd.Series(plan.fold)).mean()
    assert per_fold.max() - per_fold.min() < 0.15  # stratified: each fold near 52/96
    assert make_folds(DATA, 5, seed=3) == plan
    loo = make_folds(DATA, "loo")
    assert loo.k == 96 and sorted(loo.fold.values()) == list(range(96))


def _flip(data: Dataset, iso: str) -> Dataset:
    record = data.record.copy()
    record.loc[iso, "decision"] = "signed" if record.at[iso, "decision"] == "not_signed" else "not_signed"
    return Dataset(data.states, record, data.facts, data.directory)


@pytest.mark.parametrize("iso", ["KEN", "FRA"])
def test_a_states_decision_never_moves_its_own_out_of_fold_prediction(iso):
    """Flip one recorded decision: the folds and every held-out prediction of that state stay the same."""
    scenario = load_scenario(ROOT / "scenarios" / "priors" / "wcit2012_prior.toml")
    plan = make_folds(DATA, 8, seed=1)
    flipped = _flip(DATA, iso)
    train, test = plan.split(plan.fold[iso])
    assert iso in test and iso not in train
    for make in (group_majority, logistic):
        before = make(DATA, scenario)(train, test)[0]
        after = make(flipped, scenario)(train, test)[0]
        assert before[iso] == pytest.approx(after[iso], abs=1e-12)
    # the calibrated simulation: calibrate on the training states of both records, tiny budget
    toy = load_scenario(TOY)
    states = ["USA", "DEU", "RUS", "CHN", "KEN", "BRA"]
    a = calibrate(toy, DATA, [s for s in states if s != "KEN"], budget=6, replications=4, seed=0)
    b = calibrate(
        toy, _flip(DATA, "KEN"), [s for s in states if s != "KEN"], budget=6, replications=4, seed=0
    )
    assert a.values == b.values


def test_calibration_finds_a_known_optimum_and_improves_the_training_loss():
    """With the intercept alone free, the fitted loss is never worse than the start and near a grid optimum."""
    toy = load_scenario(TOY)
    states = ["USA", "DEU", "RUS", "CHN", "KEN", "BRA"]
    intercept = Parameter("signing.intercept", -1.0, 1.0)
    result = calibrate(
        toy, DATA, states, budget=60, replications=8, seed=0, parameters=[intercept], start="midpoint"
    )
    assert result.loss <= result.loss_start
    grid = np.linspace(-1, 1, 81)
    losses = [scenario_loss(toy.replace(**{"signing.intercept": g}), DATA, states, 8, 0) for g in grid]
    assert result.loss <= min(losses) + 0.01
    assert abs(result.values["signing.intercept"] - grid[int(np.argmin(losses))]) < 0.1


def test_calibrated_scenario_file_loads_and_records_its_origin(tmp_path):
    toy = load_scenario(TOY)
    result = calibrate(
        toy, DATA, ["USA", "DEU", "RUS", "CHN", "KEN", "BRA"], budget=8, replications=4, seed=0
    )
    out = write_calibrated(
        result, TOY, tmp_path / "toy_calibrated.toml", "wcitsim calibrate toy.toml --budget 8"
    )
    text = out.read_text()
    assert text.startswith("# Calibrated by wcitsim") and "--budget 8" in text and "extends = " in text
    loaded = load_scenario(out)
    assert loaded.signing.intercept == pytest.approx(result.values["signing.intercept"], rel=1e-5)


def test_cross_validation_scores_every_predictor_on_the_same_folds(tmp_path):
    scenario = load_scenario(TOY).replace(**{"seating.mode": "all"})
    v = cross_validate(scenario, DATA, k=4, reps=4, seed=0, budget=4, tune=True, other_reps=1)
    scores = v.scores()
    assert list(scores) == [
        "everyone_signs", "group_majority", "logistic", "model (single_text)", "compromise", "expected_utility", "exchange",
    ]  # fmt: skip
    for s in scores.values():
        assert s["n_known"] == 96
        assert 0 <= s["brier"] <= 1 and 0 <= s["accuracy"] <= 1
    assert scores["everyone_signs"]["accuracy"] == pytest.approx(52 / 96)
    assert scores["everyone_signs"]["split"]["signed_median"] == 144
    assert "text" in scores["model (single_text)"] and "text" not in scores["logistic"]


def test_validate_command_writes_the_report(tmp_path, capsys):
    scenario = tmp_path / "toy_all.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\nmode = "all"\n', encoding="utf-8")
    code = main(
        ["validate", str(scenario), "--folds", "3", "--reps", "3", "--budget", "3", "--protocol-reps", "1",
         "--out", str(tmp_path), "--json"]
    )  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["scores"]) >= {"logistic", "group_majority", "everyone_signs", "model (single_text)"}
    folder = Path(printed["output"])
    assert {p.name for p in folder.iterdir()} == {
        "report.md",
        "metrics.json",
        "reliability.png",
        "errors_map.png",
        "regions.png",
    }
    report = (folder / "report.md").read_text()
    assert "## Scores (out of fold)" in report and "logistic regression" in report
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["folds"] == 3 and len(metrics["fold_of"]) == 96


def test_calibrate_command(tmp_path, capsys):
    out = tmp_path / "cal.toml"
    assert main(["calibrate", str(TOY), "--budget", "4", "--reps", "2", "--out", str(out)]) == 0
    assert "written to" in capsys.readouterr().out
    assert load_scenario(out).meta.name == "toy"


def test_explain_command(capsys):
    assert main(["explain", str(TOY), "KEN", "--reps", "5"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Kenya (KEN), group ATU")
    assert "total utility gain" in printed and "scope" in printed
    assert main(["explain", str(TOY), "FRA", "--reps", "2"]) == 2  # not seated
    assert "'FRA' is not seated" in capsys.readouterr().err


def test_explain_adds_up():
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.validation.explain import explain_state

    result = run_scenario(load_scenario(TOY), 10, 1)
    e = explain_state(result, "USA")
    assert sum(c["contribution"] for c in e["clauses"]) == pytest.approx(e["gain"])
    i = result.world.iso3.index("USA")
    assert e["gain"] == pytest.approx(float(result.outcome.gain[:, i].mean()))
