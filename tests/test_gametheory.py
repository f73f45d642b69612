"""Game-theory panel: power indices, Nash bargaining, acceptable sets, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from wcitsim.core.agenda import AgendaArrays
from wcitsim.io.scenario import Clause
from wcitsim.teach.gametheory import (
    acceptable_sets,
    all_texts,
    banzhaf,
    compromise_point,
    nash_bargaining,
    shapley_shubik,
)

THREE = Clause(id="c", options=("a", "b", "c"), values=(0.0, 0.5, 1.0), status_quo=0.0)
TWO = Clause(id="d", options=("no", "yes"), values=(0.0, 1.0), status_quo=0.0)


def test_power_indices_of_a_classic_game():
    # [51; 50, 49, 1]: the big player is pivotal in 4 of 6 orders; the others in 1 each
    assert shapley_shubik([50, 49, 1], 51) == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    # swings: player 1 in {1,2}, {1,3}, {1,2,3}; players 2 and 3 once each -> 3/5, 1/5, 1/5
    assert banzhaf([50, 49, 1], 51) == pytest.approx([3 / 5, 1 / 5, 1 / 5])
    # a dictator and a dummy
    assert shapley_shubik([60, 40], 51) == pytest.approx([1.0, 0.0])
    # symmetric players share equally
    assert banzhaf([1, 1, 1], 2) == pytest.approx([1 / 3] * 3)


def test_power_indices_sum_to_one_on_random_games():
    rng = np.random.default_rng(0)
    for _ in range(20):
        w = rng.integers(1, 30, size=6)
        q = w.sum() / 2 + 0.5
        assert shapley_shubik(w, q).sum() == pytest.approx(1.0)
        assert banzhaf(w, q).sum() == pytest.approx(1.0)


def test_nash_bargaining_by_hand():
    agenda = AgendaArrays.from_clauses((THREE,))
    texts = all_texts(agenda)
    position = np.array([[1.0], [0.5]])
    salience = np.ones((2, 1))
    # text .5: gains .5 and .5 (product .25); text 1: gains 1 and 0 (not > 0): the solution is .5
    text, details = nash_bargaining(texts, agenda, position, salience, np.ones(2))
    assert text.tolist() == [0.5] and details["feasible_texts"] == 1
    # a delegation at 0 (the 1988 text) gains from nothing: no agreement for all
    text, details = nash_bargaining(texts, agenda, np.array([[1.0], [0.0]]), salience, np.ones(2))
    assert text is None and details["best_coverage"] == 0.5


def test_acceptable_sets_and_the_binary_outcome():
    agenda = AgendaArrays.from_clauses((THREE, TWO))
    texts = all_texts(agenda)
    assert len(texts) == 6
    position = np.array([[1.0, 1.0], [0.9, 1.0], [0.0, 0.0], [0.1, 0.0]])
    salience = np.ones((4, 2))
    camps = {"wide": np.array([True, True, False, False]), "narrow": np.array([False, False, True, True])}
    sets = acceptable_sets(texts, agenda, position, salience, camps)
    # the narrow camp sits at (or near) the 1988 text: nothing improves on it for both members
    assert sets["sizes"]["narrow"] == 0 and sets["binary"] and sets["intersection"] == 0
    assert sets["sizes"]["wide"] == 5  # every text but the 1988 one
    assert compromise_point(position, salience, np.ones(4)).tolist() == pytest.approx([0.5, 0.5])


def test_game_command_prints_the_panel(capsys):
    import json
    from pathlib import Path

    from wcitsim.cli import main

    toy = Path(__file__).resolve().parent / "data" / "toy.toml"
    assert main(["game", str(toy), "--reps", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {
        "voting_power",
        "nash_bargaining",
        "compromise_point",
        "chair_text",
        "acceptable_sets",
    }
    assert sum(v["shapley_shubik"] for v in report["voting_power"].values()) == pytest.approx(1.0)
    assert report["acceptable_sets"]["total"] == 3 * 3 * 2
    assert main(["game", str(toy), "--reps", "4"]) == 0
    assert "Voting power of the regional groups" in capsys.readouterr().out
