"""Compiled kernels of the expected-utility model, part 1: distinct positions, votes, probabilities, risk.

Part of :mod:`~wcitsim.core.protocols.eu_numba` (which explains the design): the
numbers of :mod:`~wcitsim.core.protocols.eu_numpy`'s ``probabilities``, ``_spread``,
``expected_utility`` (risk-neutral) and ``measure_risk``, bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)


@jit
def _distinct(x):
    """Actors sorted by position (stable), the distinct positions, each actor's, and how many hold each."""
    n = x.size
    order = np.argsort(x, kind="mergesort")
    uid = np.empty(n, np.int64)
    xu = np.empty(n)
    mult = np.zeros(n, np.int64)
    count = 0
    for m in range(n):
        k = order[m]
        if m == 0 or x[k] != xu[count - 1]:
            xu[count] = x[k]
            count += 1
        uid[k] = count - 1
        mult[count - 1] += 1
    return order, xu[:count].copy(), uid, mult[:count].copy()


@jit
def _distances(xu, span):
    """|x_a − x_b| / Δ between distinct positions."""
    nu = xu.size
    dist = np.empty((nu, nu))
    for a in range(nu):
        for b in range(nu):
            dist[a, b] = np.abs(xu[a] - xu[b]) / span
    return dist


@jit
def _probabilities(w, r, order, xu, uid, mult, dist, linear, net, pair):
    """P between distinct positions (U × U), as ``eu_numpy.probabilities``."""
    n, nu = w.size, xu.size
    a = dist  # linear votes: a voter's values are the distances from its position (row uid[k])
    if not linear:
        a = np.empty((n, nu))
        for k in range(n):
            for u in range(nu):
                base = dist[uid[k], u]
                a[k, u] = base if base == 0.0 else base ** r[k]  # pow(0, r) = 0
    # Σ w·a over the sorted voters, kept where the distinct positions change: below[g] sums the voters
    # at the first g distinct positions, above[g] those from the g-th on (added from the top)
    below, above, acc = np.zeros((nu + 1, nu)), np.zeros((nu + 1, nu)), np.zeros(nu)
    m = 0
    for g in range(nu):
        for _ in range(mult[g]):
            k = order[m]
            row = a[uid[k]] if linear else a[k]
            for u in range(nu):
                acc[u] = acc[u] + w[k] * row[u]
            m += 1
        below[g + 1] = acc
    acc[:] = 0.0
    for g in range(nu - 1, -1, -1):
        for _ in range(mult[g]):
            m -= 1
            k = order[m]
            row = a[uid[k]] if linear else a[k]
            for u in range(nu):
                acc[u] = acc[u] + w[k] * row[u]
        above[g] = acc
    # the voters strictly nearer i than j: the distinct positions below (above) the midpoint
    votes = np.zeros((nu, nu))
    for i in range(nu):
        lo, hi = i, i  # the midpoint is never below x_i nor above x_j
        for j in range(i + 1, nu):
            mid = 0.5 * (xu[i] + xu[j])
            while xu[lo] < mid:
                lo += 1
            while hi < nu and xu[hi] <= mid:
                hi += 1
            votes[i, j] = below[lo, j] - below[lo, i]
            votes[j, i] = above[hi, i] - above[hi, j]
    total = 0.0
    if not pair:
        spread = _spreads(a, n, order, xu, uid, mult, dist, linear)
        for k in range(n):
            term = w[k] * (2.0 * spread[k])
            total = term if k == 0 else total + term
    p = np.zeros((nu, nu))
    for i in range(nu):
        for j in range(nu):
            if i == j:
                continue
            num = votes[i, j]
            if net:
                num = below[nu, j] - below[nu, i]
                num = num if num > 0.0 else 0.0
            den = votes[i, j] + votes[j, i] if pair else total
            if den > 0:
                p[i, j] = num / den
    return p


@jit
def _spreads(a, n, order, xu, uid, mult, dist, linear):
    """``eu_numpy._spread``: each voter's Σ_ab |a_kb − a_ka| / 2 over every pair of actors.

    A voter's values a_k· rise with the distance from its position, so the voters at one
    position share the order in which the distinct positions are merged outward (nearer
    first, the lower one first at equal distance); a voter whose values break that
    order (pow rounding two distances to one value) is sorted on its own.
    """
    nu = xu.size
    out = np.empty(n)
    perm, coef = np.empty(nu, np.int64), np.empty(nu)
    vals, idx = np.empty(nu), np.empty(nu, np.int64)
    m = 0
    for g in range(nu):
        left, right = g - 1, g + 1
        perm[0] = g
        for t in range(1, nu):
            if right >= nu or (left >= 0 and dist[g, left] <= dist[g, right]):
                perm[t], left = left, left - 1
            else:
                perm[t], right = right, right + 1
        before = 0
        for t in range(nu):
            size = mult[perm[t]]
            coef[t] = float(size * (2 * before + size - n))
            before += size
        for _ in range(mult[g]):
            k = order[m]
            m += 1
            if linear and m > 1 and uid[order[m - 2]] == g:
                out[k] = out[order[m - 2]]  # a voter's linear values depend on its position only
                continue
            row = a[g] if linear else a[k]
            ok = True  # linear values are the distances: in order by construction
            for t in range(1, nu if not linear else 1):
                prev, cur = row[perm[t - 1]], row[perm[t]]
                if prev > cur or (prev == cur and xu[perm[t - 1]] > xu[perm[t]]):
                    ok = False
                    break
            if not ok:
                out[k] = _sorted_spread(row, xu, mult, n, vals, idx)
                continue
            acc = 0.0
            for t in range(nu):
                term = row[perm[t]] * coef[t]
                acc = term if t == 0 else acc + term
            out[k] = acc
    return out


@jit
def _sorted_spread(row, xu, mult, n, vals, idx):
    """One voter's spread with its values sorted by (value, position): the rare case ``_spreads`` sets aside."""
    nu = row.size
    for t in range(nu):
        value, back = row[t], t - 1
        while back >= 0 and (vals[back] > value or (vals[back] == value and xu[idx[back]] > xu[t])):
            vals[back + 1], idx[back + 1] = vals[back], idx[back]
            back -= 1
        vals[back + 1], idx[back + 1] = value, t
    acc, before = 0.0, 0
    for t in range(nu):
        size = mult[idx[t]]
        term = vals[t] * float(size * (2 * before + size - n))
        acc = term if t == 0 else acc + term
        before += size
    return acc


@jit
def _eu(s, p, us, uf, sq):
    return s * (p * us + (1 - p) * uf) + (1 - s) * us - sq


@jit
def _status_quo(value, a, b, mu, span, r, q, t, status_quo, neutral):
    """SQ of a challenger at a against b: ``value`` = Q U_sq, plus or minus (1 − Q)(T U_b + (1 − T) U_w)."""
    m = 0.25 * ((np.abs(a - mu) + np.abs(a - b)) / span)
    low, high = max(0.5 - m, 0.0), 0.5 + m
    ub = 2 - 4 * (low if neutral else low**r)
    uw = 2 - 4 * (high if neutral else high**r)
    other = (1 - q) * (t * ub + (1 - t) * uw)
    return value + other if status_quo == 0 else value - other


@jit
def _neutral_tables(xu, dist, span, mu, q, t, status_quo):
    """Risk-neutral U_s, U_f and SQ between distinct positions (challenger row, target column): no powers."""
    nu = xu.size
    us, uf, sq = np.empty((nu, nu)), np.empty((nu, nu)), np.empty((nu, nu))
    tb = q != 1.0 and status_quo != 1
    for a in range(nu):
        for b in range(nu):
            us[a, b] = 2 - 4 * (0.5 - 0.5 * dist[a, b])
            uf[a, b] = 2 - 4 * (0.5 + 0.5 * dist[a, b])
        base = q * us[a, a]
        for b in range(nu):
            sq[a, b] = _status_quo(base, xu[a], xu[b], mu, span, 1.0, q, t, status_quo, True) if tb else base
    return us, uf, sq


@jit
def _security_risk(s, p, uid, us, uf, sq):
    """Exponents from S_k = Σ_j EU_jk (actor order), EU_jk risk-neutral, from the distinct-position tables."""
    n, nu = s.size, us.shape[0]
    eu = np.empty((nu, n))  # eu[a, k]: a challenger at distinct position a against actor k
    for a in range(nu):
        for k in range(n):
            b = uid[k]
            eu[a, k] = _eu(s[k], p[a, b], us[a, b], uf[a, b], sq[a, b])
    security = np.zeros(n)
    for j in range(n):  # each S_k adds the challengers in actor order (j = k adds 0)
        row = eu[uid[j]]
        for k in range(n):
            security[k] += row[k] if k != j else 0.0
    hi, lo = security.max(), security.min()
    spread = hi - lo if hi > lo else 1.0
    out = np.empty(n)
    for k in range(n):
        big_r = (2 * security[k] - hi - lo) / spread
        out[k] = (1 - big_r / 3) / (1 + big_r / 3)
    return out


@jit
def _risk(w, s, span, mu, q, t, status_quo, net, pair, one_by_one, order, xu, uid, mult, dist):
    """Risk exponents from the risk-neutral expected utilities, as ``eu_numpy.measure_risk``."""
    n = w.size
    ones = np.ones(n)
    us, uf, sq = _neutral_tables(xu, dist, span, mu, q, t, status_quo)
    if not one_by_one:
        return _security_risk(
            s, _probabilities(w, ones, order, xu, uid, mult, dist, True, net, pair), uid, us, uf, sq
        )
    out = ones.copy()
    for k in range(n):
        p = _probabilities(w, out, order, xu, uid, mult, dist, False, net, pair)
        out[k] = _security_risk(s, p, uid, us, uf, sq)[k]
    return out
