"""The strategic structure of the conference, in the vocabulary of a game-theory course.

- **Voting power** of the regional groups (or any blocs) voting as units under the
  majority rule: Shapley–Shubik (1954) and normalised Banzhaf (1965) indices.
- **The Nash bargaining solution** (Nash 1950): the text that maximises the product of
  the delegations' utility gains over the disagreement point, the 1988 ITRs
  (weighted by capability: the asymmetric solution), among texts that leave no
  delegation worse off; and the **compromise point** (the DEU weighted mean).
- **Acceptable sets**: for each camp, the texts at least a given share of its
  members prefer to the 1988 rules; an empty intersection is the "binary"
  outcome of WCIT-12: no text both camps would accept.

Pure functions over arrays; the CLI (`wcitsim game`) and the teaching page print them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from wcitsim.core.agenda import AgendaArrays
from wcitsim.core.utility import normalized, utility_gain
from wcitsim.data import Facts

__all__ = [
    "acceptable_sets",
    "all_texts",
    "banzhaf",
    "compromise_point",
    "explanations",
    "nash_bargaining",
    "shapley_shubik",
]


def _vote_phrase(facts: Facts) -> str:
    """``the 77–33–8 vote on the right of access``: the recorded tally where facts.toml has it."""
    vote = facts.votes.get("access_right", {})
    if all(isinstance(vote.get(key), int) for key in ("yes", "no", "abstain")):
        return f"the {vote['yes']}–{vote['no']}–{vote['abstain']} vote on the right of access"
    return "the vote on the right of access"


def explanations(facts: Facts) -> dict[str, str]:
    """A paragraph on each concept, for students, with the record's numbers from ``facts``.

    Keys: ``voting_power``, ``nash``, ``compromise``, ``acceptable_sets``.
    """
    return {
        "voting_power": (
            "A group's voting power is how often its votes decide the outcome, not how many votes it has: the "
            "Shapley–Shubik index counts the orders of arrival in which a group turns a losing coalition into a "
            "winning one, the Banzhaf index the coalitions in which it is pivotal. Under a simple majority, many "
            f"small groups together can outweigh a rich one, as {_vote_phrase(facts)} showed."
        ),
        "nash": (
            "The Nash bargaining solution is the agreement that maximises the product of everyone's gain over "
            "what they get if talks fail, here the 1988 ITRs: it is efficient, symmetric and ignores irrelevant "
            "alternatives. If every text leaves someone worse off than 1988, there is no such agreement for all, "
            "and the conference must leave some delegations out."
        ),
        "compromise": (
            "The compromise point is the capability- and salience-weighted mean of the positions, the best single "
            "predictor of EU legislative outcomes (Thomson et al. 2006). Comparing it with the chair's text shows "
            "whom the chair's drafting favoured."
        ),
        "acceptable_sets": (
            "A camp's acceptable set holds the texts that (nearly) all its members prefer to staying under the 1988 "
            "rules. When the two camps' sets do not intersect, no text can win both: the conference turns binary, and "
            f"whichever text passes, one camp refuses to sign, as {facts.not_signed} states did in Dubai."
        ),
    }


def _check_players(weights: Sequence[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or len(w) > 20:
        raise ValueError("between 1 and 20 players, as a one-dimensional sequence of weights")
    return w


def shapley_shubik(weights: Sequence[float], quota: float) -> np.ndarray:
    """Shapley–Shubik power index of a weighted majority game (a coalition wins with weight ≥ quota)."""
    w = _check_players(weights)
    n = len(w)
    power = np.zeros(n)
    factorial = [math.factorial(k) for k in range(n + 1)]
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            for coalition in itertools.combinations(others, size):
                total = w[list(coalition)].sum()
                if total < quota <= total + w[i]:
                    power[i] += factorial[size] * factorial[n - size - 1]
    return power / factorial[n]


def banzhaf(weights: Sequence[float], quota: float) -> np.ndarray:
    """Normalised Banzhaf index: each player's share of all swings (pivotal memberships)."""
    w = _check_players(weights)
    n = len(w)
    swings = np.zeros(n)
    for mask in range(1 << n):
        members = [j for j in range(n) if mask >> j & 1]
        total = w[members].sum()
        if total >= quota:
            for j in members:
                if total - w[j] < quota:
                    swings[j] += 1
    return swings / swings.sum() if swings.sum() else swings


def all_texts(agenda: AgendaArrays, limit: int = 200_000) -> np.ndarray:
    """Every combination of options: T × K (refuses more than ``limit`` texts)."""
    options = [row[np.isfinite(row)] for row in agenda.options]
    count = math.prod(len(o) for o in options)
    if count > limit:
        raise ValueError(f"{count} texts; at most {limit} can be enumerated")
    return np.array(list(itertools.product(*options)), dtype=float).reshape(count, agenda.k)


def _gains(texts, agenda, position, salience, exponent: float) -> np.ndarray:
    """Gains over 1988 of every text for every delegation: T × N."""
    return utility_gain(
        texts[:, None, :], agenda.status_quo, position[None], normalized(salience)[None], exponent
    )


def nash_bargaining(
    texts, agenda, position, salience, capability, exponent: float = 1.0
) -> tuple[np.ndarray | None, dict]:
    """The asymmetric Nash bargaining solution over ``texts`` with the 1988 text as disagreement point.

    Returns (text or None, details): the text maximising Σ c_i log(gain_i) among texts
    with every gain > 0; None when no text improves on 1988 for every delegation, in
    which case ``details["best_coverage"]`` gives the largest share of delegations any
    single text leaves better off.
    """
    gains = _gains(texts, agenda, position, salience, exponent)
    feasible = (gains > 0).all(axis=1)
    coverage = (gains > 0).mean(axis=1)
    details = {"feasible_texts": int(feasible.sum()), "best_coverage": float(coverage.max())}
    if not feasible.any():
        return None, details
    product = np.where(feasible[:, None], np.log(np.where(gains > 0, gains, 1.0)), 0.0) @ capability
    best = int(np.argmax(np.where(feasible, product, -np.inf)))
    return texts[best], details


def compromise_point(position, salience, capability) -> np.ndarray:
    """The capability × salience weighted mean position per clause (continuous)."""
    w = capability[:, None] * salience
    return (w * position).sum(axis=0) / w.sum(axis=0)


def acceptable_sets(
    texts, agenda, position, salience, camps: dict[str, np.ndarray], exponent: float = 1.0, share: float = 1.0
) -> dict:
    """Per camp, the texts at least ``share`` of its members prefer to the 1988 ITRs; and their intersection.

    ``camps`` maps a name to a boolean mask over delegations.
    """
    gains = _gains(texts, agenda, position, salience, exponent)
    accepted = {name: (gains[:, mask] > 0).mean(axis=1) >= share - 1e-12 for name, mask in camps.items()}
    both = np.logical_and.reduce(list(accepted.values()))
    return {
        "sizes": {name: int(a.sum()) for name, a in accepted.items()},
        "intersection": int(both.sum()),
        "binary": not both.any(),
        "accepted": accepted,
        "total": len(texts),
    }
