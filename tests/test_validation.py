"""Validation and calibration: folds, leakage, baselines, the optimiser, the report, explain."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim._version import __version__
from wcitsim.cli import main
from wcitsim.data import Dataset, load_dataset
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.bootstrap import compare, paired_bootstrap
from wcitsim.validation.calibrate import (
    Parameter,
    calibrate,
    known_states,
    minimise,
    prior_penalty,
    prior_weight,
    scenario_loss,
    with_prior,
    write_calibrated,
)
from wcitsim.validation.crossval import PAIRS, QUICK, cross_validate, make_folds
from wcitsim.validation.predictors import GroupMajority, Logit, SigningRefit, without_outcome_inputs

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()


def test_folds_partition_the_known_states_and_are_stratified():
    plan = make_folds(DATA, 5, seed=3)
    assert sorted(plan.states) == sorted(known_states(DATA)) and len(plan.states) == 100
    assert set(plan.fold.values()) == set(range(5))
    sizes = pd.Series(plan.fold).value_counts()
    assert sizes.max() - sizes.min() <= 1
    signed = DATA.record.loc[list(plan.states), "decision"] == "signed"
    per_fold = signed.groupby(pd.Series(plan.fold)).mean()
    assert per_fold.max() - per_fold.min() < 0.15  # stratified: each fold near 56/100
    assert make_folds(DATA, 5, seed=3) == plan
    loo = make_folds(DATA, "loo")
    assert loo.k == 100 and sorted(loo.fold.values()) == list(range(100))


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
    columns = tuple(scenario.seeder.covariate_weights)
    for make in (GroupMajority, lambda d, s: Logit(d, s, "logit", columns)):
        before = make(DATA, scenario).fit(train, test).probability
        after = make(flipped, scenario).fit(train, test).probability
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


def test_minimise_in_one_dimension_and_in_none():
    """CMA-ES needs two dimensions; with one coefficient left (the rest held) the search is Brent's, with none
    the start is the answer. (u − 0.3)² has its minimum at 0.3; a minimum beyond the box is at its end."""
    best, value, start = minimise(lambda u: (u[0] - 0.3) ** 2, [0.5], 50, 0)
    assert best == pytest.approx([0.3], abs=1e-3) and value < start == pytest.approx(0.04)
    assert minimise(lambda u: (u[0] - 1.4) ** 2, [0.5], 50, 0)[0] == pytest.approx([1.0], abs=1e-3)
    assert minimise(lambda u: 0.7, [], 50, 0) == ([], 0.7, 0.7)
    flat = minimise(lambda u: 0.7, [0.5], 50, 0)  # no better point: the start, never a worse one
    assert flat == ([0.5], 0.7, 0.7)


def test_a_signing_refit_fits_only_the_coefficients_not_held():
    from wcitsim.validation.predictors import SigningRefit

    scenario = load_scenario(TOY).replace(**{"protocol.name": "expected_utility"})
    known = DATA.record.index[DATA.record["decision"] != "unknown"].tolist()
    for held, fitted in ((("signing.conformity",), 2), (("signing.conformity", "signing.temperature"), 1),
                         (("signing.conformity", "signing.temperature", "signing.intercept"), 0)):  # fmt: skip
        refit = SigningRefit("expected_utility", scenario, DATA, 2, 0, budget=12, held=held).prepare()
        seated = [s for s in known if s in refit.prepared["iso3"]]
        fit = refit.fit(seated[: len(seated) // 2], seated[len(seated) // 2 :])
        assert len(fit.info["coefficients"]) == fitted and not set(fit.info["coefficients"]) & set(held)
        assert fit.probability.notna().all()


def test_the_prior_penalty_by_hand():
    """λ = 1 / (2 n sd²): sd 0.25 on 8 states gives λ = 1; sd 0.5 gives ¼; an infinite sd nothing."""
    assert prior_weight(0.25, 8) == pytest.approx(1.0) and prior_weight(0.25, 90) == pytest.approx(1 / 11.25)
    assert prior_weight(math.inf, 8) == 0.0
    a, b = Parameter("a", 0.0, 1.0), Parameter("b", -2.0, 3.0, sd=0.5)
    # (1 − ½)² × 1 + (0.1 − ½)² × ¼; a unit value beyond the range counts as its end
    assert prior_penalty([1.0, 0.1], [a, b], 0.25, 8) == pytest.approx(0.25 + 0.16 / 4)
    assert prior_penalty([1.7, 0.1], [a, b], 0.25, 8) == pytest.approx(0.25 + 0.16 / 4)
    assert prior_penalty([0.9, 0.2], with_prior([a, b], math.inf), 0.25, 8) == 0.0
    assert prior_penalty([0.5, 0.5], [a, b], 0.25, 8) == 0.0


def test_the_map_estimate_is_the_prior_on_a_flat_loss_and_the_weighted_mean_on_a_quadratic():
    """Minimising Σ (u − a)² + λ Σ (u − c)² gives u = (a + λ c) / (1 + λ): c on a flat loss, a when λ = 0."""
    parameters = [Parameter("x", 0.0, 1.0), Parameter("y", 0.0, 1.0, centre=0.2)]
    target, centre = np.array([0.9, 0.1]), np.array([0.5, 0.2])

    def fit(data_loss, sd):
        best, _, _ = minimise(
            lambda u: data_loss(u) + prior_penalty(u, parameters, sd, 8), [0.4, 0.6], 400, 0
        )
        return np.array(best)

    np.testing.assert_allclose(fit(lambda u: 0.3, 0.25), centre, atol=1e-3)

    def quadratic(u):
        return float(np.sum((np.asarray(u) - target) ** 2))

    np.testing.assert_allclose(fit(quadratic, 0.25), (target + centre) / 2, atol=1e-3)  # λ = 1
    np.testing.assert_allclose(fit(quadratic, math.inf), target, atol=1e-3)


def test_calibration_with_a_prior_adds_its_penalty_and_pulls_to_the_centre():
    toy = load_scenario(TOY)
    states = ["USA", "DEU", "RUS", "CHN", "KEN", "BRA"]
    intercept = Parameter("signing.intercept", -1.0, 1.0)
    result = calibrate(
        toy, DATA, states, budget=12, replications=4, seed=0, parameters=[intercept], prior_sd=0.25
    )
    u = intercept.to_unit(result.values["signing.intercept"])
    assert result.penalty == pytest.approx(prior_weight(0.25, 6) * (u - 0.5) ** 2)
    assert result.loss == pytest.approx(scenario_loss(result.scenario, DATA, states, 4, 0) + result.penalty)
    # the default is the unpenalised fit; a parameter's own sd wins over the calibration's
    flat = calibrate(toy, DATA, states, budget=12, replications=4, seed=0, parameters=[intercept])
    own = calibrate(
        toy, DATA, states, budget=12, replications=4, seed=0, parameters=with_prior([intercept], math.inf),
        prior_sd=0.25,
    )  # fmt: skip
    assert flat.values == own.values and flat.penalty == 0.0
    assert flat.loss == pytest.approx(scenario_loss(flat.scenario, DATA, states, 4, 0))
    # a tight prior holds the coefficient at its centre, the middle of the range
    tight = calibrate(
        toy, DATA, states, budget=12, replications=4, seed=0, parameters=[intercept], prior_sd=0.01
    )
    assert abs(tight.values["signing.intercept"]) < 0.02


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


SCORECARD = [
    "everyone_signs", "group_majority", "logit: UNGA ideal point", "logit: covariates + groups", "logit: + ties",
    "model (single_text)", "model, text predicted", "model without outcome inputs", "no conference", "compromise",
    "no conference, without outcome inputs", "compromise, without outcome inputs", "expected_utility", "exchange",
]  # fmt: skip


def test_cross_validation_scores_every_predictor_on_the_same_folds():
    scenario = load_scenario(TOY).replace(**{"seating.mode": "all"})
    v = cross_validate(scenario, DATA, k=4, reps=4, seed=0, budget=4, tune=True, other_reps=1)
    scores = v.scores()
    assert list(scores) == SCORECARD
    for s in scores.values():
        assert s["n_known"] == 100
        assert 0 <= s["brier"] <= 1 and 0 <= s["accuracy"] <= 1
    assert scores["everyone_signs"]["accuracy"] == pytest.approx(56 / 100)
    assert scores["everyone_signs"]["split"]["signed_median"] == 144
    assert "text" in scores["model (single_text)"] and "text" not in scores["logit: + ties"]
    # the ablation drafts the Final Acts: its text matches on every comparable clause
    assert scores["no conference"]["text"]["matches_mean"] == scores["no conference"]["text"]["comparable"]
    # every simulation is calibrated in its own folds: its own coefficients, fold by fold
    fitted = {r.name: r.fitted for r in v.results}
    assert fitted["compromise"][0]["coefficients"] != fitted["model (single_text)"][0]["coefficients"]
    assert "protocol.concession" not in fitted["no conference"][0]["coefficients"]
    assert set(fitted["exchange"][0]["coefficients"]) == {
        "signing.intercept",
        "signing.temperature",
        "signing.conformity",
    }
    for name in ("model without outcome inputs", "no conference, without outcome inputs",
                 "compromise, without outcome inputs"):  # fmt: skip
        assert "seeder.covariate_weights.foc_2012" not in fitted[name][0]["coefficients"]
    assert "protocol.concession" not in fitted["no conference, without outcome inputs"][0]["coefficients"]
    # the outcome-free model is judged against its ablations on the same inputs
    pairs = {(c["a"], c["b"]) for c in v.comparisons()}
    assert ("model without outcome inputs", "no conference, without outcome inputs") in pairs
    assert ("model without outcome inputs", "compromise, without outcome inputs") in pairs
    vote = scores["model (single_text)"]["record_vote"]
    assert vote["record"] == {"yes": 77, "no": 33, "abstain": 8, "moved_by": "IRN", "date": "2012-12-13"}
    assert sum(vote["tally_scaled"]) == pytest.approx(118)
    assert vote["replications"] == 4 * 4  # pooled over the folds
    names = {(c["a"], c["b"]) for c in v.comparisons()}
    assert names == {(a.format(model="model (single_text)"), b) for a, b in PAIRS}


def test_every_simulation_gets_the_prior_and_held_coefficients_stay_at_its_centre():
    from wcitsim.errors import ScenarioError
    from wcitsim.validation.crossval import predictors
    from wcitsim.validation.predictors import Simulation

    scenario = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    held = ("seeder.covariate_weights.fh_total_score", "signing.lost_vote")
    chosen = predictors(DATA, scenario, True, 4, 2, 1, 0, prior_sd=0.5, held=held)
    simulations = [p for p in chosen if isinstance(p, Simulation)]
    assert len(simulations) == 7
    for p in simulations:
        assert {q.sd for q in p.parameters} == {0.5} and not {q.path for q in p.parameters} & set(held)
        assert p.scenario.seeder.covariate_weights["fh_total_score"] == pytest.approx(0.5)  # (−2 + 3) / 2
    assert next(p for p in simulations if p.kind == "model").scenario.signing.lost_vote == pytest.approx(1.0)
    with pytest.raises(ScenarioError, match=r"signing\.nonsense"):
        predictors(DATA, scenario, True, 4, 2, 1, 0, held=("signing.nonsense",))


def test_a_scenario_that_seats_some_known_states_is_scored_on_those():
    """The toy seats 6 of the 100 known states: every predictor is scored on those 6, none is NaN."""
    v = cross_validate(load_scenario(TOY), DATA, k="loo", reps=2, seed=0, budget=2, other_reps=1)
    assert sorted(v.plan.states) == sorted(["USA", "DEU", "RUS", "CHN", "KEN", "BRA"])
    for name, s in v.scores().items():
        assert s["n_known"] == 6 and math.isfinite(s["brier"]), name


def test_workers_do_not_change_the_scorecard():
    scenario = load_scenario(TOY).replace(**{"seating.mode": "all"})
    one = cross_validate(scenario, DATA, k=3, reps=2, seed=1, budget=3, other_reps=1, workers=1)
    two = cross_validate(scenario, DATA, k=3, reps=2, seed=1, budget=3, other_reps=1, workers=2)
    assert one.scores() == two.scores()


def test_paired_bootstrap_known_answers():
    rng = np.random.default_rng(0)
    # a constant difference: every resample has the same mean, the interval is that point
    same = paired_bootstrap(np.full(50, 0.3), np.full(50, 0.1), rng)
    assert same["difference"] == pytest.approx(0.2) and same["interval"] == pytest.approx([0.2, 0.2])
    assert same["share_a_better"] == 0.0
    # differences ±1 in equal numbers: mean 0, the resampled mean has sd 1/√n; the 90 % interval
    # is about ±1.645/√n (normal approximation)
    n = 400
    d = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    result = paired_bootstrap(d, np.zeros(n), rng, draws=20000)
    assert result["difference"] == pytest.approx(0.0)
    lo, hi = result["interval"]
    assert lo == pytest.approx(-1.645 / np.sqrt(n), abs=0.01) and hi == pytest.approx(
        1.645 / np.sqrt(n), abs=0.01
    )
    # a perfect predictor against a coin: Brier 0 vs 0.25 on every state, so "better" with the point interval
    record = pd.Series(["signed", "not_signed"] * 10, index=[f"S{i:02d}" for i in range(20)])
    perfect = pd.Series((record == "signed").astype(float).to_numpy(), index=record.index)
    coin = pd.Series(0.5, index=record.index)
    c = compare(perfect, coin, record, "perfect", "coin", seed=0)
    assert c["brier"]["difference"] == pytest.approx(-0.25) and c["brier"]["interval"] == pytest.approx(
        [-0.25, -0.25]
    )
    assert (
        c["brier"]["verdict"] == "better"
        and compare(coin, perfect, record, "c", "p", 0)["brier"]["verdict"] == "worse"
    )
    assert compare(coin, coin, record, "c", "c", 0)["log_loss"]["verdict"] == "no difference at 90 %"


def test_text_left_out_of_the_loss_is_not_fitted():
    """With text_weight 0 the loss is the log-loss alone; the default adds the share of clauses missing."""
    toy = load_scenario(TOY)
    states = ["USA", "DEU", "RUS", "CHN", "KEN", "BRA"]
    with_text = scenario_loss(toy, DATA, states, 8, 0)
    without = scenario_loss(toy, DATA, states, 8, 0, text_weight=0.0)
    from wcitsim.core.world import build_world, replication_seeds
    from wcitsim.experiments.runner import run_outcome

    world = build_world(toy, DATA)
    o = run_outcome(world, replication_seeds(0, 8))
    final = world.agenda.final_acts
    comparable = np.isfinite(final)
    assert with_text - without == pytest.approx(float(np.mean(o.text[:, comparable] != final[comparable])))


def test_the_sensitivity_scenario_drops_the_outcome_inputs():
    scenario = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    changed, free = without_outcome_inputs(scenario)
    assert changed.seeder.covariate_weights["foc_2012"] == 0.0
    assert "CEPT" not in changed.groups.anchors or not changed.groups.anchors["CEPT"]
    assert "eu" not in changed.groups.cohesion
    assert all(p.path != "seeder.covariate_weights.foc_2012" for p in free)


def test_signing_refit_fits_only_the_signing_rule():
    scenario = load_scenario(TOY).replace(**{"seating.mode": "all", "protocol.name": "compromise"})
    refit = SigningRefit("compromise", scenario, DATA, reps=2, seed=0, budget=30).prepare()
    train = known_states(DATA)[:60]
    fit = refit.fit(train, known_states(DATA))
    assert set(fit.info["coefficients"]) == {"signing.intercept", "signing.temperature", "signing.conformity"}
    # the fit never does worse on its training states than where it starts (the middle of the ranges)
    start = log_loss_of(refit, [0.5, 0.5, 0.5], train)
    assert fit.info["loss"] <= start + 1e-12


def log_loss_of(refit, unit, states):
    from wcitsim.metrics import log_loss

    index = {s: i for i, s in enumerate(refit.prepared["iso3"])}
    rows = [index[s] for s in states if s in index]
    y = (DATA.record.loc[[refit.prepared["iso3"][r] for r in rows], "decision"] == "signed").to_numpy()
    return log_loss(refit._probability(unit)[rows], y)


def test_validate_command_writes_the_report(tmp_path, capsys):
    scenario = tmp_path / "toy_all.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\nmode = "all"\n', encoding="utf-8")
    code = main(
        ["validate", str(scenario), "--folds", "3", "--reps", "3", "--budget", "3", "--protocol-reps", "1",
         "--prior-sd", "0.25", "--hold", "signing.conformity", "--out", str(tmp_path), "--json"]
    )  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed["scores"]) == SCORECARD
    folder = Path(printed["output"])
    assert {p.name for p in folder.iterdir()} == {
        "report.md",
        "metrics.json",
        "reliability.png",
        "errors_map.png",
        "regions.png",
    }
    report = (folder / "report.md").read_text()
    for heading in ("## Scores (out of fold)", "## Differences that matter", "## The record's vote"):
        assert heading in report
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["folds"] == 3 and len(metrics["fold_of"]) == 100
    made = metrics["produced_by"]  # what made it, as the report's first line says
    assert made["command"].startswith("wcitsim validate ") and "--prior-sd 0.25" in made["command"]
    assert made["wcitsim_version"] == __version__ and f"(wcitsim {__version__}, git " in report
    assert made["git_revision"] is None or made["git_revision"] in report
    assert folder.name.endswith("-b3-p0.25-held1-" + hashlib.sha1(b"signing.conformity").hexdigest()[:6])
    assert metrics["prior_sd"] == 0.25
    assert metrics["held"] == ["signing.conformity"] and "Held at their prior's centre" in report
    assert "| `signing.conformity` | 1.5 | held | held | held |" in report
    assert (
        f"wcitsim validate {scenario} --folds 3" in report and "--hold signing.conformity" in report
    )  # as run
    for fits in metrics["calibrated"].values():
        assert all("signing.conformity" not in f["coefficients"] for f in fits)
    assert "a Gaussian prior of sd 0.25 of each range" in report
    assert len(metrics["comparisons"]) == len(PAIRS)


def test_quick_validation_has_the_keys_of_the_full_report(tmp_path, capsys):
    scenario = tmp_path / "toy_all.toml"
    scenario.write_text(f'extends = "{TOY.as_posix()}"\n[seating]\nmode = "all"\n', encoding="utf-8")
    assert main(["validate", str(scenario), "--quick", "--out", str(tmp_path), "--json"]) == 0
    quick = json.loads(capsys.readouterr().out)
    args = ["--folds", "3", "--reps", "2", "--budget", "3", "--protocol-reps", "1"]
    assert main(["validate", str(scenario), *args, "--out", str(tmp_path), "--json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert quick["quick"] and not full["quick"] and quick["folds"] == QUICK["k"]

    def keys(node, prefix=""):
        """Dotted keys, not descending where the keys are data (ISO3 codes, regions)."""
        if not isinstance(node, dict) or prefix.rsplit(".", 1)[-1] in ("by_region", "movers", "supporters"):
            return set()
        return {f"{prefix}.{k}" for k in node} | set().union(
            *(keys(v, f"{prefix}.{k}") for k, v in node.items())
        )

    assert keys(quick) - {".output"} == keys(full) - {".output"}


def test_calibrate_command(tmp_path, capsys):
    out = tmp_path / "cal.toml"
    args = ["calibrate", str(TOY), "--budget", "4", "--reps", "2", "--prior-sd", "0.5", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "written to" in printed and "+ the prior's penalty, sd 0.5 of each range (" in printed
    assert "--prior-sd 0.5" in out.read_text() and "Gaussian prior's penalty (sd 0.5" in out.read_text()
    with pytest.raises(SystemExit) as err:
        main(["calibrate", str(TOY), "--prior-sd", "0", "--out", str(out)])
    assert err.value.code == 2 and "--prior-sd: 0 is out of range" in capsys.readouterr().err
    assert load_scenario(out).meta.name == "toy"


def test_calibrate_holds_the_coefficients_named_at_the_middle_of_their_range(tmp_path, capsys):
    """--hold takes dotted keys and patterns: the held coefficients are written at their centre and not fitted."""
    out = tmp_path / "held.toml"
    args = ["calibrate", str(TOY), "--budget", "4", "--reps", "2", "--out", str(out)]
    assert main([*args, "--hold", "seeder.covariate_weights.*", "--hold", "signing.intercept"]) == 0
    printed, said = capsys.readouterr()
    # where each is held, beside the scenario's own value, so that a held value is never mistaken for the file's
    toy = load_scenario(TOY)
    assert said.startswith("holding at the middle of its range, not at the scenario's value: ")
    assert f"signing.intercept = 0 (the scenario's {toy.signing.intercept:.4g})" in said
    assert said.count("\n") == 1
    text = out.read_text()
    held = ["seeder.covariate_weights.fh_total_score", "seeder.covariate_weights.gdp_pc_ppp_2012",
            "signing.intercept"]  # fmt: skip
    assert "".join(f" --hold {h}" for h in held) in text
    assert f"# Held at the middle of their range, not fitted: {', '.join(held)}." in text
    loaded = load_scenario(out)
    assert loaded.seeder.covariate_weights["fh_total_score"] == pytest.approx(0.5)  # (−2 + 3) / 2
    assert loaded.seeder.covariate_weights["gdp_pc_ppp_2012"] == pytest.approx(
        0.5
    )  # the toy's 0.25 is not kept
    assert (
        loaded.seeder.covariate_weights["unga_idealpoint_s67_2012"] == 1.0
    )  # the index's anchor, never fitted
    assert loaded.signing.intercept == 0.0  # (−1 + 1) / 2
    assert "signing.intercept" in printed and "CMA-ES over" in text
    result = calibrate(load_scenario(TOY), DATA, ["USA", "RUS", "KEN", "BRA"], budget=4, replications=2,
                       held=("signing.intercept",))  # fmt: skip
    assert "signing.intercept" not in {p.path for p in result.parameters}
    assert result.held == {"signing.intercept": 0.0} and result.scenario.signing.intercept == 0.0


def test_the_search_is_named_for_what_is_left_to_fit(tmp_path, capsys):
    """CMA-ES needs two coefficients: with one left the header names Brent's search, with none no search."""
    args = ["calibrate", str(TOY), "--budget", "4", "--reps", "2"]
    one = [
        "--hold",
        "seeder.*",
        "--hold",
        "protocol.*",
        "--hold",
        "signing.temperature",
        "--hold",
        "signing.conformity",
    ]
    assert main([*args, *one, "--out", str(tmp_path / "one.toml")]) == 0
    assert "# Brent's bounded search over 1 global coefficients" in (tmp_path / "one.toml").read_text()
    assert main([*args, "--hold", "*", "--out", str(tmp_path / "none.toml")]) == 0
    text = (tmp_path / "none.toml").read_text()
    assert "# No search (every coefficient held) over 0 global coefficients" in text
    assert load_scenario(tmp_path / "none.toml").signing.conformity == pytest.approx(1.5)


def test_two_different_held_sets_never_share_a_validation_folder():
    from types import SimpleNamespace

    from wcitsim.validation.report import validation_id

    def folder(held):
        return validation_id(SimpleNamespace(
            tuned=True, budget=150, prior_sd=math.inf, held=held, quick=False, reps=50, vote_weight=0.0,
            scenario=SimpleNamespace(meta=SimpleNamespace(name="wcit2012")), plan=SimpleNamespace(k=10, seed=0),
        ))  # fmt: skip

    assert folder(()) == "wcit2012-k10-s0-r50-b150"
    a, b = folder(("signing.intercept",)), folder(("signing.conformity",))
    assert a.startswith("wcit2012-k10-s0-r50-b150-held1-") and b.startswith("wcit2012-k10-s0-r50-b150-held1-")
    assert a != b and folder(("signing.intercept", "signing.conformity")) == folder(("signing.conformity",
                                                                                      "signing.intercept"))  # fmt: skip


def test_hold_with_no_calibrate_is_refused(tmp_path, capsys):
    assert (
        main(["validate", str(TOY), "--no-calibrate", "--hold", "signing.intercept", "--out", str(tmp_path)])
        == 2
    )
    assert "--hold with --no-calibrate: nothing is fitted" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("command", ["calibrate", "validate"])
def test_a_hold_that_names_no_coefficient_is_one_line(tmp_path, command, capsys):
    assert main([command, str(TOY), "--hold", "signing.nonsense", "--out", str(tmp_path / "x")]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(
        f"wcitsim: error: --hold 'signing.nonsense': {TOY} fits no such coefficient; expected one of"
    )
    assert "signing.intercept" in line and "Traceback" not in line and not any(tmp_path.iterdir())


def test_explain_command(capsys):
    assert main(["explain", str(TOY), "KEN", "--reps", "5"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Kenya (KEN), group ATU")
    assert "total utility gain" in printed and "scope" in printed
    assert main(["explain", str(TOY), "FRA", "--reps", "2"]) == 2  # not seated
    assert "'FRA' is not seated" in capsys.readouterr().err


def test_explain_adds_up():
    from wcitsim.core.rules import lost_votes, passed_clauses
    from wcitsim.core.utility import normalized
    from wcitsim.experiments.runner import run_scenario
    from wcitsim.validation.explain import explain_state

    result = run_scenario(load_scenario(TOY), 10, 1)
    e = explain_state(result, "USA")
    assert sum(c["contribution"] for c in e["clauses"]) == pytest.approx(e["gain"])
    i = result.world.iso3.index("USA")
    assert e["lost_vote_cost"] == 0 and e["gain"] == pytest.approx(float(result.outcome.gain[:, i].mean()))
    # with votes as commitments, the gain the signing rule sees is the text's utility less δ × the weight
    # of every clause the delegation voted against and lost (no clause is declared adopted in the toy)
    result = run_scenario(load_scenario(TOY).replace(**{"signing.lost_vote": 1.5}), 10, 1)
    o = result.outcome
    for iso in result.world.iso3:
        e, i = explain_state(result, iso), result.world.iso3.index(iso)
        lost = lost_votes(o.votes, o.contested, passed_clauses(o.tallies, result.scenario.voting))[:, i]
        cost = 1.5 * (normalized(o.salience[:, i]) * lost).sum(axis=1).mean()
        assert e["lost_vote_cost"] == pytest.approx(cost, abs=1e-9)
        assert e["gain"] - e["lost_vote_cost"] == pytest.approx(float(o.gain[:, i].mean()))
        assert [c["lost_vote"] for c in e["clauses"]] == pytest.approx(lost.mean(axis=0).tolist())
    assert max(explain_state(result, iso)["lost_vote_cost"] for iso in result.world.iso3) > 0


def test_two_validation_runs_are_compared_on_the_same_folds(tmp_path, capsys):
    """tools/compare_validations.py: a predictor identical in both runs differs by exactly 0; one that puts
    every known state nearer its decision is better, with an interval below 0; runs on other folds are refused."""
    from conftest import load_tool

    tool = load_tool("compare_validations")
    record = load_dataset().record["decision"]
    known = record[record.isin(["signed", "not_signed"])]
    truth = (known == "signed").astype(float)
    folds = {iso: i % 10 for i, iso in enumerate(known.index)}
    same = {iso: 0.5 for iso in known.index}
    a = {"scenario": "a", "folds": 10, "seed": 0, "fold_of": folds,
         "out_of_fold": {"flat": same, "sharp": (0.2 + 0.6 * truth).to_dict()}}  # fmt: skip
    b = {"scenario": "b", "folds": 10, "seed": 0, "fold_of": folds,
         "out_of_fold": {"flat": same, "sharp": same, "only in b": same}}  # fmt: skip
    rows = {r["predictor"]: r for r in tool.comparisons(a, b, record)}
    assert set(rows) == {"flat", "sharp"}
    assert rows["flat"]["brier"]["difference"] == 0.0 and rows["flat"]["brier"]["interval"] == [0.0, 0.0]
    assert rows["sharp"]["brier"]["difference"] == pytest.approx(0.04 - 0.25)  # 0.2² against 0.5²
    assert rows["sharp"]["brier"]["verdict"] == "better" and rows["sharp"]["brier"]["interval"][1] < 0
    files = []
    for name, run in (("a", a), ("b", {**b, "fold_of": {**folds, known.index[0]: 9}})):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps(run), encoding="utf-8")
    assert tool.main([str(f) for f in files]) == 2
    assert "different folds" in capsys.readouterr().err
    files[1].write_text("[1, 2]", encoding="utf-8")
    assert tool.main([str(f) for f in files]) == 2
    assert (
        capsys.readouterr().err
        == f"compare_validations: {files[1]}: not a metrics.json of wcitsim validate (no out_of_fold or fold_of)\n"
    )


def test_two_predictors_are_compared_state_by_state_within_runs(tmp_path, capsys):
    """tools/compare_validations.py --pair: per state, P(sign) under each predictor and the difference in
    squared error, averaged over the runs; known answers on two hand-made runs."""
    from conftest import load_tool

    tool = load_tool("compare_validations")
    record = load_dataset().record["decision"]
    signer = record[record == "signed"].index[0]
    refuser = record[record == "not_signed"].index[0]
    folds = {signer: 0, refuser: 1}
    runs = [
        {"scenario": "s", "folds": 2, "seed": seed, "fold_of": folds,
         "out_of_fold": {"a": {signer: pa, refuser: 0.5}, "b": {signer: 0.5, refuser: pb}}}
        for seed, pa, pb in ((0, 0.9, 0.1), (1, 0.7, 0.3))
    ]  # fmt: skip
    table = tool.state_differences(runs, "a", "b", record)
    # the signer: A's squared error (0.1², 0.3²) less B's (0.5², 0.5²), averaged: (0.01 + 0.09) / 2 − 0.25
    assert table.loc[signer, "difference"] == pytest.approx(0.05 - 0.25)
    assert table.loc[signer, ["p_a", "p_b"]].tolist() == pytest.approx([0.8, 0.5])
    # the refuser: 0.25 less (0.1², 0.3²) averaged
    assert table.loc[refuser, "difference"] == pytest.approx(0.25 - 0.05)
    assert list(table.index) == [signer, refuser] and table.loc[refuser, "record"] == "not_signed"
    files = []
    for i, run in enumerate(runs):
        files.append(tmp_path / f"r{i}.json")
        files[-1].write_text(json.dumps(run), encoding="utf-8")
    assert tool.main(["--pair", "a", "b", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert f"{signer} (signed): P(sign) 0.50 under B, 0.80 under A; -0.200" in out
    assert "1 states gain more than 0.02 (-0.20 in all), 1 lose more than 0.02 (+0.20)" in out
    assert tool.main(["--pair", "a", "c", str(files[0])]) == 2
    assert "no predictor 'c'" in capsys.readouterr().err
    assert tool.main([str(files[0])]) == 2  # without --pair, two runs are needed
    assert "expected two metrics.json" in capsys.readouterr().err


def test_the_slow_protocols_run_on_no_shipped_coefficient():
    """``expected_utility`` and ``exchange`` are run once before the folds: every coefficient the shipped
    calibration fitted on all 100 states (the mechanisms' too) is set to the middle of its range first."""
    from wcitsim.validation.predictors import midpoint

    shipped = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    other = shipped.replace(
        **{"signing.lost_vote": 0.3, "signing.persuasion": 0.7, "protocol.alignment": 0.4,
           "protocol.concession": 0.9, "seeder.covariate_slope": 9.0, "signing.conformity": 2.5}
    )  # fmt: skip
    a, b = midpoint(shipped), midpoint(other)
    assert (a.seeder, a.signing, a.protocol) == (b.seeder, b.signing, b.protocol)
    assert a.signing.lost_vote == pytest.approx(1.0) and a.protocol.alignment == pytest.approx(0.25)


def test_the_shipped_report_reproduces_at_this_revision_on_its_first_fold():
    """docs/validation/wcit2012/ is what this code computes: its scenario, its folds, and fold 0's
    calibration (coefficients and loss) and held-out P(sign), to the last bit. A change to the model or
    the calibration fails here until the shipped report is re-made (docs/validation.md gives the command)."""
    from wcitsim.validation.crossval import make_folds, predictors, seated_known

    shipped = json.loads((ROOT / "docs" / "validation" / "wcit2012" / "metrics.json").read_text())
    scenario = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    assert shipped["scenario_digest"] == scenario.digest
    data = load_dataset()
    plan = make_folds(data, shipped["folds"], shipped["seed"], seated_known(scenario, data))
    assert plan.fold == shipped["fold_of"]
    model = next(
        p
        for p in predictors(
            data, scenario, True, shipped["budget"], shipped["replications"], 4, shipped["seed"]
        )
        if p.name == "model (single_text)"
    )
    train, held_out = plan.split(0)
    fit = model.prepare().fit(train, held_out)
    fold = shipped["calibrated"]["model (single_text)"][0]
    assert fit.info["coefficients"] == fold["coefficients"] and fit.info["loss"] == fold["loss"]
    assert fit.probability.to_dict() == {
        s: shipped["out_of_fold"]["model (single_text)"][s] for s in held_out
    }
