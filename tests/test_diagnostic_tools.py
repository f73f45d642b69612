"""The diagnostic tools: tools/synthetic_truth.py (the synthetic record, a draw's summary),
tools/consensus_test.py (objecting against voting no), by hand and by the rules' logic, and
tools/objection_profile.py (the calibration's loss term by term, checked against the run's)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import load_tool

from wcitsim.data import load_dataset
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _tool(name="synthetic_truth"):
    return load_tool(name)


def test_the_synthetic_record_changes_the_known_decisions_only_and_says_so(tmp_path):
    tool = _tool()
    real = load_dataset().record
    known = real.index[real["decision"].isin(["signed", "not_signed"])]
    # the first 20 known decisions reversed, the others kept (within the facts' 89 and 55 either way)
    flipped = {iso: (real.loc[iso, "decision"] == "signed") != (n < 20) for n, iso in enumerate(known)}
    folder = tool.write_synthetic_data(tmp_path / "data", flipped, "synthetic: a test")
    fake = load_dataset(folder).record  # the package's own checks accept it
    assert (
        fake.loc[known, "decision"] == np.where([flipped[i] for i in known], "signed", "not_signed")
    ).all()
    assert (fake.loc[known, "confidence"] == real.loc[known, "confidence"]).all()
    assert (fake.loc[known, "evidence"] == "synthetic: a test").all()
    unknown = real.index.difference(known)
    assert (fake.loc[unknown, "decision"] == "unknown").all()
    assert fake.loc[unknown].equals(real.loc[unknown])
    assert (load_dataset(folder).states.index == load_dataset().states.index).all()


def test_a_draw_is_summarised_from_its_metrics_by_hand():
    tool = _tool()
    truth = {"AAA": True, "BBB": False}
    oracle = {"AAA": 0.9, "BBB": 0.3}  # (0.1² + 0.3²) / 2 = 0.05
    world = {"AAA": 0.5, "BBB": 0.5}  # 0.25
    scores = {
        "model (single_text)": {"kind": "model", "brier": 0.10},
        "no conference": {"kind": "ablation", "brier": 0.12},
        "compromise": {"kind": "ablation", "brier": 0.11},
        "logit: covariates + groups": {"kind": "baseline", "brier": 0.09},
    }

    def pair(b, difference, lo, hi):
        return {"a": "model (single_text)", "b": b, "brier": {"difference": difference, "interval": [lo, hi]}}

    metrics = {"scores": scores, "comparisons": [pair("no conference", -0.02, -0.04, -0.001),
                                                 pair("compromise", -0.01, -0.03, 0.01)]}  # fmt: skip
    row = tool.summarise_draw(3, metrics, truth, oracle, world)
    assert row["draw"] == 3 and row["signed_known"] == 1
    assert row["oracle_brier"] == pytest.approx(0.05) and row["world_brier"] == pytest.approx(0.25)
    assert row["vs_no_conference_hi"] == -0.001 and row["vs_compromise_lo"] == -0.03
    assert row["beats_both"] is False  # the compromise's interval reaches above 0
    metrics["comparisons"][1] = pair("compromise", -0.01, -0.03, -0.002)
    assert tool.summarise_draw(3, metrics, truth, oracle, world)["beats_both"] is True
    assert tool._table([row]).splitlines()[0] == ",".join(tool.COLUMNS)


def test_the_world_expects_the_mean_of_p_times_one_minus_p_whatever_the_draws():
    tool = _tool()
    assert tool.expected_brier(np.array([0.5, 0.9, 0.0])) == pytest.approx((0.25 + 0.09 + 0.0) / 3)
    # by simulation: decisions drawn from replications whose P scatter around the world's p
    rng = np.random.default_rng(0)
    p = np.array([0.2, 0.5, 0.9])
    replication = np.clip(p + rng.normal(0, 0.1, size=(200_000, 3)), 0, 1)
    replication += p - replication.mean(axis=0)  # the world's p is the replications' mean
    y = rng.random(replication.shape) < replication
    assert np.mean((y - p) ** 2) == pytest.approx(tool.expected_brier(p), abs=2e-3)


def test_an_objection_is_a_no_vote_and_with_no_threshold_and_band_every_no_vote_objects():
    tool = _tool("consensus_test")
    base = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    data = load_dataset()
    # objecting costs more than θ = 0.05 of a normalised salience ≤ 1, so a distance gain over 0.05 = the band:
    # every objector votes no, not every no-voter objects
    shares = tool.clause_shares(base, data, "access_right", 4, 3)
    assert 0 < shares["objecting"] <= shares["no"] and shares["no"] + shares["yes"] <= 1 + 1e-12
    assert shares["moved"] == 1.0  # the baseline's chair leaves it out; it is moved from the floor
    # with no threshold and no band, objecting is preferring 1988 at all: the same delegations as voting no
    strict = base.replace(**{"voting.objection_threshold": 0.0, "voting.abstain_band": 0.0})
    shares = tool.clause_shares(strict, data, "access_right", 4, 3)
    assert shares["objecting"] == pytest.approx(shares["no"])


def test_a_draw_already_validated_is_read_not_run_again_and_equal_seeds_are_refused(tmp_path, capsys):
    tool = _tool()
    scores = {
        "model (single_text)": {"kind": "model", "brier": 0.10},
        "no conference": {"kind": "ablation", "brier": 0.12},
        "compromise": {"kind": "ablation", "brier": 0.11},
        "logit: covariates + groups": {"kind": "baseline", "brier": 0.09},
    }
    comparisons = [
        {"a": "model (single_text)", "b": b, "brier": {"difference": -0.02, "interval": [-0.04, -0.01]}}
        for b in ("no conference", "compromise")
    ]
    done = tmp_path / "seed5-draw0" / "validation" / "run"
    done.mkdir(parents=True)
    digest = load_scenario(ROOT / "scenarios" / "wcit2012.toml").digest
    run = {"scenario_digest": digest, "seed": 0, "budget": 150, "replications": 50, "vote_weight": 0.0}
    (done / "metrics.json").write_text(json.dumps({**run, "scores": scores, "comparisons": comparisons}))
    assert tool.main(["--draws", "1", "--seed", "5", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "validating" not in printed  # resumed: the draw's validation was not run again
    assert "the conference moves P(sign) by" in printed
    assert "beats both ablations (both 90 % intervals below 0) in 1 of 1 draws" in printed
    assert "below the logit's (covariates + groups) in 0 of 1" in printed
    (row,) = list(csv.DictReader((tmp_path / "summary-seed5.csv").open()))
    assert row["model_brier"] == "0.1000" and row["beats_both"] == "True"
    assert 0 < float(row["oracle_brier"]) < 1 and 0 < float(row["world_brier"]) < 1
    for seed in ("0", "1"):  # the calibration's common seeds (the fold seed) and its predictions' (the next)
        with pytest.raises(SystemExit) as refused:
            tool.main(["--seed", seed, "--fold-seed", "0", "--out", str(tmp_path)])
        assert refused.value.code == 2 and "the fold seed or the next one" in capsys.readouterr().err
    # another run's validation in the folder is refused in one line, before any work
    assert tool.main(["--draws", "1", "--seed", "5", "--budget", "600", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "metrics.json: budget 150; expected 600" in err and "Traceback" not in err


def _refused(tool, args, tmp_path, capsys) -> tuple[int, str]:
    """Run a tool's main on ``args`` ({tmp} the test's folder, scenarios/ the checkout's): its exit status and stderr."""
    argv = [a.format(tmp=tmp_path) for a in args]
    try:
        code = tool.main([str(ROOT / a) if a.startswith("scenarios/") else a for a in argv])
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/missing.json", "scenarios/wcit2012.toml"], "No such file"),
        (
            ["{tmp}/not.json", "scenarios/wcit2012.toml"],
            "expected the metrics.json of a wcitsim validate run",
        ),
        (["{tmp}/empty.json", "scenarios/wcit2012.toml"], "no calibrated model (single_text) coefficients"),
        (
            ["{tmp}/fold.json", "scenarios/wcit2012.toml", "--clause", "nope"],
            "--clause 'nope': not on the table",
        ),
        (["{tmp}/fold.json", "scenarios/wcit2012.toml", "--reps", "0"], "--reps 0"),
        (["{tmp}/fold.json", "scenarios/nope.toml"], "nope.toml: file not found"),
    ],
)
def test_the_consensus_tool_refuses_bad_input_in_one_line(tmp_path, capsys, args, message):
    tool = _tool("consensus_test")
    (tmp_path / "not.json").write_text("not json")
    (tmp_path / "empty.json").write_text("{}")
    (tmp_path / "fold.json").write_text(
        json.dumps({"calibrated": {"model (single_text)": [{"coefficients": {}}]}})
    )
    code, err = _refused(tool, args, tmp_path, capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _objection_run(tmp_path, capsys, *extra):
    """A small validation of the toy conference with the objection threshold fitted and the vote in the loss."""
    from wcitsim.cli import main

    scenario = tmp_path / "toy_objection.toml"
    scenario.write_text(
        f'extends = "{(ROOT / "tests" / "data" / "toy.toml").as_posix()}"\n[seating]\nmode = "all"\n'
        "[chair]\nconsensus_draft = true\n[voting]\nmotions = true\nfit_objection_threshold = true\n",
        encoding="utf-8",
    )
    args = [
        "--folds",
        "3",
        "--reps",
        "2",
        "--budget",
        "4",
        "--protocol-reps",
        "1",
        "--vote-weight",
        "1",
        *extra,
    ]
    assert main(["validate", str(scenario), *args, "--out", str(tmp_path), "--json"]) == 0
    return scenario, Path(json.loads(capsys.readouterr().out)["output"]) / "metrics.json"


def _fitted_rows(out: str) -> dict[int, list[float]]:
    rows = [line.split() for line in out.splitlines() if line.endswith("(fitted)")]
    return {
        int(r[0]): [float(v) for v in r[1:7]] for r in rows
    }  # threshold, log-loss, text, vote, prior, total


def test_the_objection_profile_reproduces_the_calibrated_loss_and_refuses_another(tmp_path, capsys):
    tool = _tool("objection_profile")
    scenario, metrics = _objection_run(tmp_path, capsys)
    assert tool.main([str(metrics), str(scenario), "--grid", "0.2,0,0.2"]) == 0  # sorted, each once
    out = capsys.readouterr().out
    folds = json.loads(metrics.read_text())["calibrated"]["model (single_text)"]
    fitted = _fitted_rows(out)
    assert sorted(fitted) == list(range(len(folds)))  # one fitted row per fold
    for f, fold in enumerate(folds):
        _, log_loss, text, vote, prior, total = fitted[f]
        assert total == pytest.approx(fold["loss"], abs=5e-4) and prior == 0.0
        assert (
            total == pytest.approx(log_loss + text + vote, abs=2e-3) and vote > 0
        )  # the vote is in the loss
    means = out.split("mean over folds (the grid's rows):\n")[1].splitlines()
    assert [float(line.split()[0]) for line in means[:2]] == [0.0, 0.2]  # one mean row per grid value
    assert means[2].startswith("fitted threshold over folds: ")
    # a loss the scenario does not reproduce (another run, another scenario) is refused in one line
    data = json.loads(metrics.read_text())
    data["calibrated"]["model (single_text)"][0]["loss"] += 0.1
    (tmp_path / "other.json").write_text(json.dumps(data))
    assert tool.main([str(tmp_path / "other.json"), str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "fold 0: loss" in err and "the run reported" in err and "Traceback" not in err


def test_a_fold_fitted_on_a_grid_value_counts_once_in_the_mean(tmp_path, capsys):
    tool = _tool("objection_profile")
    scenario, metrics = _objection_run(tmp_path, capsys)
    folds = json.loads(metrics.read_text())["calibrated"]["model (single_text)"]
    fitted = folds[0]["coefficients"]["voting.objection_threshold"]
    assert tool.main([str(metrics), str(scenario), "--grid", f"0,{fitted!r}"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.split("mean over folds")[0].splitlines()[1:]]
    assert len(rows) == 3 * len(folds)  # per fold: the two grid rows, then the fitted one, once
    assert all(rows[3 * f + 2][-1] == "(fitted)" and rows[3 * f][-1] != "(fitted)" for f in range(len(folds)))
    assert rows[1][1:9] == rows[2][1:9]  # fold 0's grid row at its fitted value is its fitted row
    mean = out.split("mean over folds (the grid's rows):\n")[1].splitlines()[1].split()
    totals = [float(rows[3 * f + 1][6]) for f in range(len(folds))]
    assert float(mean[5]) == pytest.approx(np.mean(totals), abs=1e-3)  # a mean over the folds, each once


@pytest.mark.parametrize("extra", [("--hold", "signing.conformity"), ("--prior-sd", "0.25")])
def test_the_objection_profile_reproduces_a_run_with_held_coefficients_or_a_prior(tmp_path, capsys, extra):
    tool = _tool("objection_profile")
    scenario, metrics = _objection_run(tmp_path, capsys, *extra)
    assert tool.main([str(metrics), str(scenario), "--grid", "0"]) == 0
    fitted = _fitted_rows(capsys.readouterr().out)
    folds = json.loads(metrics.read_text())["calibrated"]["model (single_text)"]
    assert all(fitted[f][5] == pytest.approx(fold["loss"], abs=5e-4) for f, fold in enumerate(folds))
    assert all((fitted[f][4] > 0) == (extra[0] == "--prior-sd") for f in fitted)


def _good_run(**changes) -> dict:
    run = {
        "calibrated": {"model (single_text)": [{"coefficients": {"voting.objection_threshold": 0.05}, "loss": 0.5}]},
        "fold_of": {"USA": 0, "RUS": 1}, "seed": 0, "vote_weight": 0, "held": [], "prior_sd": None,
    }  # fmt: skip
    for key, value in changes.items():
        if value is None and key != "prior_sd":
            run.pop(key)
        else:
            run[key] = value
    return run


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/missing.json", "scenarios/wcit2012.toml"], "No such file"),
        (["{tmp}/fold.json", "scenarios/wcit2012.toml"], "with a calibrated voting.objection_threshold"),
        (["{tmp}/good.json", "scenarios/wcit2012.toml", "--grid", "0,x"], "--grid '0,x': expected"),
        (["{tmp}/good.json", "scenarios/wcit2012.toml", "--grid", "-1"], "--grid '-1': expected"),
        (["{tmp}/good.json", "scenarios/wcit2012.toml", "--grid", "nan"], "--grid 'nan': expected"),
        (
            ["{tmp}/good.json", "scenarios/wcit2012.toml", "--clause", "nope"],
            "--clause 'nope': not on the table",
        ),
        (["{tmp}/good.json", "scenarios/wcit2012.toml", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_the_objection_profile_refuses_bad_arguments_in_one_line(tmp_path, capsys, args, message):
    tool = _tool("objection_profile")
    (tmp_path / "fold.json").write_text(
        json.dumps({"calibrated": {"model (single_text)": [{"coefficients": {}}]}})
    )
    (tmp_path / "good.json").write_text(json.dumps(_good_run()))
    code, err = _refused(tool, args, tmp_path, capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"fold_of": None}, "fold_of: expected a mapping"),
        ({"fold_of": [1, 2]}, "fold_of: expected a mapping"),
        ({"fold_of": {"USA": "0"}}, "fold_of: expected a mapping"),
        ({"fold_of": {"ZZZ": 0}}, "fold_of: ['ZZZ'] are not seated"),
        ({"seed": None}, "seed: None; expected the run's fold seed"),
        ({"seed": 0.7}, "seed: 0.7; expected"),
        ({"seed": "abc"}, "seed: 'abc'; expected"),
        ({"vote_weight": "x"}, "vote_weight: 'x'; expected a number"),
        ({"vote_weight": -1}, "vote_weight: -1; expected a number"),
        ({"held": "all"}, "held: 'all'; expected a list"),
        ({"prior_sd": -1}, "prior_sd: -1; expected null or a number"),
        ({"calibrated": [1]}, "no fold of 'model (single_text)'"),
        ({"calibrated": {"model (single_text)": [{"coefficients": {"voting.objection_threshold": 0.05}}]}},
         "expected numeric coefficients and loss"),
        ({"calibrated": {"model (single_text)": [{"coefficients": {"voting.objection_threshold": "x"}, "loss": 1}]}},
         "expected numeric coefficients and loss"),
        ({"calibrated": {"model (single_text)": [{"coefficients": {"voting.objection_threshold": 50}, "loss": 1}]}},
         "good.json: calibrated['model (single_text)'][0]: "),
    ],
)  # fmt: skip
def test_the_objection_profile_refuses_a_malformed_run_in_one_line(tmp_path, capsys, changes, message):
    tool = _tool("objection_profile")
    (tmp_path / "good.json").write_text(json.dumps(_good_run(**changes)))
    code = tool.main([str(tmp_path / "good.json"), str(ROOT / "scenarios" / "wcit2012.toml"), "--grid", "0"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
