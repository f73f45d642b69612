"""Invariants of the model, checked on generated inputs (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wcitsim.core.rules import signing_probabilities
from wcitsim.core.utility import normalized, utility, utility_gain
from wcitsim.core.world import SigningParams, build_world
from wcitsim.data import load_dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.scenario import load_scenario

TOY = Path(__file__).resolve().parent / "data" / "toy.toml"
DATA = load_dataset()
unit = st.floats(0.0, 1.0, allow_nan=False)


@given(
    text=arrays(float, 4, elements=unit),
    position=arrays(float, (5, 4), elements=unit),
    salience=arrays(float, (5, 4), elements=st.floats(0.0, 10.0)),
    exponent=st.floats(0.5, 3.0),
)
def test_utilities_are_bounded(text, position, salience, exponent):
    u = utility(text, position, salience, exponent)
    assert np.all(u <= 0) and np.all(u >= -salience.sum(axis=-1) - 1e-12)
    gain = utility_gain(text, np.zeros(4), position, normalized(salience), exponent)
    assert np.all(np.abs(gain) <= 1 + 1e-12)


@settings(max_examples=30, deadline=None)
@given(
    ideal=st.lists(st.sampled_from([0.5, 1.0]), min_size=3, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_identical_preferences_give_unanimity_and_everyone_signs(ideal, seed):
    """Every delegation wants the same options (away from 1988): the text is theirs, no one objects, all sign."""
    scenario = load_scenario(TOY)
    ideal[2] = 1.0  # the access right has options 0 and 1
    clauses = ("scope", "internet", "access_right")
    overrides = {
        iso: {"position": dict(zip(clauses, ideal, strict=True)), "salience": dict.fromkeys(clauses, 1.0)}
        for iso in scenario.seating.include
    }
    scenario = scenario.replace(
        overrides=overrides,
        **{"seeder.position_noise": 0.0, "protocol.session_noise": 0.0, "signing.temperature": 0.01},
    )
    outcome = run_outcome(build_world(scenario, DATA), [seed])
    assert outcome.text[0].tolist() == ideal
    assert not outcome.contested.any()
    assert outcome.signed.all()


@settings(max_examples=50, deadline=None)
@given(
    shift=st.floats(0.0, 2.0),
    who=st.integers(0, 5),
    gains=arrays(float, (3, 6, 3), elements=unit),
    u=arrays(float, 6, elements=unit),
)
def test_raising_a_reservation_never_turns_no_into_yes(shift, who, gains, u):
    position, salience = gains, np.ones((3, 6, 3))
    membership = np.array([[0.5, 0.5, 0, 0, 0, 0], [0, 0, 0.25, 0.25, 0.25, 0.25]])
    text, sq = np.full((3, 3), 0.5), np.zeros(3)
    base = SigningParams(1.0, 0.0, 0.1, 1.0, np.zeros(6))
    raised = SigningParams(1.0, 0.0, 0.1, 1.0, np.where(np.arange(6) == who, shift, 0.0))
    _, p0 = signing_probabilities(text, sq, position, salience, membership, base)
    _, p1 = signing_probabilities(text, sq, position, salience, membership, raised)
    assert np.all(p1 <= p0 + 1e-12)
    assert not np.any((u < p1) & ~(u < p0))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_same_seed_same_result(seed):
    world = build_world(load_scenario(TOY), DATA)
    a, b = run_outcome(world, [seed]), run_outcome(world, [seed])
    for name in ("text", "position", "probability", "signed", "field", "votes"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_probabilities_and_positions_stay_in_range(seed):
    outcome = run_outcome(build_world(load_scenario(TOY), DATA), [seed, seed + 1])
    assert np.all((outcome.position >= 0) & (outcome.position <= 1))
    assert np.all((outcome.probability >= 0) & (outcome.probability <= 1))
    assert np.all(outcome.tallies.sum(axis=-1)[outcome.contested] == 6)
