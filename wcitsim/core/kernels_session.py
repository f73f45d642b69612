"""The compiled kernels of a session (numba): caucus, influence and concessions; camps; lobbying and shocks;
the chair's median draft.

Each is a numpy kernel of :mod:`wcitsim.core.session` or :mod:`wcitsim.core.drafting`
written as loops, in the same order of operations wherever that order decides a
rounding: the concessions, the camps' sums and moves, lobbying, shocks and the
clip give the numpy kernels' numbers bit for bit, and so does the median draft.
The caucus-and-influence step is the matrix-free form of
:mod:`wcitsim.core.influence`, equal to the dense product to rounding (≈ 1e-16).

Layout: the kernels take *lanes*, arrays (N, K · R) — a stack's (N, K, R) with the
replications last (:func:`wcitsim.core.kernels.lanes`) — so that each step runs
over the K · R numbers of a delegation at once; drafts are (K · R). Each kernel
is a leaf (it calls no other compiled function), which keeps compiling them short.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from wcitsim.core.kernels_streams import pcg64_double

__all__ = [
    "ally_totals",
    "camps",
    "drawn_shocks",
    "influence_step",
    "lobbying",
    "median_draft",
    "opening",
    "shocks",
]

#: Division by zero as numpy does it (no check in the loops); every division here has a positive divisor.
NUMPY_ERRORS = "numpy"


@njit(cache=True, error_model=NUMPY_ERRORS)
def ally_totals(order, decay, capability):
    """W_i = Σ_{j≠i} c_j · exp(−|x_i − x_j| / h) by two sweeps over the delegations sorted by x."""
    n = order.size
    total = np.zeros(n)
    acc = 0.0
    for t in range(1, n):
        acc = decay[t - 1] * (acc + capability[order[t - 1]])
        total[order[t]] += acc
    acc = 0.0
    for t in range(n - 2, -1, -1):
        acc = decay[t] * (acc + capability[order[t + 1]])
        total[order[t]] += acc
    return total


@njit(cache=True, error_model=NUMPY_ERRORS)
def influence_step(
    p, order, decay, capability, ally_weight, ptr, members, weights, entry_pull, pull, rate, yw, d
):
    """T p on lanes (N, K · R), without T: the allies by two sweeps, the caucuses by their means; a new array.

    Then, if ``rate`` > 0, the concessions toward the draft ``d`` (K · R) with yield
    weights ``yw`` (N, K · R) in the same pass (:func:`~wcitsim.core.session.concede`).
    Rows are indexed, not sliced: a slice costs more than a row's few numbers.
    """
    n, width = p.shape
    q = np.empty_like(p)
    lane = np.zeros(width)
    for x in range(width):
        q[order[0], x] = 0.0
    for t in range(1, n):  # Σ_{j before i} c_j e^{−(x_i − x_j)/h} p_j
        j, i, e = order[t - 1], order[t], decay[t - 1]
        cj = capability[j]
        for x in range(width):
            v = e * (lane[x] + cj * p[j, x])
            lane[x] = v
            q[i, x] = v
    lane[:] = 0.0
    last = order[n - 1]
    for x in range(width):
        q[last, x] = ally_weight[last] * q[last, x]
    for t in range(n - 2, -1, -1):  # plus Σ_{j after i}, over W_i, times influence
        j, i, e = order[t + 1], order[t], decay[t]
        cj, w = capability[j], ally_weight[i]
        for x in range(width):
            v = e * (lane[x] + cj * p[j, x])
            lane[x] = v
            q[i, x] = w * (q[i, x] + v)
    for g in range(ptr.size - 1):  # each caucus pulls its members toward its weighted mean
        lane[:] = 0.0
        for m in range(ptr[g], ptr[g + 1]):
            j, w = members[m], weights[m]
            for x in range(width):
                lane[x] += w * p[j, x]
        for m in range(ptr[g], ptr[g + 1]):
            i, f = members[m], entry_pull[m]
            for x in range(width):
                q[i, x] += f * lane[x]
    for i in range(n):
        s = pull[i]
        if rate > 0.0:
            for x in range(width):
                v = p[i, x] + (q[i, x] - s * p[i, x])
                q[i, x] = v + rate * yw[i, x] * (d[x] - v)
        else:
            for x in range(width):
                q[i, x] = p[i, x] + (q[i, x] - s * p[i, x])
    return q


@njit(cache=True, error_model=NUMPY_ERRORS)
def camps(q, d, sq, s, exponent, alignment):
    """Camps on the draft ``d``, in place on lanes ``q`` (N, K · R) (:func:`~wcitsim.core.session.align`):
    those the draft leaves better off than 1988 (``sq``, K) and the others; each delegation moves
    ``alignment`` of the way toward its camp's mean (sums in seat order, as numpy's)."""
    n, width = q.shape
    k = sq.size
    reps = width // k
    side = np.empty((n, reps), dtype=np.bool_)
    gain = np.empty(reps)
    for_, against, count = np.zeros(width), np.zeros(width), np.zeros(reps)
    for i in range(n):
        gain[:] = 0.0
        if reps == 1:  # one replication: a row is its K clauses
            for c in range(k):
                p = q[i, c]
                if exponent == 1.0:
                    gain[0] += s[i, c] * (abs(sq[c] - p) - abs(d[c] - p))
                else:
                    gain[0] += s[i, c] * (abs(sq[c] - p) ** exponent - abs(d[c] - p) ** exponent)
        else:  # U(draft) − U(1988), clause by clause, the replications side by side
            for c in range(k):
                old = sq[c]
                for r in range(reps):
                    x = c * reps + r
                    if exponent == 1.0:
                        gain[r] += s[i, x] * (abs(old - q[i, x]) - abs(d[x] - q[i, x]))
                    else:
                        gain[r] += s[i, x] * (
                            abs(old - q[i, x]) ** exponent - abs(d[x] - q[i, x]) ** exponent
                        )
        for r in range(reps):
            side[i, r] = gain[r] > 0.0
            count[r] += 1.0 if side[i, r] else 0.0
        for c in range(k):  # the camps' sums (numpy adds + 0.0 for the others: the same)
            for r in range(reps):
                x = c * reps + r
                for_[x] += q[i, x] if side[i, r] else 0.0
                against[x] += 0.0 if side[i, r] else q[i, x]
    for c in range(k):
        for r in range(reps):
            x = c * reps + r
            for_[x] = for_[x] / max(count[r], 1.0)
            against[x] = against[x] / max(n - count[r], 1.0)
    for i in range(n):
        for c in range(k):
            for r in range(reps):
                x = c * reps + r
                q[i, x] = q[i, x] + alignment * ((for_[x] if side[i, r] else against[x]) - q[i, x])


@njit(cache=True, error_model=NUMPY_ERRORS)
def lobbying(q, st_target, st_pull):
    """Each stakeholder pulls toward its position, in place on lanes ``q`` (N, K · R) (:func:`~wcitsim.core.session.lobby`):
    ``st_target`` (H, K · R) along the lanes, NaN where it does not lobby; ``st_pull`` (H, N)."""
    n, width = q.shape
    for h in range(st_target.shape[0]):
        for i in range(n):
            f = st_pull[h, i]
            for x in range(width):
                t = st_target[h, x]
                if np.isfinite(t):
                    q[i, x] = q[i, x] + f * (t - q[i, x])


@njit(cache=True, error_model=NUMPY_ERRORS)
def shocks(q, uniform, shock_scale):
    """The shocks ``shock_scale · (u − ½)`` and the clip to [0, 1], in place on lanes ``q`` (N, K · R), from
    the uniforms as drawn (R, N, K) (:func:`~wcitsim.core.session.shock`)."""
    n, width = q.shape
    reps, _, k = uniform.shape
    u = np.empty(width)
    for i in range(n):
        for r in range(reps):  # delegation i's draws, from the stack as drawn into a row of lanes
            for c in range(k):
                u[c * reps + r] = uniform[r, i, c]
        for x in range(width):
            q[i, x] = min(max(q[i, x] + shock_scale * (u[x] - 0.5), 0.0), 1.0)


@njit(cache=True, error_model=NUMPY_ERRORS)
def drawn_shocks(q, states, k, shock_scale):
    """:func:`shocks` drawing the uniforms from the replications' PCG64 ``states`` (R × 4, advanced in place):
    replication r's next N · K doubles, delegation by delegation, as ``Generator.random`` would draw them."""
    n, width = q.shape
    reps = width // k
    for r in range(reps):
        lo, hi, inc_lo, inc_hi = states[r, 0], states[r, 1], states[r, 2], states[r, 3]
        for i in range(n):
            for c in range(k):
                lo, hi, u = pcg64_double(lo, hi, inc_lo, inc_hi)
                x = c * reps + r
                q[i, x] = min(max(q[i, x] + shock_scale * (u - 0.5), 0.0), 1.0)
        states[r, 0], states[r, 1] = lo, hi


@njit(cache=True, error_model=NUMPY_ERRORS)
def median_draft(p, s, capability, mids, options, last):
    """The snapped capability × salience weighted median of each clause on lanes (N, K · R): (K · R).

    :func:`~wcitsim.core.drafting.draft_median` without a host bias: the first
    option whose upper midpoint (``mids`` K × (O − 1)) has at least half the weight
    at or below it, else the clause's last option (``last`` K).
    """
    n, width = p.shape
    k, cuts = mids.shape
    reps = width // k
    mid = np.empty((cuts, width))
    for j in range(cuts):
        for c in range(k):
            for r in range(reps):
                mid[j, c * reps + r] = mids[c, j]
    half, below, w = np.zeros(width), np.zeros((cuts, width)), np.empty(width)
    for i in range(n):
        ci = capability[i]
        for x in range(width):
            w[x] = ci * s[i, x]
            half[x] += w[x]
        for j in range(cuts):
            for x in range(width):
                below[j, x] += w[x] if p[i, x] <= mid[j, x] else 0.0  # no branch; + 0.0 is exact
    out = np.empty(width)
    for c in range(k):
        for r in range(reps):
            x = c * reps + r
            target = 0.5 * half[x]
            index = last[c]
            for j in range(cuts - 1, -1, -1):
                if below[j, x] >= target:
                    index = j
            out[x] = options[c, index]
    return out


@njit(cache=True, error_model=NUMPY_ERRORS)
def opening(noise, lognormal, position, salience, override_position, override_salience, position_noise):
    """The opening field on lanes (:func:`~wcitsim.core.world.initial_state`, then normalised saliences and
    yield weights): positions, saliences, normalised saliences and yield weights, each (N, K · R).

    ``noise`` (R, 2, N, K) holds each replication's position noise (block 0) as drawn,
    ``lognormal`` (R, N, K) the salience noise's factor, ``position``, ``salience`` and the
    overrides (NaN where none) are N × K.
    """
    reps, _, n, k = noise.shape
    width = k * reps
    p, s, norm, yw = np.empty((n, width)), np.empty((n, width)), np.empty((n, width)), np.empty((n, width))
    total, top = np.empty(reps), np.empty(reps)
    for i in range(n):
        total[:] = 0.0
        top[:] = -np.inf
        for c in range(k):
            for r in range(reps):
                x = c * reps + r
                v = min(max(position[i, c] + position_noise * noise[r, 0, i, c], 0.0), 1.0)
                p[i, x] = v if np.isnan(override_position[i, c]) else override_position[i, c]
                w = salience[i, c] * lognormal[r, i, c]
                w = w if np.isnan(override_salience[i, c]) else override_salience[i, c]
                s[i, x] = w
                total[r] += w
                top[r] = max(top[r], w)
        for c in range(k):
            for r in range(reps):
                x = c * reps + r
                norm[i, x] = s[i, x] / total[r] if total[r] > 0 else 1.0 / k
                yw[i, x] = 1.0 - s[i, x] / top[r]
    return p, s, norm, yw
