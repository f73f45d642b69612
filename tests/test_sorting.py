"""The mechanisms that can sort a field as well as average it, each by hand and behind its switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.rules import consensus_draft, floor_motions, lost_votes, tally
from wcitsim.core.seeding import seed_tabled
from wcitsim.core.session import align
from wcitsim.core.world import build_world, eligibility, replication_seeds
from wcitsim.data import load_dataset
from wcitsim.errors import UsageError
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario
from wcitsim.validation.calibrate import parameters_for

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"
DATA = load_dataset()


def test_a_tally_counts_each_vote_with_its_weight():
    votes = np.array([[1], [1], [-1], [0]])  # four delegations, one clause
    assert tally(votes).tolist() == [[2, 1, 1]]
    weights = np.array([1.0, 0.5, 1.0, 0.25])
    # yes 1 + 0.5, no 1, abstain = total 2.75 − 2.5
    assert tally(votes, weights).tolist() == [[1.5, 1.0, 0.25]]


def test_lost_votes_truth_table():
    votes = np.array([[1, 1], [-1, -1], [0, 0]])  # 3 delegations × 2 clauses
    contested = np.array([True, True])
    passed = np.array([True, False])
    lost = lost_votes(votes, contested, passed)
    # clause 0 passed: the no-voter lost; clause 1 fell: the yes-voter lost; abstainers never lose
    assert lost.tolist() == [[False, True], [True, False], [False, False]]
    assert not lost_votes(votes, np.array([False, False]), passed).any()  # no vote, nobody lost


def test_a_motion_from_the_floor_by_hand():
    agenda = AgendaArrays(
        ids=("access", "spam"), labels=(("none", "right"), ("none", "art")),
        options=np.array([[0.0, 1.0], [0.0, 1.0]]), status_quo=np.zeros(2),
        final_acts=np.array([1.0, 1.0]), salience=np.ones(2),
    )  # fmt: skip
    view = np.array([[0.9, 0.2], [0.1, 0.3], [0.8, 0.0]])
    salience = np.array([[3.0, 1.0], [1.0, 1.0], [1.0, 3.0]])
    draft = np.array([0.0, 1.0])  # the chair left the access right out, kept spam in
    weights = np.array([1.0, 1.0, 1.0])
    # stakes on 'access' (option 1 preferred by delegations 0 and 2): ŝ · (|0 − v| − |1 − v|)
    # delegation 0: 0.75 · (0.9 − 0.1) = 0.6; delegation 2: 0.25 · (0.8 − 0.2) = 0.15; delegation 1 prefers 0
    new, moved, mover = floor_motions(draft, agenda.status_quo, agenda, view, salience, weights, 1.0, 0.5)
    assert new.tolist() == [1.0, 1.0] and moved.tolist() == [True, False] and mover.tolist() == [0, -1]
    # a higher threshold than the largest stake: no motion
    _, moved, _ = floor_motions(draft, agenda.status_quo, agenda, view, salience, weights, 1.0, 0.61)
    assert not moved.any()
    # only delegations entitled to vote may move: without delegation 0, delegation 2 (stake 0.15) moves
    _, moved, mover = floor_motions(
        draft, agenda.status_quo, agenda, view, salience, np.array([0.0, 1, 1]), 1.0, 0.1
    )
    assert moved.tolist() == [True, False] and mover.tolist() == [2, -1]


def test_the_consensus_chair_keeps_a_clause_without_consensus_at_1988_by_hand():
    from types import SimpleNamespace

    voting = SimpleNamespace(objection_threshold=0.05, consensus_share=0.9)  # > 10 % objecting: no consensus
    draft, sq = np.array([1.0, 1.0, 0.0]), np.zeros(3)
    view = np.array([[0.9, 0.8, 0.9], [0.1, 0.7, 0.9], [0.2, 0.9, 0.1]])
    salience = np.ones((3, 3))
    # the loss from the draft's option, ŝ · (|1 − v| − |0 − v|) with ŝ = 1/3: on clause 0, delegation 1
    # (1/3 · 0.8 = 0.27) and 2 (1/3 · 0.6 = 0.2) object, 2 of 3; on clause 1 nobody (every v > 0.5);
    # clause 2 is at 1988 already
    assert consensus_draft(draft, sq, view, salience, voting, 1.0).tolist() == [0.0, 1.0, 0.0]
    # a clause declared adopted stays, whatever the objections
    keep = np.array([True, False, False])
    assert consensus_draft(draft, sq, view, salience, voting, 1.0, keep).tolist() == [1.0, 1.0, 0.0]
    # one objector of three is still more than 10 %; with consensus_share 0.5 two of three are needed
    lenient = SimpleNamespace(objection_threshold=0.05, consensus_share=0.3)
    assert consensus_draft(draft, sq, view, salience, lenient, 1.0).tolist() == [1.0, 1.0, 0.0]
    assert consensus_draft(draft, sq, view[:2], salience[:2], voting, 1.0).tolist() == [0.0, 1.0, 0.0]


def test_under_the_consensus_chair_every_vote_is_on_a_motion_from_the_floor():
    base = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    world_off, seeds = build_world(base, DATA), replication_seeds(4, 8)
    off = run_outcome(world_off, seeds)
    # the baseline's chair puts contested text of its own to the vote
    assert (off.contested & ~off.moved).any()
    on = load_scenario(ROOT / "scenarios" / "consensus_chair.toml")
    assert on.chair.consensus_draft and not base.chair.consensus_draft
    world = build_world(on, DATA)
    o = run_outcome(world, seeds)
    assert not (o.contested & ~o.moved).any()  # the chair's own draft holds only what has consensus
    assert o.moved.sum() > off.moved.sum()
    k = world.agenda.ids.index("internet")
    assert np.all(o.text[o.declared[:, k], k] == off.text[off.declared[:, k], k])  # declared: kept as it was


def test_camps_align_on_the_single_text_by_hand():
    # one clause, draft at 1, status quo 0: the draft suits those above 0.5
    position = np.array([[0.9], [0.7], [0.2], [0.0]])
    salience = np.ones((4, 1))
    align(position, np.array([1.0]), np.zeros(1), salience, 1.0, 0.5)
    # camp for: 0.9 and 0.7, mean 0.8; camp against: 0.2 and 0.0, mean 0.1; half way to the camp's mean
    assert position.ravel() == pytest.approx([0.85, 0.75, 0.15, 0.05])
    # rate 1: each camp becomes one point, two poles
    align(position, np.array([1.0]), np.zeros(1), salience, 1.0, 1.0)
    assert position.ravel() == pytest.approx([0.8, 0.8, 0.1, 0.1])


def test_eligibility_counts_known_states_one_and_the_others_their_chance():
    record = pd.Series(["signed", "not_signed", "unknown", "unknown", "unknown", "unknown"])
    # 3 eligible: the 2 known + 1 of the 4 unknown, each with chance 1/4
    assert eligibility(record, 3).tolist() == [1.0, 1.0, 0.25, 0.25, 0.25, 0.25]
    world = build_world(load_scenario(ROOT / "scenarios" / "wcit2012.toml"), DATA)
    assert world.eligibility.sum() == pytest.approx(DATA.facts.eligible)


def test_the_tabled_seeder_centres_each_group_on_its_proposal():
    scenario = load_scenario(ROOT / "scenarios" / "wcit2012.toml").replace(
        **{"seeder.name": "tabled", "seeder.covariate_slope": 2.0, "seeder.economic_clauses": ["charging"],
           "seeder.economic_weights": {"gdp_pc_ppp_2012": 1.0}}
    )  # fmt: skip
    world = build_world(scenario, DATA)
    seed = _tabled_seed(scenario)
    k = world.agenda.ids.index("internet")
    cept = np.asarray(world.group) == "CEPT"
    anchor = scenario.groups.anchors["CEPT"]["internet"][0]
    # in logit space the members' mean is the anchor's logit (the centred index has mean 0)
    logit = np.log(seed.position[cept, k] / (1 - seed.position[cept, k]))
    margin = np.clip(anchor, 0.02, 0.98)
    assert logit.mean() == pytest.approx(np.log(margin / (1 - margin)), abs=1e-9)
    # a state's distance from its group's proposal grows with the slope: by hand for one member
    i = int(np.flatnonzero(cept)[0])
    x = seed.index  # the governance index
    centred = x[i] - x[cept].mean()
    assert logit[0] == pytest.approx(np.log(margin / (1 - margin)) - 2.0 * centred, abs=1e-9)
    # charging uses the economic index: a different spread from the governance clauses
    c = world.agenda.ids.index("charging")
    assert not np.allclose(seed.position[cept, c] - seed.position[cept, c].mean(),
                           seed.position[cept, k] - seed.position[cept, k].mean())  # fmt: skip


def _tabled_seed(scenario):
    from wcitsim.core.world import _seated

    states = _seated(scenario, DATA.states)
    return seed_tabled(states, AgendaArrays.from_clauses(scenario.agenda.active), scenario)


@pytest.mark.parametrize(
    "key, value",
    [
        ("protocol.alignment", 0.2),
        ("voting.motions", True),
        ("voting.eligible_only", True),
        ("signing.lost_vote", 0.5),
        ("chair.consensus_draft", True),
    ],
)
def test_each_mechanism_is_one_switch_and_the_reference_engine_refuses_it(key, value):
    base = load_scenario(TOY)
    on = base.replace(**{key: value})
    world = build_world(on, DATA)
    seeds = replication_seeds(3, 4)
    assert run_outcome(world, seeds).probability.shape == (4, world.n)
    with pytest.raises(UsageError, match=key):
        run_outcome(world, seeds[:1], "reference")


def test_a_mechanism_switched_on_is_calibrated_and_one_switched_off_is_not():
    off = load_scenario(ROOT / "scenarios" / "no_sorting.toml")
    paths = {p.path for p in parameters_for(off)}
    assert not paths & {"protocol.alignment", "signing.lost_vote", "signing.persuasion"}
    assert "seeder.anchor_weight" not in paths  # the tabled seeder has none
    prior = load_scenario(ROOT / "scenarios" / "priors" / "wcit2012_prior.toml")  # the anchors seeder
    assert "seeder.anchor_weight" in {p.path for p in parameters_for(prior)}
    baseline = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    assert {"protocol.alignment", "signing.lost_vote", "signing.persuasion"} <= {
        p.path for p in parameters_for(baseline)
    }


def test_lost_votes_lower_the_chance_of_signing():
    base = load_scenario(TOY).replace(**{"voting.objection_threshold": 0.0, "voting.consensus_share": 1.0})
    seeds = replication_seeds(5, 16)
    free = run_outcome(build_world(base, DATA), seeds)
    costly = run_outcome(build_world(base.replace(**{"signing.lost_vote": 1.0}), DATA), seeds)
    assert np.array_equal(free.text, costly.text)  # the cost acts on signing only
    assert np.all(costly.probability <= free.probability + 1e-12)
    assert (costly.probability < free.probability - 1e-9).any()


def test_the_chair_takes_the_temperature_and_declares_the_clause_adopted():
    base = load_scenario(ROOT / "scenarios" / "wcit2012.toml")
    on = base.replace(**{"chair.temperature_clause": "internet", "chair.temperature_session": 10})
    world = build_world(on, DATA)
    seeds = replication_seeds(2, 8)
    o = run_outcome(world, seeds)
    k = world.agenda.ids.index("internet")
    # declared where the show of hands had a majority for the draft's option; then never voted again,
    # and every later draft and the text keep it
    assert o.declared[:, k].any()
    assert not (o.declared & o.contested).any()
    declared = o.declared[:, k]
    assert np.all(o.drafts[declared, 10:, k] == o.drafts[declared, 9:10, k])
    assert np.all(o.text[declared, k] == o.drafts[declared, 9, k])
    # a clause that is not on the table is refused in one line
    from wcitsim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"chair\.temperature_clause"):
        build_world(
            base.replace(**{"chair.temperature_clause": "nothing", "chair.temperature_session": 3}), DATA
        )


def test_the_run_summary_says_which_clause_the_chair_declared_adopted():
    from wcitsim.experiments.runner import run_scenario

    result = run_scenario(load_scenario(ROOT / "scenarios" / "wcit2012.toml"), 8, 1)
    clauses = {c["id"]: c for c in result.summary()["text"]["clauses"]}
    k = result.world.agenda.ids.index("internet")
    assert clauses["internet"]["declared_share"] == pytest.approx(result.outcome.declared[:, k].mean())
    assert clauses["internet"]["declared_share"] > 0 and clauses["scope"]["declared_share"] == 0
