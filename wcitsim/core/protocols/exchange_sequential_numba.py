"""The compiled (numba) twin of :mod:`.exchange_sequential`: one sequential round, bit-equal to the numpy one.

The same arithmetic in the same order (``tests/test_exchange_oracle.py`` checks
that the results are identical). What compiling buys: the candidates that a
realised exchange touches are found in lists per actor-issue instead of by a scan
of all of them, and the best candidate in a tournament tree (the first of the
ties in O(log M)).
"""

from __future__ import annotations

import numba
import numpy as np

from wcitsim.core.protocols.exchange_sequential import MOVE_TOLERANCE

__all__ = ["sequential_round"]


@numba.njit(cache=True, error_model="numpy")
def _enumerate(x, c, s, outcome):
    """The candidates in the reference's input order (:func:`.exchange_sequential.enumerate_candidates`)."""
    n, k = x.shape
    group = np.empty(n, dtype=np.int64)
    count = 0
    for p in range(k - 1):
        for q in range(p + 1, k):
            tally = np.zeros(4, dtype=np.int64)
            for a in range(n):
                if s[a, p] > 0 and s[a, q] > 0 and c[a] > 0:
                    tally[(1 if x[a, p] <= outcome[p] else 0) + (2 if x[a, q] <= outcome[q] else 0)] += 1
            count += tally[0] * tally[3] + tally[1] * tally[2]
    ci, cj = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    cp, cq = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    m = 0
    for p in range(k - 1):
        for q in range(p + 1, k):
            for a in range(n):
                group[a] = -1
                if s[a, p] > 0 and s[a, q] > 0 and c[a] > 0:
                    group[a] = (1 if x[a, p] <= outcome[p] else 0) + (2 if x[a, q] <= outcome[q] else 0)
            for first, second in ((0, 3), (1, 2)):
                for i in range(n):
                    if group[i] != first:
                        continue
                    for j in range(n):
                        if group[j] != second:
                            continue
                        swap = s[i, p] / s[i, q] < s[j, p] / s[j, q]
                        ci[m], cj[m] = (j, i) if swap else (i, j)
                        cp[m], cq[m] = p, q
                        m += 1
    return ci, cj, cp, cq


@numba.njit(cache=True, inline="always", error_model="numpy")
def _move_ok(move, position, moved, least, largest, lo, hi):
    """The reference's check of a move, after the candidate's recorded moves (their sum, least and largest)."""
    width = hi - lo
    size = abs(move)
    if not (size <= width and size > MOVE_TOLERANCE * width):
        return False
    if not (position + move >= lo and position + move <= hi):
        return False
    if not (moved + move <= width):
        return False
    least, largest = min(least, move), max(largest, move)
    return (least < 0 and largest < 0) or (least > 0 and largest > 0)


#: Columns of a candidate's state: its sides' recorded moves (sum, least, largest), then its size.
I_MOVED, J_MOVED, A, B, GAIN, MI, MJ, VALID = 0, 3, 6, 7, 8, 9, 10, 11


@numba.njit(cache=True, error_model="numpy")
def _size(e, cand, st, cur, x0, c, s, total, kept, any_kept, numerator, bounds, min_gain, tolerance):
    """Size candidate e (:meth:`.exchange_sequential._Round.size`) into its state row ``st[e]``."""
    i, j, p, q = cand[e, 0], cand[e, 1], cand[e, 2], cand[e, 3]
    xi, xj = cur[i, q], cur[j, p]
    di, dj = x0[i, p], x0[j, q]
    sip, siq, sjp, sjq = s[i, p], s[i, q], s[j, p], s[j, q]
    b = (abs(di - xj) * sjp * c[j]) / total[p]
    a = ((sjp + sip) / (sjq + siq)) * b
    mi, mj = (a * total[q]) / (c[i] * siq), abs(di - xj)
    if abs(mi) > abs(dj - xi):
        a = (abs(dj - xi) * siq * c[i]) / total[q]
        b = ((siq + sjq) / (sip + sjp)) * a
        mi = abs(dj - xi)
        mj = (b * total[p]) / (c[j] * sjp)
    if xi > dj:
        mi = -mi
    if xj > di:
        mj = -mj
    gain = abs(a * siq - b * sip)
    lo_q, hi_q, lo_p, hi_p = bounds[q, 0], bounds[q, 1], bounds[p, 0], bounds[p, 1]
    h = st[e]
    valid = _move_ok(mi, xi, h[I_MOVED], h[I_MOVED + 1], h[I_MOVED + 2], lo_q, hi_q)
    valid = valid and _move_ok(mj, xj, h[J_MOVED], h[J_MOVED + 1], h[J_MOVED + 2], lo_p, hi_p)
    valid = valid and not gain < min_gain
    for side in range(2 if valid else 0):  # the outcome cap
        if side == 0:
            own, opp, d, x_own, d_opp, m_own = i, j, q, xi, dj, mi
        else:
            own, opp, d, x_own, d_opp, m_own = j, i, p, xj, di, mj
        # the outcome on d with those who supplied d to opp where they went (most (opp, d) have none),
        # own at x_own, and after its move
        supplied = kept[opp, d, own] if any_kept[opp, d] else np.nan
        weight = c[own] * s[own, d]
        base = x0[own, d] if np.isnan(supplied) else supplied
        before = d_opp - (numerator[opp, d] - weight * base + weight * x_own) / total[d]
        after = d_opp - (numerator[opp, d] - weight * base + weight * (x_own + m_own)) / total[d]
        if abs(before) <= tolerance * (bounds[d, 1] - bounds[d, 0]):
            before = 0.0  # the outcome stands at d_opp
        if (before >= 0 and after >= 0) or (before <= 0 and after <= 0):
            continue
        # the move of own that lands the outcome on d_opp (a supplier's kept position counts, not x_own)
        own_term = c[own] * s[own, d] * (x_own - x0[own, d]) if np.isnan(supplied) else 0.0
        delta = abs((d_opp * total[d] - (numerator[opp, d] + own_term)) / (s[own, d] * c[own]))
        if side == 0:
            a = (delta * siq * c[i]) / total[q]
            b = ((siq + sjq) / (sip + sjp)) * a
            mj = abs((b * total[p]) / (c[j] * sjp))
            mi = delta
            gain = abs(b * sjp - a * sjq)
        else:
            b = (delta * sjp * c[j]) / total[p]
            a = ((sjp + sip) / (sjq + siq)) * b
            mi = abs((a * total[q]) / (c[i] * siq))
            mj = delta
            gain = abs(a * siq - b * sip)
        if xi > dj:
            mi = -mi
        if xj > di:
            mj = -mj
    if valid:
        valid = _move_ok(mi, xi, h[I_MOVED], h[I_MOVED + 1], h[I_MOVED + 2], lo_q, hi_q)
        valid = valid and _move_ok(mj, xj, h[J_MOVED], h[J_MOVED + 1], h[J_MOVED + 2], lo_p, hi_p)
    h[A], h[B], h[GAIN], h[MI], h[MJ] = a, b, gain, mi, mj
    h[VALID] = 1.0 if valid else 0.0


@numba.njit(cache=True, error_model="numpy")
def _lists(slot_a, slot_b, side_a, side_b, slots):
    """Lists of (candidate, side) per slot (CSR: start, member, side, live count) from two slots per candidate."""
    m = slot_a.size
    start = np.zeros(slots + 1, dtype=np.int64)
    for e in range(m):
        start[slot_a[e] + 1] += 1
        start[slot_b[e] + 1] += 1
    for t in range(slots):
        start[t + 1] += start[t]
    fill = start[:-1].copy()
    member, side = np.empty(2 * m, dtype=np.int64), np.empty(2 * m, dtype=np.int64)
    for e in range(m):
        member[fill[slot_a[e]]], side[fill[slot_a[e]]] = e, side_a
        fill[slot_a[e]] += 1
        member[fill[slot_b[e]]], side[fill[slot_b[e]]] = e, side_b
        fill[slot_b[e]] += 1
    return start, member, side, start[1:] - start[:-1]


@numba.njit(cache=True, error_model="numpy")
def _set(tree, leaves, e, value):
    node = leaves + e
    tree[node] = value
    node //= 2
    while node >= 1:
        tree[node] = max(tree[2 * node], tree[2 * node + 1])
        node //= 2


@numba.njit(cache=True, error_model="numpy")
def _supplied(kept, any_kept, numerator, x0, c, s, demander, d, supplier, y):
    """``supplier`` moved to y on d in an exchange with ``demander`` (:meth:`.exchange_sequential._Round.supplied`)."""
    old = kept[demander, d, supplier]
    if np.isnan(old):
        new, old = y, x0[supplier, d]
    else:
        new = min(old, y) if x0[supplier, d] <= old else max(old, y)
    kept[demander, d, supplier] = new
    any_kept[demander, d] = True
    numerator[demander, d] += c[supplier] * s[supplier, d] * (new - old)


@numba.njit(cache=True, error_model="numpy")
def _touch(lists, slot, supplies, alive, seen, made, keep_side, touched, nt):
    """Add the live candidates listed at ``slot`` to ``touched`` (once each); mark the sides that keep their move.

    The list drops its dead candidates on the way (the order of a list does not matter).
    """
    start, member, side, count = lists
    kept = start[slot]
    for t in range(start[slot], start[slot] + count[slot]):
        e, sd = member[t], side[t]
        if not alive[e]:
            continue
        member[kept], side[kept] = e, sd
        kept += 1
        if seen[e] != made:
            seen[e] = made
            keep_side[e, 0], keep_side[e, 1] = False, False
            touched[nt] = e
            nt += 1
        if supplies:
            keep_side[e, sd] = True
    count[slot] = kept - start[slot]
    return nt


@numba.njit(cache=True, error_model="numpy")
def _sequential(x0, c, s, outcome, total, numerator0, bounds, min_gain, tie):
    n, k = x0.shape
    ci, cj, cp, cq = _enumerate(x0, c, s, outcome)
    m = ci.size
    cand = np.empty((m, 4), dtype=np.int64)
    cand[:, 0], cand[:, 1], cand[:, 2], cand[:, 3] = ci, cj, cp, cq
    cur = x0.copy()
    kept = np.full((n, k, n), np.nan)
    any_kept = np.zeros((n, k), dtype=np.bool_)
    numerator = np.empty((n, k))
    for a in range(n):
        numerator[a, :] = numerator0
    st = np.zeros((m, 12))
    for side in (I_MOVED, J_MOVED):
        st[:, side + 1], st[:, side + 2] = np.inf, -np.inf
    leaves = 1
    while leaves < max(m, 1):
        leaves *= 2
    tree = np.full(2 * leaves, -np.inf)
    alive = np.zeros(m, dtype=np.bool_)
    for e in range(m):
        _size(e, cand, st, cur, x0, c, s, total, kept, any_kept, numerator, bounds, min_gain, tie)
        alive[e] = st[e, VALID] > 0
        if alive[e]:
            tree[leaves + e] = st[e, GAIN]
    for node in range(leaves - 1, 0, -1):
        tree[node] = max(tree[2 * node], tree[2 * node + 1])
    supply = _lists(ci * k + cq, cj * k + cp, 0, 1, n * k)
    demand = _lists(ci * k + cp, cj * k + cq, 0, 1, n * k)
    seen = np.full(m, -1, dtype=np.int64)
    keep_side = np.zeros((m, 2), dtype=np.bool_)
    touched = np.empty(m, dtype=np.int64)
    rows = np.empty((m, 8))
    made = 0
    while tree[1] > -np.inf:
        top = tree[1]
        threshold = top - tie * top
        node = 1
        while node < leaves:  # the first leaf at the threshold: ties go to the first in input order
            node = 2 * node if tree[2 * node] >= threshold else 2 * node + 1
        best = node - leaves
        alive[best] = False
        _set(tree, leaves, best, -np.inf)
        a_, b_, p, q = ci[best], cj[best], cp[best], cq[best]
        rows[made, 0], rows[made, 1], rows[made, 2] = best, cur[a_, q], cur[b_, p]
        rows[made, 3:8] = st[best, A : MJ + 1]
        ya, yb = cur[a_, q] + st[best, MI], cur[b_, p] + st[best, MJ]
        cur[a_, q], cur[b_, p] = ya, yb
        _supplied(kept, any_kept, numerator, x0, c, s, b_, q, a_, ya)
        _supplied(kept, any_kept, numerator, x0, c, s, a_, p, b_, yb)
        # the candidates it touches: a side supplying what one of the two supplied (it keeps its move),
        # or demanding what one of the two was supplied
        nt = _touch(supply, a_ * k + q, True, alive, seen, made, keep_side, touched, 0)
        nt = _touch(supply, b_ * k + p, True, alive, seen, made, keep_side, touched, nt)
        nt = _touch(demand, b_ * k + q, False, alive, seen, made, keep_side, touched, nt)
        nt = _touch(demand, a_ * k + p, False, alive, seen, made, keep_side, touched, nt)
        for t in range(nt):
            e = touched[t]
            for sd, col in ((0, I_MOVED), (1, J_MOVED)):
                if keep_side[e, sd]:
                    move = st[e, MI + sd]
                    st[e, col] += move
                    st[e, col + 1] = min(st[e, col + 1], move)
                    st[e, col + 2] = max(st[e, col + 2], move)
            _size(e, cand, st, cur, x0, c, s, total, kept, any_kept, numerator, bounds, min_gain, tie)
            alive[e] = st[e, VALID] > 0
            _set(tree, leaves, e, st[e, GAIN] if alive[e] else -np.inf)
        made += 1
    return cur, ci, cj, cp, cq, rows[:made]


def sequential_round(x, c, s, outcome, total, numerator, bounds, min_gain, tie):
    """The compiled twin of :func:`.exchange_sequential.sequential_round` (same arguments, same result)."""
    cur, ci, cj, cp, cq, rows = _sequential(x, c, s, outcome, total, numerator, bounds, min_gain, tie)
    take = rows[:, 0].astype(np.int64)
    done = {"i": ci[take], "j": cj[take], "p": cp[take], "q": cq[take]}
    done.update(a=rows[:, 3], b=rows[:, 4], gain=rows[:, 5], xi=rows[:, 1], xj=rows[:, 2])
    done.update(yi=rows[:, 1] + rows[:, 6], yj=rows[:, 2] + rows[:, 7])
    return cur, done
