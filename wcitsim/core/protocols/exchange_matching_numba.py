"""The compiled (numba) twin of :mod:`.exchange_matching`: one matching round, bit-equal to the numpy one.

The ~1 M pairs of actors and issues are tested in one pass (the issues on which
two actors sit on opposite sides read off bit masks first), each feasible
exchange kept as its gain and its four actor-issue slots. The locally dominant
exchanges are, when every key is distinct, those of one greedy pass by
decreasing key, found after one sort; with equal keys, by numpy's rounds. The
moves of the exchanges taken are recomputed as numpy computes them.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

__all__ = ["matching_round"]


@numba.njit(cache=True)
def _sides(x, o):
    """Bit masks of the issues on which each actor stands above, and below, the outcome."""
    n, k = x.shape
    above, below = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for a in range(n):
        for p in range(k):
            if x[a, p] - o[p] > 0:
                above[a] |= 1 << p
            elif x[a, p] - o[p] < 0:
                below[a] |= 1 << p
    return above, below


@numba.njit(cache=True, inline="always")
def _size(x, c, s, total, i, j, p, q):
    """(a, b, gain) of exchange (i, j, p, q), as :func:`.exchange_matching.candidates` computes them."""
    s_ip, s_iq, s_jp, s_jq = s[i, p], s[i, q], s[j, p], s[j, q]
    rate = (s_iq + s_jq) / (s_ip + s_jp)
    a_max = c[i] * s_iq * abs(x[i, q] - x[j, q]) / total[q]
    b_max = c[j] * s_jp * abs(x[j, p] - x[i, p]) / total[p]
    a = min(a_max, b_max / rate)
    b = a * rate
    return a, b, s_ip * b - s_iq * a


@numba.njit(cache=True)
def _walk(x, c, s, o, total, above, below, min_gain, gain, slots, live, negkey):
    """The feasible exchanges of :func:`.exchange_matching.candidates`, written in its order; returns (M, L).

    Each is kept as its gain and its four actor-issue slots (i·K + p, i·K + q,
    j·K + p, j·K + q); the L that gain more than ``min_gain`` are listed in
    ``live`` with minus their key (``place·1e-15 − gain``). The issues on which
    two actors sit on opposite sides are read off the bit masks first; the test
    itself is numpy's, so the candidates are the same.
    """
    n, k = x.shape
    m = nl = 0
    for i in range(n):
        for j in range(i + 1, n):
            opposite = (above[i] & below[j]) | (below[i] & above[j])
            if opposite & (opposite - 1) == 0:  # fewer than two issues
                continue
            for p in range(k):
                if not (opposite >> p) & 1 or not (x[i, p] - o[p]) * (x[j, p] - o[p]) < 0:
                    continue
                for q in range(k):
                    if q == p or not (opposite >> q) & 1 or not (x[i, q] - o[q]) * (x[j, q] - o[q]) < 0:
                        continue
                    s_ip, s_iq, s_jp, s_jq = s[i, p], s[i, q], s[j, p], s[j, q]
                    if not (s_ip * s_jq > s_jp * s_iq and s_iq > 0 and s_jp > 0):
                        continue
                    gain[m] = _size(x, c, s, total, i, j, p, q)[2]
                    slots[m, 0], slots[m, 1] = i * k + p, i * k + q
                    slots[m, 2], slots[m, 3] = j * k + p, j * k + q
                    if gain[m] > min_gain:
                        live[nl], negkey[nl] = m, m * 1e-15 - gain[m]
                        nl += 1
                    m += 1
    return m, nl


#: Work arrays reused from round to round, one set per thread (fresh ones cost a page fault per 4 KiB).
_WORK = threading.local()


def _work(most: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    work = getattr(_WORK, "arrays", None)
    if work is None or work[0].size < most:
        work = (
            np.empty(most),
            np.empty((most, 4), dtype=np.int32),
            np.empty(most, dtype=np.int64),
            np.empty(most),
        )
        _WORK.arrays = work
    return work


def _candidates(x, c, s, o, total, min_gain):
    """The feasible exchanges in order (gains, slots), and the live ones (indices, minus their keys).

    Views of this thread's work arrays: valid until its next round.
    """
    n, k = x.shape
    most = n * (n - 1) // 2 * (k * (k - 1) // 2)  # one orientation per pair of actors and of issues
    gain, slots, live, negkey = _work(most)
    m, nl = _walk(x, c, s, o, total, *_sides(x, o), min_gain, gain, slots, live, negkey)
    return gain[:m], slots[:m], live[:nl], negkey[:nl]


@numba.njit(cache=True)
def _dominant(slots, gain, n, k, min_gain):
    """:func:`.exchange_matching.dominant_matching` in loops: the same rounds of locally dominant exchanges."""
    m = gain.size
    key = np.empty(m)
    for e in range(m):
        key[e] = gain[e] - e * 1e-15
    live = np.empty(m, dtype=np.int64)
    nl = 0
    for e in range(m):
        if gain[e] > min_gain:
            live[nl] = e
            nl += 1
    used = np.zeros(n * k, dtype=np.bool_)
    best = np.empty(n * k)
    chosen = np.empty(m, dtype=np.int64)
    nc = 0
    while nl:
        best[:] = -np.inf
        for t in range(nl):
            e = live[t]
            for r in range(4):
                best[slots[e, r]] = max(best[slots[e, r]], key[e])
        start = nc
        for t in range(nl):
            e = live[t]
            dominant = True
            for r in range(4):
                dominant = dominant and key[e] >= best[slots[e, r]]
            if dominant:
                chosen[nc] = e
                nc += 1
        for t in range(start, nc):
            for r in range(4):
                used[slots[chosen[t], r]] = True
        kept = 0
        for t in range(nl):
            e = live[t]
            if not (used[slots[e, 0]] or used[slots[e, 1]] or used[slots[e, 2]] or used[slots[e, 3]]):
                live[kept] = e
                kept += 1
        nl = kept
    return chosen[:nc]


@numba.njit(cache=True)
def _greedy(slots, live, order, negkey, n, k):
    """The exchanges ``live[order]`` taken by one pass by decreasing key, each actor-issue once.

    Returns (taken, tied): ``tied`` when two keys are equal (the pass then stops;
    the rounds of locally dominant exchanges decide).
    """
    used = np.zeros(n * k, dtype=np.bool_)
    chosen = np.empty(n * k // 4 + 1, dtype=np.int64)  # each takes four actor-issues
    nc = 0
    for t in range(order.size):
        if t and negkey[order[t]] == negkey[order[t - 1]]:
            return chosen[:nc], True
        e = live[order[t]]
        a, b, c, d = slots[e, 0], slots[e, 1], slots[e, 2], slots[e, 3]
        if used[a] or used[b] or used[c] or used[d]:
            continue
        used[a] = True
        used[b] = True
        used[c] = True
        used[d] = True
        chosen[nc] = e
        nc += 1
    return chosen[:nc], False


@numba.njit(cache=True)
def _taken(x, c, s, total, slots, take):
    """The taken exchanges' (i, j, p, q) and (a, b, gain), recomputed as numpy computes them."""
    k = x.shape[1]
    ijpq, ab = np.empty((take.size, 4), dtype=np.int64), np.empty((take.size, 3))
    for t in range(take.size):
        e = take[t]
        i, p, q, j = slots[e, 0] // k, slots[e, 0] % k, slots[e, 1] % k, slots[e, 2] // k
        ijpq[t, 0], ijpq[t, 1], ijpq[t, 2], ijpq[t, 3] = i, j, p, q
        ab[t, 0], ab[t, 1], ab[t, 2] = _size(x, c, s, total, i, j, p, q)
    return ijpq, ab


def matching_round(x, c, s, o, total, min_gain) -> dict:
    """The exchanges made by :func:`.exchange_matching.matching_round` (the moves are applied by the caller).

    With every key distinct (gain, less 1e-15 per place in the input order), the
    locally dominant exchanges are those of one greedy pass by decreasing key,
    found here after one sort; with equal keys, by the same rounds as numpy's.
    """
    n, k = x.shape
    gain, slots, live, negkey = _candidates(x, c, s, o, total, min_gain)
    take, tied = _greedy(slots, live, np.argsort(negkey), negkey, n, k)
    if tied:
        take = _dominant(slots, gain, n, k, min_gain)
    ijpq, ab = _taken(x, c, s, total, slots, np.sort(take))
    return {
        "i": ijpq[:, 0], "j": ijpq[:, 1], "p": ijpq[:, 2], "q": ijpq[:, 3],
        "a": ab[:, 0], "b": ab[:, 1], "gain": ab[:, 2],
    }  # fmt: skip
