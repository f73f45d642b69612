"""Known answers, computed by hand, for each mechanism of the model."""

from __future__ import annotations

import numpy as np
import pytest

from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.drafting import DraftContext, draft_compromise, draft_majority, draft_median
from wcitsim.core.measures import cohesion
from wcitsim.core.rules import clause_votes, objections, settle_text, signing_probabilities
from wcitsim.core.utility import normalized, sign_probability, utility, utility_gain
from wcitsim.core.world import SigningParams, _interaction
from wcitsim.io.scenario import Clause, Voting
from wcitsim.metrics import accuracy, auc, balanced_accuracy, brier, log_loss

THREE = Clause(id="c", options=("a", "b", "c"), values=(0.0, 0.5, 1.0), status_quo=0.0)
TWO = Clause(id="d", options=("no", "yes"), values=(0.0, 1.0), status_quo=0.0)


def _ctx(agenda, n, **kw) -> DraftContext:
    signing = SigningParams(conformity=0.0, intercept=0.0, temperature=0.1, exponent=1.0, shift=np.zeros(n))
    base = {"host_position": None, "host_bias": 0.0}
    base.update(kw)
    return DraftContext(agenda=agenda, signing=signing, **base)


def test_utility_by_hand():
    # U = -(1 * |0.5 - 0.2| + 2 * |0.5 - 0.8|) = -(0.3 + 0.6)
    assert utility(np.array([0.5, 0.5]), np.array([0.2, 0.8]), np.array([1.0, 2.0])) == pytest.approx(-0.9)
    # quadratic: -(1 * 0.09 + 2 * 0.09)
    assert utility(np.array([0.5, 0.5]), np.array([0.2, 0.8]), np.array([1.0, 2.0]), 2.0) == pytest.approx(
        -0.27
    )


def test_utility_gain_by_hand():
    # saliences 1 and 3 normalise to 0.25 and 0.75; text (1, 0) against 1988 (0, 0), ideal (0.8, 0.4):
    # clause 1: |0 - .8| - |1 - .8| = 0.6; clause 2: |0 - .4| - |0 - .4| = 0  -> 0.25 * 0.6 = 0.15
    s = normalized(np.array([1.0, 3.0]))
    gain = utility_gain(np.array([1.0, 0.0]), np.array([0.0, 0.0]), np.array([0.8, 0.4]), s)
    assert gain == pytest.approx(0.15)


def test_snap_picks_the_nearest_option_and_the_lower_one_on_ties():
    agenda = AgendaArrays.from_clauses((THREE, TWO))
    assert agenda.snap(np.array([0.74, 0.49])).tolist() == [0.5, 0.0]
    assert agenda.snap(np.array([0.75, 0.5])).tolist() == [0.5, 0.0]
    assert agenda.snap(np.array([0.76, 0.51])).tolist() == [1.0, 1.0]


def test_compromise_is_the_weighted_mean_snapped():
    agenda = AgendaArrays.from_clauses((THREE,))
    position = np.array([[0.0], [1.0]])
    salience = np.ones((2, 1))
    # weights 1 and 4: mean 0.8 -> option 1.0
    assert draft_compromise(position, salience, np.array([1.0, 4.0]), _ctx(agenda, 2)).tolist() == [1.0]
    # weights 1 and 1: mean 0.5 -> option 0.5
    assert draft_compromise(position, salience, np.array([1.0, 1.0]), _ctx(agenda, 2)).tolist() == [0.5]


def test_median_is_the_weighted_median_snapped():
    agenda = AgendaArrays.from_clauses((THREE,))
    position = np.array([[0.1], [0.4], [0.9]])
    salience = np.ones((3, 1))
    # equal weights: median 0.4 -> 0.5; weights 3,1,1: half = 2.5 is reached at 0.1 -> 0.0
    assert draft_median(position, salience, np.ones(3), _ctx(agenda, 3)).tolist() == [0.5]
    assert draft_median(position, salience, np.array([3.0, 1.0, 1.0]), _ctx(agenda, 3)).tolist() == [0.0]
    # weights 1,1,3: the median is 0.9 -> 1.0
    assert draft_median(position, salience, np.array([1.0, 1.0, 3.0]), _ctx(agenda, 3)).tolist() == [1.0]


def test_median_with_host_bias_moves_toward_the_host():
    agenda = AgendaArrays.from_clauses((THREE,))
    position = np.array([[0.1], [0.4], [0.9]])
    # median 0.4, host 1.0, bias 0.5 -> 0.7 -> option 0.5; bias 0.8 -> 0.88 -> option 1.0
    ctx = _ctx(agenda, 3, host_position=np.array([1.0]), host_bias=0.5)
    assert draft_median(position, np.ones((3, 1)), np.ones(3), ctx).tolist() == [0.5]
    ctx = _ctx(agenda, 3, host_position=np.array([1.0]), host_bias=0.8)
    assert draft_median(position, np.ones((3, 1)), np.ones(3), ctx).tolist() == [1.0]


def test_majority_policy_maximises_expected_signatories():
    # Two delegations at 0.9 and one at 0.1; 1988 is 0. Text 1: gains .8, .8, -.8 -> P ~ 1, 1, 0 (sum ~2);
    # text 0: gains 0 -> P = .5 each (sum 1.5). The compromise (mean 0.63 -> 1) is already best.
    agenda = AgendaArrays.from_clauses((TWO,))
    position = np.array([[0.9], [0.9], [0.1]])
    assert draft_majority(position, np.ones((3, 1)), np.ones(3), _ctx(agenda, 3)).tolist() == [1.0]
    # With the low delegation weighing 10 in the compromise (mean 0.24 -> 0), the policy still moves to 1.
    assert draft_majority(
        position, np.ones((3, 1)), np.array([1.0, 1.0, 10.0]), _ctx(agenda, 3)
    ).tolist() == [1.0]


def test_caucus_pulls_members_toward_their_group_mean():
    # Two members, equal capability, cohesion 0.5, no influence: 0 and 1 move to 0.25 and 0.75.
    from wcitsim.core.world import Caucus

    caucus = Caucus("g", 0.5, np.array([0, 1]), np.array([0.5, 0.5]))
    m = _interaction(2, (caucus,), np.zeros((2, 2)), 0.0)
    transition = np.eye(2) + m - np.diag(m.sum(axis=1))
    assert (transition @ np.array([0.0, 1.0])).tolist() == pytest.approx([0.25, 0.75])


def test_interaction_never_pulls_past_the_targets():
    from wcitsim.core.world import Caucus

    caucus = Caucus("g", 1.0, np.array([0, 1]), np.array([0.5, 0.5]))
    allies = np.array([[0.0, 1.0], [1.0, 0.0]])
    m = _interaction(2, (caucus,), allies, 1.0)  # raw row sum 2 -> scaled to 1
    assert m.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])


def test_concession_moves_low_salience_clauses_toward_the_draft():
    from wcitsim.core.conference import yielding

    # saliences 1 and 0.5 -> yield 0 and 0.5; pressure 0.4 at the deadline; draft 1, position 0 -> 0 and 0.2
    salience = np.array([[[1.0, 0.5]]])
    position = np.zeros((1, 1, 2))
    moved = position + 0.4 * yielding(salience) * (np.ones((1, 2))[:, None, :] - position)
    assert moved.ravel().tolist() == pytest.approx([0.0, 0.2])


def test_vote_tally_by_hand():
    # draft 1 against 1988's 0, band 0.05: at .9 and .8 yes; at .1 no; at .5 indifferent -> abstain
    position = np.array([[0.9], [0.8], [0.1], [0.5]])
    assert clause_votes(np.array([1.0]), np.array([0.0]), position, 1.0, 0.05).tolist() == [[2, 1, 1]]
    # at .45 the 1988 text is nearer by .1 > band -> no
    position[3] = 0.45
    assert clause_votes(np.array([1.0]), np.array([0.0]), position, 1.0, 0.05).tolist() == [[2, 2, 0]]


def test_objections_and_the_deadline_rules():
    position = np.array([[0.9], [0.8], [0.1], [0.0]])
    salience = np.ones((4, 1))
    draft, sq = np.array([1.0]), np.array([0.0])
    # losses: -.8, -.6, +.8, +1.0 -> two of four object at threshold 0.05
    assert objections(draft, sq, position, salience, 1.0, 0.05).ravel().tolist() == [False, False, True, True]
    majority = Voting(rule="majority", consensus_share=0.9)
    text, contested, tallies = settle_text(draft, sq, position, salience, majority, 1.0)
    assert (
        contested.tolist() == [True] and tallies.tolist() == [[2, 2, 0]] and text.tolist() == [0.0]
    )  # a tie fails
    position[3] = 0.6  # now 3 yes, 1 no
    text, _, tallies = settle_text(draft, sq, position, salience, majority, 1.0)
    assert text.tolist() == [1.0] and tallies.tolist() == [[3, 1, 0]]
    consensus = Voting(rule="consensus", consensus_share=0.9)
    text, contested, tallies = settle_text(draft, sq, position, salience, consensus, 1.0)
    assert text.tolist() == [0.0] and contested.tolist() == [True] and tallies.sum() == 0
    two_thirds = Voting(rule="supermajority", supermajority=0.8, consensus_share=0.9)
    assert settle_text(draft, sq, position, salience, two_thirds, 1.0)[0].tolist() == [0.0]  # 3/4 < 0.8


def test_sign_probability_by_hand():
    # (0.2 + 1 * (1 - 0.5) + 0 - 0) / 0.5 = 1.4 -> logistic(1.4) = 0.802184
    assert sign_probability(0.2, 1.0, 1.0, 0.0, 0.0, 0.5) == pytest.approx(1 / (1 + np.exp(-1.4)))
    # a reservation shift of 0.2 cancels the gain: logistic(1.0)
    assert sign_probability(0.2, 1.0, 1.0, 0.0, 0.2, 0.5) == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_signing_with_group_conformity_by_hand():
    # One group of two at 0.6 and 0.4; text 0.5 against 1988's 0: gains |0-.6|-|.5-.6| = .5 and .4-.1 = .3.
    # tau 0.1, kappa 1: P0 = σ(gain / τ); then twice P = σ((gain + (mean P - ½)) / τ).
    signing = SigningParams(conformity=1.0, intercept=0.0, temperature=0.1, exponent=1.0, shift=np.zeros(2))
    membership = np.array([[0.5, 0.5]])
    position = np.array([[0.6], [0.4]])
    gain, prob = signing_probabilities(
        np.array([0.5]), np.array([0.0]), position, np.ones((2, 1)), membership, signing
    )
    assert gain.tolist() == pytest.approx([0.5, 0.3])
    p0 = 1 / (1 + np.exp(-np.array([5.0, 3.0])))
    share = p0.mean()
    p1 = 1 / (1 + np.exp(-(np.array([0.5, 0.3]) + (share - 0.5)) / 0.1))
    share = p1.mean()
    p2 = 1 / (1 + np.exp(-(np.array([0.5, 0.3]) + (share - 0.5)) / 0.1))
    assert prob.tolist() == pytest.approx(p2.tolist())


def test_group_cohesion_by_hand():
    membership = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    assert cohesion(np.array([0.2, 0.2, 0.9, 0.9]), membership) == pytest.approx(1.0)
    # each group's members sit 0.25 from its mean -> 1 - 2 * 0.25
    assert cohesion(np.array([0.0, 0.5, 0.5, 1.0]), membership) == pytest.approx(0.5)


def test_scores_by_hand():
    p = np.array([0.9, 0.6, 0.4, 0.2])
    y = np.array([True, False, True, False])
    assert accuracy(p, y) == 0.5
    assert balanced_accuracy(p, y) == 0.5
    assert brier(p, y) == pytest.approx((0.01 + 0.36 + 0.36 + 0.04) / 4)
    assert log_loss(p, y) == pytest.approx(-(np.log(0.9) + np.log(0.4) + np.log(0.4) + np.log(0.8)) / 4)
    # signatory scores .9, .4; others .6, .2: pairs won 3 of 4
    assert auc(p, y) == pytest.approx(0.75)
