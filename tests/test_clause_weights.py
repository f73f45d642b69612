"""A clause's own covariate index (``seeder.clause_weights``), and the scenario that seeds the right of access on
alignment alone (``access_alignment``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.cli import main
from wcitsim.core.world import build_world
from wcitsim.data import load_dataset
from wcitsim.errors import ScenarioError
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.calibrate import parameters_for

DATA = load_dataset()
IDEAL = "unga_idealpoint_s67_2012"
BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "wcit2012.toml"


def _z(values: pd.Series) -> pd.Series:
    """z-scores over all Member States, the population standard deviation (ddof 0)."""
    return (values - values.mean()) / values.std(ddof=0)


def test_the_right_of_access_on_alignment_alone_by_hand():
    """access_alignment: p = σ(logit(a_g) − γ·(z_i − z̄_g)), z the UNGA ideal point's z-score, on the right of
    access only; every other clause, charging (the other economic clause) included, is the baseline's bit for bit."""
    base, aligned = load_scenario("wcit2012"), load_scenario("access_alignment")
    assert aligned.seeder.clause_weights == {"access_right": {IDEAL: 1.0}}
    was, now = build_world(base, DATA), build_world(aligned, DATA)
    ids, iso3 = list(now.agenda.ids), list(now.iso3)
    k = ids.index("access_right")
    others = [j for j in range(len(ids)) if j != k]
    assert np.array_equal(now.position[:, others], was.position[:, others])
    assert np.array_equal(now.salience, was.salience)
    z = _z(DATA.states.loc[iso3, IDEAL].astype(float)).to_numpy()
    gamma = base.seeder.covariate_slope
    for state, group in (("RUS", "RCC"), ("ARE", "ASMG"), ("ZAF", "ATU")):
        members = np.flatnonzero(now.group == group)
        anchor = base.groups.anchors[group]["access_right"][0]
        i = iso3.index(state)
        want = 1 / (1 + np.exp(-(np.log(anchor / (1 - anchor)) - gamma * (z[i] - np.nanmean(z[members])))))
        assert now.position[i, k] == pytest.approx(want, rel=1e-12), state
    # the index of income and Internet use put Russia and the host against it; alignment alone puts them for
    for state in ("RUS", "ARE"):
        i = iso3.index(state)
        assert was.position[i, k] < 0.5 < now.position[i, k], state


def test_a_clause_given_its_familys_own_weights_is_seeded_as_before():
    """Naming the right of access with the economic index's own weights changes nothing, bit for bit."""
    base = load_scenario("wcit2012")
    same = base.replace(**{"seeder.clause_weights": {"access_right": dict(base.seeder.economic_weights)}})
    assert np.array_equal(build_world(same, DATA).position, build_world(base, DATA).position)


def test_a_clause_s_own_index_adds_no_coefficient():
    fitted = {p.path for p in parameters_for(load_scenario("access_alignment"))}
    assert fitted == {p.path for p in parameters_for(load_scenario("wcit2012"))}


@pytest.mark.parametrize(
    ("weights", "says"),
    [
        (
            {"preamble": {IDEAL: 1.0}},
            r"seeder\.clause_weights: 'preamble' is not a clause on the table; expected one of",
        ),
        (
            {"access_right": {"gdp": 1.0}},
            r"seeder\.clause_weights\.access_right\.gdp: not a numeric column of states\.csv",
        ),
        ({"access_right": {}}, r"seeder\.clause_weights\.access_right: no weight other than 0"),
        ({"access_right": {IDEAL: 0.0}}, r"seeder\.clause_weights\.access_right: no weight other than 0"),
    ],
)
def test_a_bad_clause_index_is_refused_with_the_key(weights, says):
    scenario = load_scenario("wcit2012").replace(**{"seeder.clause_weights": weights})
    with pytest.raises(ScenarioError, match=says):
        build_world(scenario, DATA)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1.0", r"seeder\.clause_weights\.access_right\.unga_idealpoint_s67_2012: '1\.0'; expected a number"),
        (
            11.0,
            r"seeder\.clause_weights\.access_right\.unga_idealpoint_s67_2012: 11\.0 is out of range; expected in \[-10, 10\]",
        ),
    ],
)
def test_a_bad_weight_is_refused_where_it_is_read(value, says):
    with pytest.raises(ScenarioError, match=says):
        load_scenario("wcit2012").replace(**{"seeder.clause_weights": {"access_right": {IDEAL: value}}})


def test_only_the_tabled_seeder_takes_a_clause_index():
    scenario = load_scenario("access_alignment").replace(**{"seeder.name": "anchors"})
    with pytest.raises(ScenarioError, match=r"seeder\.clause_weights: given, but seeder\.name is 'anchors'"):
        build_world(scenario, DATA)


def test_the_command_line_says_which_clause_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{BASELINE.as_posix()}"\n[seeder.clause_weights.access_rigth]\nunga_idealpoint_s67_2012 = 1.0\n',
        encoding="utf-8",
    )
    assert main(["run", str(bad), "--reps", "2", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seeder.clause_weights: 'access_rigth' is not a clause on the table" in err[0]
    assert "bad.toml" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_list_for_the_table_says_what_the_table_holds():
    with pytest.raises(
        ScenarioError, match=r"seeder\.clause_weights: \[1, 2\]; expected a table of tables of numbers$"
    ):
        load_scenario("wcit2012").replace(**{"seeder.clause_weights": [1, 2]})


def test_an_empty_covariate_name_is_quoted():
    scenario = load_scenario("wcit2012").replace(**{"seeder.clause_weights": {"access_right": {"": 1.0}}})
    with pytest.raises(
        ScenarioError, match=r"seeder\.clause_weights\.access_right: '' is not a numeric column"
    ):
        build_world(scenario, DATA)


def test_a_log_covariate_that_may_be_zero_or_negative_is_refused_before_it_runs():
    """log of a Polity score (−10 to 10) or of Internet use (0 to 100) is not defined everywhere: refused by name,
    with the covariates that are positive by their schema; income (from 1) is accepted."""
    base = load_scenario("wcit2012")
    for name, lowest in (("polity5_score_2012", "-10"), ("internet_users_pct_2012", "0")):
        bad = base.replace(**{"seeder.log_covariates": ["gdp_pc_ppp_2012", name]})
        with pytest.raises(
            ScenarioError, match=rf"seeder\.log_covariates: '{name}' may be {lowest} \(its lowest"
        ):
            build_world(bad, DATA)
    assert "gdp_pc_ppp_2012" in base.seeder.log_covariates
    build_world(base, DATA)


def test_a_clause_dropped_from_the_table_may_stay_named_by_a_base_file():
    """The baseline's prior names the right of access among the economic clauses; a variant that drops it runs
    (the names are of a clause off the table), and a clause that was never on the agenda is still refused."""
    dropped = load_scenario("access_alignment").replace(**{"agenda.drop": ["access_right"]})
    world = build_world(dropped, DATA)
    assert "access_right" not in world.agenda.ids
    typo = dropped.replace(**{"seeder.economic_clauses": ["charging", "acess_right"]})
    with pytest.raises(
        ScenarioError, match=r"seeder\.economic_clauses: 'acess_right' is not a clause on the table"
    ):
        build_world(typo, DATA)
