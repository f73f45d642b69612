"""The record's vote as a calibration target, and the economic index's loadings as fitted coefficients."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from wcitsim.cli import main
from wcitsim.core.world import build_world, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.data.schema import SCALE_COVARIATE
from wcitsim.errors import ScenarioError
from wcitsim.experiments import instruments
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.calibrate import (
    PRIOR_SD,
    calibrate,
    check_vote_weight,
    parameters_for,
    scenario_loss,
)

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()
STATES = ["USA", "RUS", "KEN", "BRA"]


def test_the_vote_mismatch_by_hand(monkeypatch):
    """77-33-8 has 118 voters. Replication 1 casts the record's tally (miss 0); replication 2 moves
    10 voters from no to yes (|87-77| + |23-33| + 0 = 20); replication 3 moves every voter
    (yes 0, no 0, abstain 118: 77 + 33 + 110 = 220, but 236 is the most two tallies can differ).
    Mean: (0 + 20 + 220) / 3 / 236."""
    columns = {"yes_of_118": np.array([77.0, 87.0, 0.0]), "no_of_118": np.array([33.0, 23.0, 0.0]),
               "abstain_of_118": np.array([8.0, 8.0, 118.0])}  # fmt: skip
    monkeypatch.setattr(instruments, "record_vote_columns", lambda *a, **k: columns)
    facts = SimpleNamespace(votes={"access_right": {"yes": 77, "no": 33, "abstain": 8}})
    got = instruments.vote_mismatch(None, None, facts)
    assert got == pytest.approx((0 + 20 + 220) / 3 / 236)
    columns.update({"yes_of_118": np.array([0.0]), "no_of_118": np.array([118.0]),
                    "abstain_of_118": np.array([0.0])})  # fmt: skip
    assert instruments.vote_mismatch(None, None, facts) == pytest.approx((77 + 85 + 8) / 236)


def test_the_vote_mismatch_of_a_run_is_a_share_and_none_without_the_clause():
    scenario = load_scenario(TOY)
    world = build_world(scenario, DATA)
    outcome = run_outcome(world, replication_seeds(3, 6), trace=False, measure=False)
    share = instruments.vote_mismatch(world, outcome, DATA.facts)
    assert 0.0 <= share <= 1.0
    assert instruments.vote_mismatch(world, outcome, DATA.facts, clause="not_a_clause") is None


def test_the_vote_weight_adds_its_share_to_the_loss():
    """Common random numbers: the same seeds, so the loss with the vote minus the loss without is w × the share."""
    scenario = load_scenario(TOY)
    without = scenario_loss(scenario, DATA, STATES, 4, 11)
    with_vote = scenario_loss(scenario, DATA, STATES, 4, 11, vote_weight=2.5)
    world = build_world(scenario, DATA)
    outcome = run_outcome(world, replication_seeds(11, 4), trace=False, measure=False)
    assert with_vote - without == pytest.approx(2.5 * instruments.vote_mismatch(world, outcome, DATA.facts))


def test_a_vote_weight_is_refused_when_negative_or_when_the_vote_cannot_be_cast():
    scenario = load_scenario(TOY)
    check_vote_weight(scenario, DATA, 0.0)
    check_vote_weight(scenario, DATA, 1.0)
    for bad in (-1.0, math.nan):
        with pytest.raises(ScenarioError, match="expected a number ≥ 0"):
            check_vote_weight(scenario, DATA, bad)
    agenda = dataclasses.replace(
        scenario.agenda, clauses=tuple(c for c in scenario.agenda.clauses if c.id != "access_right")
    )
    no_vote = dataclasses.replace(scenario, agenda=agenda)
    check_vote_weight(no_vote, DATA, 0.0)  # nothing to cast, nothing asked
    with pytest.raises(ScenarioError, match="no clause 'access_right' with a Final Acts option"):
        check_vote_weight(no_vote, DATA, 1.0)
    with pytest.raises(ScenarioError, match="expected vote weight 0"):
        calibrate(no_vote, DATA, STATES, budget=2, replications=2, vote_weight=1.0)


def test_calibrate_with_the_vote_says_so_in_its_loss_and_its_header(tmp_path, capsys):
    out = tmp_path / "cal.toml"
    args = ["calibrate", str(TOY), "--budget", "4", "--reps", "2", "--vote-weight", "1", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "+ share of the record's voters cast differently on the right of access" in printed
    text = out.read_text()
    assert (
        "--vote-weight 1" in text
        and "+ share of the record's voters cast differently on access_right" in text
    )
    assert main([*args[:-4], "--vote-weight", "2", "--out", str(out)]) == 0
    assert "+ 2 × share of the record's voters" in capsys.readouterr().out
    assert load_scenario(out).meta.name == "toy"


@pytest.mark.parametrize(
    "bad, says",
    [("-1", "-1 is out of range"), ("101", "101 is out of range"), ("heavy", "'heavy' is not a number")],
)
def test_a_vote_weight_out_of_range_is_one_line_and_writes_nothing(tmp_path, capsys, bad, says):
    with pytest.raises(SystemExit) as err:
        main(["validate", str(TOY), "--vote-weight", bad, "--out", str(tmp_path)])
    printed = capsys.readouterr().err
    assert err.value.code == 2 and f"--vote-weight: {says}" in printed
    assert "Traceback" not in printed and not any(tmp_path.iterdir())


def test_a_vote_weight_with_no_calibrate_is_refused(tmp_path, capsys):
    assert main(["validate", str(TOY), "--vote-weight", "1", "--no-calibrate", "--out", str(tmp_path)]) == 2
    assert "--vote-weight with --no-calibrate: nothing is fitted" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_the_validation_folder_names_the_vote_weight():
    from wcitsim.validation.report import validation_id

    def folder(vote_weight, tuned=True):
        return validation_id(SimpleNamespace(
            tuned=tuned, budget=150, prior_sd=PRIOR_SD, held=(), quick=False, reps=50, vote_weight=vote_weight,
            scenario=SimpleNamespace(meta=SimpleNamespace(name="wcit2012")), plan=SimpleNamespace(k=10, seed=0),
        ))  # fmt: skip

    assert folder(0.0) == "wcit2012-k10-s0-r50-b150"
    assert folder(1.0) == "wcit2012-k10-s0-r50-b150-v1" and folder(0.5) == "wcit2012-k10-s0-r50-b150-v0.5"


def test_the_economic_loadings_are_fitted_only_when_asked_and_never_the_scale():
    base = load_scenario("wcit2012")
    fitted = load_scenario("economic_fitted")
    assert fitted.seeder.fit_economic_weights and not base.seeder.fit_economic_weights
    economic = {p.path for p in parameters_for(fitted)} - {p.path for p in parameters_for(base)}
    expected = {
        f"seeder.economic_weights.{n}" for n in fitted.seeder.economic_weights if n != SCALE_COVARIATE
    }
    assert (
        economic == expected and expected
    )  # the baseline's index has weights besides the UNGA ideal point's
    assert f"seeder.economic_weights.{SCALE_COVARIATE}" not in economic
    ranges = {p.path: (p.lo, p.hi) for p in parameters_for(fitted)}
    assert all(ranges[p] == (-2.0, 3.0) for p in economic)


def test_fitting_an_index_with_nothing_but_the_scale_is_refused():
    base = load_scenario("economic_fitted")
    seeder = dataclasses.replace(base.seeder, economic_weights={SCALE_COVARIATE: 1.0})
    with pytest.raises(ScenarioError) as err:
        build_world(dataclasses.replace(base, seeder=seeder), DATA)
    assert "seeder.fit_economic_weights: true, but seeder.economic_weights has no weight to fit" in str(
        err.value
    )
    assert str(err.value).startswith(str(base.source))


def test_a_validation_with_the_vote_in_the_loss_says_the_vote_is_fitted(tmp_path, capsys):
    scenario = tmp_path / "toy_all.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\nmode = "all"\n', encoding="utf-8")
    args = ["--folds", "3", "--reps", "2", "--budget", "3", "--protocol-reps", "1", "--vote-weight", "1"]
    assert main(["validate", str(scenario), *args, "--out", str(tmp_path), "--json"]) == 0
    folder = Path(json.loads(capsys.readouterr().out)["output"])
    assert folder.name.endswith("-b3-v1")
    assert main(["validate", str(scenario), *args, "--out", str(tmp_path)]) == 0
    assert "; fitted (--vote-weight 1), not predicted" in capsys.readouterr().out
    report = (folder / "report.md").read_text()
    assert "the vote below is fitted, not predicted" in report and "--vote-weight 1" in report
    assert json.loads((folder / "metrics.json").read_text())["vote_weight"] == 1.0


def test_the_objection_threshold_is_fitted_only_when_asked_and_within_its_range():
    from wcitsim.validation.coefficients import OBJECTION_THRESHOLD

    base = load_scenario("consensus_chair_economic")
    fitted = load_scenario("objection_fitted")
    assert fitted.voting.fit_objection_threshold and not base.voting.fit_objection_threshold
    assert {p.path for p in parameters_for(fitted)} - {p.path for p in parameters_for(base)} == {
        "voting.objection_threshold"
    }
    assert not any(p.path == "voting.objection_threshold" for p in parameters_for(load_scenario("wcit2012")))
    # 0 is the strictest test; the prior's 0.05 is a quarter of the way up the range 0 to 0.2
    assert (OBJECTION_THRESHOLD.lo, OBJECTION_THRESHOLD.hi, OBJECTION_THRESHOLD.log) == (0.0, 0.2, False)
    assert OBJECTION_THRESHOLD.to_unit(fitted.voting.objection_threshold) == pytest.approx(0.25)
    assert OBJECTION_THRESHOLD.from_unit(1.7) == 0.2 and OBJECTION_THRESHOLD.from_unit(-1) == 0.0


def test_a_fitted_objection_threshold_is_written_and_read_back(tmp_path, capsys):
    scenario = tmp_path / "toy_objection.toml"
    scenario.write_text(
        f'extends = "{TOY.as_posix()}"\n[chair]\nconsensus_draft = true\n'
        "[voting]\nmotions = true\nfit_objection_threshold = true\n",
        encoding="utf-8",
    )
    out = tmp_path / "cal.toml"
    assert main(["calibrate", str(scenario), "--budget", "6", "--reps", "2", "--out", str(out)]) == 0
    assert "voting.objection_threshold" in capsys.readouterr().out
    text = out.read_text()
    assert "[voting]\nobjection_threshold = " in text
    value = float(text.split("[voting]\nobjection_threshold = ")[1].split()[0])
    read = load_scenario(out)
    assert read.voting.objection_threshold == pytest.approx(value) and 0.0 <= value <= 0.2
    assert read.voting.fit_objection_threshold and read.chair.consensus_draft  # the switches come from base
    # held, it stays at the middle of its range and is left out of the fit
    held = tmp_path / "held.toml"
    args = [
        "calibrate",
        str(scenario),
        "--budget",
        "4",
        "--reps",
        "2",
        "--hold",
        "voting.objection_threshold",
    ]
    assert main([*args, "--out", str(held)]) == 0
    assert load_scenario(held).voting.objection_threshold == pytest.approx(0.1)
    assert "Held at the middle of their range, not fitted: voting.objection_threshold." in held.read_text()


def test_an_objection_threshold_start_out_of_range_is_refused_and_an_unwritten_one_is_its_default(tmp_path):
    from wcitsim.validation.coefficients import OBJECTION_THRESHOLD, current

    fitted = load_scenario("objection_fitted")
    with pytest.raises(ScenarioError) as err:
        parameters_for(fitted.replace(**{"voting.objection_threshold": 5.0}))
    assert "voting.objection_threshold: 5 with voting.fit_objection_threshold" in str(err.value)
    assert "expected a start within the range the calibration searches, 0 to 0.2" in str(err.value)
    # a threshold the file does not write starts at the key's default (0.05), as one written 0.05 does
    unwritten = tmp_path / "unwritten.toml"
    unwritten.write_text(f'extends = "{TOY.as_posix()}"\n[voting]\nfit_objection_threshold = true\n')
    written = tmp_path / "written.toml"
    written.write_text(unwritten.read_text() + "objection_threshold = 0.05\n")
    a, b = load_scenario(unwritten), load_scenario(written)
    assert "objection_threshold" not in a.raw["voting"]
    assert current(a, OBJECTION_THRESHOLD) == current(b, OBJECTION_THRESHOLD) == 0.05
    ca = calibrate(a, DATA, STATES, budget=3, replications=2, start="scenario")
    cb = calibrate(b, DATA, STATES, budget=3, replications=2, start="scenario")
    assert ca.start == cb.start and ca.values == cb.values
    # an unwritten mechanism is off (its default 0), so it is not fitted
    assert not any(p.path == "protocol.alignment" for p in parameters_for(a))


def test_the_economic_clauses_own_slope_moves_them_alone_by_hand():
    """seed_tabled with seeder.economic_slope: p = σ(logit(a_g) − γ_e·(x_i − x̄_g)) on the economic clauses, the
    governance clauses unchanged; at γ_e = γ the seeding is the baseline's, bit for bit."""
    from wcitsim.core.seeding import covariate_index, primary_groups

    base = load_scenario("wcit2012")
    same = build_world(base.replace(**{"seeder.economic_slope": base.seeder.covariate_slope}), DATA)
    assert np.array_equal(same.position, build_world(base, DATA).position)
    flat = build_world(base.replace(**{"seeder.economic_slope": 0.5}), DATA)
    ids = list(flat.agenda.ids)
    economic = [ids.index(c) for c in base.seeder.economic_clauses]
    others = [j for j in range(len(ids)) if j not in economic]
    assert np.array_equal(flat.position[:, others], same.position[:, others])
    # Russia on the right of access, from the RCC's anchor and its distance from the RCC's mean index
    states = DATA.states.loc[list(flat.iso3)]
    x = covariate_index(states, base.seeder.economic_weights, base.seeder.log_covariates)
    rcc = primary_groups(states, base.groups.order) == "RCC"
    rus, k = list(flat.iso3).index("RUS"), ids.index("access_right")
    anchor = base.groups.anchors["RCC"]["access_right"][0]
    want = 1 / (1 + np.exp(-(np.log(anchor / (1 - anchor)) - 0.5 * (x[rus] - x[rcc].mean()))))
    assert flat.position[rus, k] == pytest.approx(want, rel=1e-12)
    assert (
        flat.position[rus, k] > 0.5 > same.position[rus, k]
    )  # a yes with the flat slope, a no with the baseline's


def test_the_economic_slope_is_fitted_where_given_and_only_by_the_tabled_seeder():
    scenario = load_scenario("economic_slope")
    added = {p.path for p in parameters_for(scenario)} - {
        p.path for p in parameters_for(load_scenario("wcit2012"))
    }
    assert added == {"seeder.economic_slope"}
    slope = next(p for p in parameters_for(scenario) if p.path == "seeder.economic_slope")
    assert 0 < slope.to_unit(scenario.seeder.economic_slope) < 1  # the shipped start lies inside the search
    assert slope.to_unit(0.0) == -math.inf  # a flat start on the log scale clips to the range's end, no error
    unanchored = scenario.replace(**{"seeder.economic_clauses": []})
    with pytest.raises(
        ScenarioError, match=r"seeder\.economic_slope: 3\.65981, but only the 'tabled' seeder's"
    ):
        build_world(unanchored, DATA)
    anchors = load_scenario("wcit2012").replace(**{"seeder.name": "anchors", "seeder.economic_slope": 2.0})
    with pytest.raises(ScenarioError, match=r"seeder\.economic_slope: 2, but only the 'tabled' seeder's"):
        build_world(anchors, DATA)
