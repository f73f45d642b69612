"""The expected-utility model in compiled loops: the numbers of :mod:`~wcitsim.core.protocols.eu_numpy`, faster.

Per clause the actors are sorted once and their distinct positions found (after a
round or two most actors share a few dozen positions, U of them): votes are raised
to their powers per (voter, distinct position) and probabilities computed per pair of
distinct positions (:mod:`~wcitsim.core.protocols.eu_numba_votes`). Each receiver
then visits the distinct positions nearest first, computing its utilities on the
way, and stops at its nearest confrontation (almost every receiver has one a few
positions away). A round costs O(N·U) powers and O(N² + N·U) arithmetic, where the
numpy specification spends O(N²) powers and O(N² log N) sorting. The arithmetic is
the specification's, operation for operation and in the same order, so the results
are bit for bit the same (``tests/test_eu_oracle.py``).
"""

from __future__ import annotations

import numpy as np

from wcitsim.core.protocols.eu_numba_votes import (
    _distances,
    _distinct,
    _eu,
    _probabilities,
    _risk,
    _status_quo,
    jit,
)

__all__ = ["measure_risk_batch", "probabilities_batch", "round_batch"]


@jit
def _tables(r, uid, xu, dist, span, mu, q, t, status_quo, reverse):
    """U_s, U_f and SQ from each actor's view (its r) against each distinct position (N × U), as ``eu_numpy``.

    ``reverse``: SQ of a challenger at the distinct position against the actor, else the actor's own.
    U_sq is U_s at the actor's own position (base ½ − ½·0): written ``0.5 ** r`` the compiler would
    turn it into ``exp2(-r)``, which can differ from ``pow`` in the last bit.
    """
    n, nu = r.size, xu.size
    us, uf, sq = np.empty((n, nu)), np.empty((n, nu)), np.empty((n, nu))
    tb = q != 1.0 and status_quo != 1
    for i in range(n):
        home = uid[i]
        for u in range(nu):
            d = dist[home, u]
            us[i, u] = 2 - 4 * (0.5 - 0.5 * d) ** r[i]
            uf[i, u] = 2 - 4 * (0.5 + 0.5 * d) ** r[i]
        base = q * us[i, home]
        for u in range(nu):
            if not tb:
                sq[i, u] = base
            elif reverse:
                sq[i, u] = _status_quo(base, xu[u], xu[home], mu, span, r[i], q, t, status_quo, False)
            else:
                sq[i, u] = _status_quo(base, xu[home], xu[u], mu, span, r[i], q, t, status_quo, False)
    return us, uf, sq


@jit
def _receive(
    i, x, s, r, p, order, first, uid, mult, xu, dist, span, mu, q, t, status_quo, key_rule, capitulation, half
):
    """Receiver i's answer, read from its own view: (kind, proposer, i's EU, the proposer's EU).

    The distinct positions are visited nearest first, and the utilities computed on the
    way: once a confrontation is found nothing farther can be chosen, so most receivers
    need the powers of a few positions only. Ties go to the lowest actor index, as in
    the numpy specification's actor order.
    """
    nu, ui, ri = xu.size, uid[i], r[i]
    tb = q != 1.0 and status_quo != 1
    base = q * (2 - 4 * (0.5 - 0.5 * dist[ui, ui]) ** ri)  # Q U_sq: U_s at no distance
    kind, pick, best, mine_at, theirs_at = 0, -1, np.inf, 0.0, 0.0
    left, right = ui - 1, ui + 1
    while left >= 0 or right < nu:
        gap_left = x[i] - xu[left] if left >= 0 else np.inf
        gap_right = xu[right] - x[i] if right < nu else np.inf
        if gap_left <= gap_right:
            u, gap, left = left, gap_left, left - 1
        else:
            u, gap, right = right, gap_right, right + 1
        if kind == 1 and gap > best:
            break
        d = dist[ui, u]
        us = 2 - 4 * (0.5 - 0.5 * d) ** ri
        uf = 2 - 4 * (0.5 + 0.5 * d) ** ri
        sq, sqr = base, base
        if tb:
            sq = _status_quo(base, xu[ui], xu[u], mu, span, ri, q, t, status_quo, False)
            sqr = _status_quo(base, xu[u], xu[ui], mu, span, ri, q, t, status_quo, False)
        theirs = _eu(s[i], p[u, ui], us, uf, sqr)  # a challenger at u against i, from i's view
        if not theirs > 0:
            continue
        for m in range(first[u], first[u] + mult[u]):
            j = order[m]
            mine = _eu(s[j], p[ui, u], us, uf, sq)
            if theirs > mine and mine > 0:
                rank, key = 1, np.abs(x[i] - x[j])
            elif mine < 0 and theirs > np.abs(mine):
                weight = mine if key_rule == 1 else np.abs(mine)
                rank, key = 2, (weight * x[i] + np.abs(theirs) * x[j]) / (np.abs(mine) + np.abs(theirs))
                if key_rule == 2:  # the compromise that moves i least
                    key = np.abs(x[i] - x[j]) * (0.5 if half else np.abs(mine / theirs))
            elif capitulation and mine < 0 and theirs < np.abs(mine):
                rank, key = 3, np.abs(x[i] - x[j])
            else:
                continue
            if kind == 0 or rank < kind or (rank == kind and (key < best or (key == best and j < pick))):
                kind, pick, best, mine_at, theirs_at = rank, j, key, mine, theirs
    return kind, pick, mine_at, theirs_at


@jit
def _strongest(i, x, s, p, uid, us, uf, sq, capitulation):
    """The largest offer i receives (ties: the nearest, then the first): (kind, proposer, i's EU, its EU)."""
    n, ui = x.size, uid[i]
    pick, strongest, best = -1, -np.inf, np.inf
    for j in range(n):
        if j == i:
            continue
        offered = _eu(s[i], p[uid[j], ui], us[j, ui], uf[j, ui], sq[j, ui])
        if not offered > 0:
            continue
        gap = np.abs(x[i] - x[j])
        if offered > strongest or (offered == strongest and gap < best):
            strongest, best, pick = offered, gap, j
    if pick < 0:
        return 0, pick, 0.0, 0.0
    uj = uid[pick]
    mine = _eu(s[pick], p[ui, uj], us[i, uj], uf[i, uj], sq[i, uj])
    if mine > 0 and mine < strongest:
        return 1, pick, mine, strongest
    if mine < 0 and np.abs(mine) < strongest:
        return 2, pick, mine, strongest
    if capitulation and mine < 0 and np.abs(mine) > strongest:
        return 3, pick, mine, strongest
    return 0, pick, mine, strongest


@jit
def _clause(x, c, s, r, span, mu, mu_risk, q, t, sq_mode, linear, net, pair, receiver, key_rule, capitulation, half,
            measure, one_by_one, eu_out, new, used):  # fmt: skip
    """One round of one clause: writes the new positions, the exponents used and (if sized) the EU matrix."""
    w = c * s
    order, xu, uid, mult = _distinct(x)
    dist = _distances(xu, span)
    if measure:
        r = _risk(
            w,
            s,
            span,
            mu_risk,
            q,
            t,
            sq_mode,
            net,
            pair,
            one_by_one and not linear,
            order,
            xu,
            uid,
            mult,
            dist,
        )
    used[:] = r
    p = _probabilities(w, r, order, xu, uid, mult, dist, linear, net, pair)
    want_eu = eu_out.shape[0] == x.size
    us = uf = sq = np.empty((0, 0))  # the full tables, when the EU matrix or the largest offers need them
    if want_eu or not receiver:
        us, uf, sq = _tables(r, uid, xu, dist, span, mu, q, t, sq_mode, False)
    first = np.zeros(xu.size, np.int64)
    for u in range(1, xu.size):
        first[u] = first[u - 1] + mult[u - 1]
    for i in range(x.size):
        if receiver:
            kind, pick, mine, other = _receive(
                i,
                x,
                s,
                r,
                p,
                order,
                first,
                uid,
                mult,
                xu,
                dist,
                span,
                mu,
                q,
                t,
                sq_mode,
                key_rule,
                capitulation,
                half,
            )
        else:
            kind, pick, mine, other = _strongest(i, x, s, p, uid, us, uf, sq, capitulation)
        if kind == 1 or kind == 3:
            new[i] = x[pick]
        elif kind == 2:
            new[i] = x[i] + (x[pick] - x[i]) * (0.5 if half else np.abs(mine / other))
        else:
            new[i] = x[i]
    if want_eu:
        for i in range(x.size):
            for j in range(x.size):
                u = uid[j]
                eu_out[i, j] = 0.0 if i == j else _eu(s[j], p[uid[i], u], us[i, u], uf[i, u], sq[i, u])


@jit
def round_batch(x, c, s, r, span, mu, mu_risk, q, t, sq_mode, linear, net, pair, receiver, key_rule, capitulation,
                half, measure, one_by_one, want_eu):  # fmt: skip
    """One round for B clauses (rows): (new positions, exponents used, EU matrices or an empty array)."""
    b, n = x.shape
    new, used = np.empty((b, n)), np.empty((b, n))
    eu = np.zeros((b, n, n)) if want_eu else np.zeros((b, 0, 0))
    for row in range(b):
        _clause(x[row], c[row], s[row], r[row], span[row], mu[row], mu_risk[row], q, t, sq_mode, linear, net, pair,
                receiver, key_rule, capitulation, half, measure, one_by_one, eu[row], new[row], used[row])  # fmt: skip
    return new, used, eu


@jit
def measure_risk_batch(x, c, s, span, mu, q, t, sq_mode, linear, net, pair, receiver, key_rule, capitulation, half,
                       one_by_one):  # fmt: skip
    """The risk exponents of B clauses from their risk-neutral expected utilities."""
    b, n = x.shape
    out = np.empty((b, n))
    for row in range(b):
        order, xu, uid, mult = _distinct(x[row])
        dist = _distances(xu, span[row])
        out[row] = _risk(c[row] * s[row], s[row], span[row], mu[row], q, t, sq_mode, net, pair,
                         one_by_one and not linear, order, xu, uid, mult, dist)  # fmt: skip
    return out


@jit
def probabilities_batch(
    x, w, r, span, q, t, sq_mode, linear, net, pair, receiver, key_rule, capitulation, half
):
    """P[b, i, j] for B clauses, expanded from the distinct positions."""
    b, n = x.shape
    out = np.empty((b, n, n))
    for row in range(b):
        order, xu, uid, mult = _distinct(x[row])
        p = _probabilities(w[row], r[row], order, xu, uid, mult, _distances(xu, span[row]), linear, net, pair)
        for i in range(n):
            for j in range(n):
                out[row, i, j] = p[uid[i], uid[j]]
    return out
