"""The compiled kernels of the deadline (numba): nearest options, motions from the floor, objections, votes,
tallies, lost votes and the gains of signing.

Each is the numpy rule of :mod:`wcitsim.core.agenda`, :mod:`wcitsim.core.rules` or
:mod:`wcitsim.core.utility` written as loops. They take rows of lanes (N, K · R) as
in :mod:`wcitsim.core.kernels_session`, with a clause's numbers repeated along its
lanes (``np.repeat(values, R)``) and ``rep`` the replication of each lane, so that
every loop runs over a whole row, whatever R.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["floor_motions", "gains", "lost", "normalized", "objecting_share", "snap", "tally", "votes"]


@njit(cache=True, error_model="numpy")
def snap(target, options):
    """:meth:`~wcitsim.core.agenda.AgendaArrays.snap` of targets (M, K): the nearest option on each clause
    (the first of equal distances; NaN padding never)."""
    m, k = target.shape
    out = np.empty((m, k))
    for i in range(m):
        for c in range(k):
            best, choice = np.inf, options[c, 0]
            for j in range(options.shape[1]):
                d = abs(target[i, c] - options[c, j])
                if d < best:
                    best, choice = d, options[c, j]
            out[i, c] = choice
    return out


@njit(cache=True, error_model="numpy")
def normalized(salience, rep):
    """:func:`~wcitsim.core.utility.normalized` on lanes (N, K · R): each delegation's saliences over their sum."""
    n, width = salience.shape
    reps = rep.max() + 1
    k = width // reps
    out = np.empty_like(salience)
    total = np.empty(reps)
    for i in range(n):
        total[:] = 0.0
        for x in range(width):
            total[rep[x]] += salience[i, x]
        for x in range(width):
            t = total[rep[x]]
            out[i, x] = salience[i, x] / t if t > 0 else 1.0 / k
    return out


@njit(cache=True, error_model="numpy")
def floor_motions(draft, sq, options, view, salience_norm, weights, exponent, stake):
    """:func:`~wcitsim.core.rules.floor_motions` on lanes: view and normalised saliences (N, K · R), the
    draft and 1988 (K · R), the options (O, K · R).

    Returns the draft with the motions in it, which clauses were moved and the
    mover's index (−1 where none), each (K · R).
    """
    n, width = view.shape
    best = np.full(width, -np.inf)  # only those entitled to vote move; the first largest stake wins
    mover = np.zeros(width, dtype=np.int64)
    option = np.zeros(width)
    for i in range(n):
        if not weights[i] > 0:
            continue
        for x in range(width):
            v = view[i, x]
            near, preferred = np.inf, options[0, x]
            for j in range(options.shape[0]):
                d = abs(v - options[j, x])
                if d < near:
                    near, preferred = d, options[j, x]
            if exponent == 1.0:
                gain = salience_norm[i, x] * (abs(sq[x] - v) - abs(preferred - v))
            else:
                gain = salience_norm[i, x] * (abs(sq[x] - v) ** exponent - abs(preferred - v) ** exponent)
            if gain > best[x]:
                best[x], mover[x], option[x] = gain, i, preferred
    moved = np.zeros(width, dtype=np.bool_)
    out = draft.copy()
    where = np.full(width, -1, dtype=np.int64)
    for x in range(width):
        if draft[x] == sq[x] and option[x] != sq[x] and best[x] >= stake:
            moved[x], out[x], where[x] = True, option[x], mover[x]
    return out, moved, where


@njit(cache=True, error_model="numpy")
def objecting_share(draft, sq, view, salience_norm, exponent, threshold):
    """The share of delegations objecting to each clause of the draft (K · R): a loss past ``threshold``
    (:func:`~wcitsim.core.rules.objections`)."""
    n, width = view.shape
    count = np.zeros(width)
    for i in range(n):
        for x in range(width):
            p = view[i, x]
            if exponent == 1.0:
                loss = salience_norm[i, x] * (abs(draft[x] - p) - abs(sq[x] - p))
            else:
                loss = salience_norm[i, x] * (abs(draft[x] - p) ** exponent - abs(sq[x] - p) ** exponent)
            count[x] += 1.0 if loss > threshold else 0.0
    return count / n


@njit(cache=True, error_model="numpy")
def votes(draft, sq, view, exponent, band):
    """Each delegation's vote on each clause (:func:`~wcitsim.core.rules.delegation_votes`): (N, K · R) int8."""
    n, width = view.shape
    out = np.empty((n, width), dtype=np.int8)
    for i in range(n):
        for x in range(width):
            p = view[i, x]
            near, old = abs(draft[x] - p), abs(sq[x] - p)
            if exponent != 1.0:
                near, old = near**exponent, old**exponent
            out[i, x] = (1 if near < old - band else 0) - (1 if old < near - band else 0)
    return out


@njit(cache=True, error_model="numpy")
def gains(text, sq, view, salience_norm, exponent, rep, lost, lost_vote):
    """U_i(text) − U_i(1988) of each delegation (:func:`~wcitsim.core.utility.utility_gain`), less
    ``lost_vote`` × the salience of each vote lost (``lost`` (N, K · R), or empty): (N, R)."""
    n, width = view.shape
    gain = np.zeros((n, rep.max() + 1))
    for i in range(n):
        for x in range(width):
            p = view[i, x]
            if exponent == 1.0:
                gain[i, rep[x]] += salience_norm[i, x] * (abs(sq[x] - p) - abs(text[x] - p))
            else:
                gain[i, rep[x]] += salience_norm[i, x] * (
                    abs(sq[x] - p) ** exponent - abs(text[x] - p) ** exponent
                )
    if lost.shape[0]:
        cost = np.zeros_like(gain)
        for i in range(n):
            for x in range(width):
                cost[i, rep[x]] += salience_norm[i, x] if lost[i, x] else 0.0
        for i in range(n):
            for r in range(gain.shape[1]):
                gain[i, r] = gain[i, r] - lost_vote * cost[i, r]
    return gain


@njit(cache=True, error_model="numpy")
def lost(votes, contested, passed):
    """Which delegations lost the vote on each clause (:func:`~wcitsim.core.rules.lost_votes`): (N, K · R) bool
    from votes (N, K · R) and which clauses were contested and passed (K · R)."""
    n, width = votes.shape
    out = np.empty((n, width), dtype=np.bool_)
    for i in range(n):
        for x in range(width):
            v = votes[i, x]
            out[i, x] = contested[x] and ((v == -1 and passed[x]) or (v == 1 and not passed[x]))
    return out


@njit(cache=True, error_model="numpy")
def tally(votes, weights):
    """Yes, no and abstain on each clause (:func:`~wcitsim.core.rules.tally`) from votes (N, K · R), each
    counting its weight (N): (K · R, 3), summed in seat order."""
    n, width = votes.shape
    out = np.zeros((width, 3))
    for i in range(n):
        w = weights[i]
        for x in range(width):
            v = votes[i, x]
            out[x, 0] += w if v == 1 else 0.0
            out[x, 1] += w if v == -1 else 0.0
            out[x, 2] += w if v == 0 else 0.0
    return out
