"""The sequential round's candidates, compiled: their sizing, and all of them enumerated and sized at once.

:func:`size` is the arithmetic of :meth:`.exchange_sequential._Round.size` for one
candidate, operation for operation, on its inputs read out beforehand, so the
results are bit-equal. Two of the reference's checks are decided before it runs:

- *the sign check* (a move must continue the direction of the candidate's recorded
  moves): while a candidate is feasible, each side moves toward the other actor's
  position, so in one direction, and only a realised exchange that carries the
  supplier past that position can change it (:mod:`.exchange_sequential_numba`
  drops those candidates then). Only the sum of each side's recorded moves is kept.
- *the outcome cap* is tested exactly only where it can bind: the outcome the
  demander sees is Σ / S; the supplier's move shifts it by at most
  ``reach`` / S (:func:`cap`); while |position · S − Σ| exceeds the reach by the
  slack (1e-7 of the largest position times S, some 10⁸ times the float error of
  the sums), both positions of the test are strictly on the demander's side, and
  the reference's test cannot come out otherwise.

:func:`candidates` enumerates the candidates in the reference's input order
(:func:`.exchange_sequential.enumerate_candidates`): per pair of issues p < q, a
grid of the actors on one side of both outcomes × those on the other. It sizes each
from the round's start (a row of the grid at a time, in vector code) and lists each
under its two suppliers' actor-issues.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from wcitsim.core.protocols.exchange_sequential import MOVE_TOLERANCE

__all__ = ["candidates", "cap", "count", "pack", "prefetch", "scales", "size", "unpack"]

#: Flags of a sized candidate: the outcome cap bound on i's side (q), on j's side (p); i moves all the way.
CAP_I, CAP_J, OVER = 1, 2, 4
#: Columns of a candidate's row: the sums of its sides' recorded moves, its moves, its outcome shifts, its key.
MOVED_I, MOVED_J, MI, MJ, A, B, KEY = 0, 1, 2, 3, 4, 5, 6
#: How far from a demander's position an outcome must stay for the cap test to be skipped (× largest |x| × S).
SLACK = 1e-7


@intrinsic
def prefetch(typingctx, array, index):
    """Ask the cache for ``array[index]`` (its first element) ahead of its use: a hint, no effect on results."""

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        indices = [args[1]] + [context.get_constant(types.intp, 0)] * (aryty.ndim - 1)
        shape, strides = cgutils.unpack_tuple(builder, ary.shape), cgutils.unpack_tuple(builder, ary.strides)
        ptr = cgutils.get_item_pointer2(context, builder, ary.data, shape, strides, aryty.layout, indices)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, keep, data
        return context.get_dummy_value()

    return types.void(array, index), codegen


@numba.njit(cache=True, inline="always", error_model="numpy")
def _move_ok(move, position, moved, scale):
    """The reference's check of a move after the side's recorded moves (their sum), the sign check aside."""
    lo, hi = scale[0], scale[1]
    width = hi - lo
    size = abs(move)
    return (
        size <= width
        and size > MOVE_TOLERANCE * width
        and position + move >= lo
        and position + move <= hi
        and moved + move <= width
    )


@numba.njit(cache=True, inline="always", error_model="numpy")
def cap(dj, xi, mi, tq, bq, weight, outcome):
    """Whether i's move from xi by mi carries the outcome on q past dj (the cap binds), and its reach.

    ``outcome`` = (Σ of the outcome j sees, i's kept position there or nan, i's start
    on q); ``weight`` = c_i s_iq; ``bq`` = (lo, hi, tolerance · width, slack). The
    reach is the weight times the farther of i's two positions from the one Σ counts.
    """
    numerator, kept, start = outcome
    base = start if np.isnan(kept) else kept
    near, far = abs(xi - base), abs((xi + mi) - base)
    reach = weight * (far if far > near else near)
    if abs(dj * tq - numerator) > reach + bq[3]:
        return False, reach
    before = dj - (numerator - weight * base + weight * xi) / tq
    after = dj - (numerator - weight * base + weight * (xi + mi)) / tq
    if abs(before) <= bq[2]:
        before = 0.0  # the outcome stands at dj
    return not ((before >= 0 and after >= 0) or (before <= 0 and after <= 0)), reach


@numba.njit(cache=True, inline="always", error_model="numpy")
def size(
    xi, xj, di, dj, sip, siq, sjp, sjq, c_i, c_j, tp, tq, bp, bq, moved_i, moved_j, cap_i, cap_j, min_gain
):
    """One candidate's (valid, a, b, gain, mi, mj, flags, reach on q, reach on p) from its inputs.

    i supplies q from xi and demands p (its start position di); j supplies p from xj
    and demands q (dj). ``bp``, ``bq``: the scales (lo, hi, tolerance · width, slack);
    ``moved_*``: the sums of the sides' recorded moves; ``cap_i`` = (Σ of the outcome
    on q that j sees, i's kept position there or nan, i's start on q), ``cap_j`` the
    same on p. A reach is infinite where the cap binds. The sizes of an infeasible
    candidate are never read: its caps are computed all the same, with no branch out,
    so that a loop over candidates compiles to vector code.
    """
    b = (abs(di - xj) * sjp * c_j) / tp  # j all the way to i on p
    a = ((sjp + sip) / (sjq + siq)) * b
    mi, mj = (a * tq) / (c_i * siq), abs(di - xj)
    flags = 0
    if abs(mi) > abs(dj - xi):  # then i all the way to j on q
        flags = OVER
        a = (abs(dj - xi) * siq * c_i) / tq
        b = ((siq + sjq) / (sip + sjp)) * a
        mi = abs(dj - xi)
        mj = (b * tp) / (c_j * sjp)
    if xi > dj:
        mi = -mi
    if xj > di:
        mj = -mj
    gain = abs(a * siq - b * sip)
    valid = _move_ok(mi, xi, moved_i, bq) and _move_ok(mj, xj, moved_j, bp) and not gain < min_gain
    # the outcome cap, i on q first (the outcome j sees), then j on p (the one i sees)
    cross, reach_q = cap(dj, xi, mi, tq, bq, c_i * siq, cap_i)
    if cross:
        flags |= CAP_I
        reach_q = np.inf
        numerator, kept, start = cap_i
        own_term = c_i * siq * (xi - start) if np.isnan(kept) else 0.0
        delta = abs((dj * tq - (numerator + own_term)) / (siq * c_i))
        a = (delta * siq * c_i) / tq
        b = ((siq + sjq) / (sip + sjp)) * a
        mj = abs((b * tp) / (c_j * sjp))
        mi = delta
        gain = abs(b * sjp - a * sjq)
        if xi > dj:
            mi = -mi
        if xj > di:
            mj = -mj
    cross, reach_p = cap(di, xj, mj, tp, bp, c_j * sjp, cap_j)
    if cross:
        flags |= CAP_J
        reach_p = np.inf
        numerator, kept, start = cap_j
        own_term = c_j * sjp * (xj - start) if np.isnan(kept) else 0.0
        delta = abs((di * tp - (numerator + own_term)) / (sjp * c_j))
        b = (delta * sjp * c_j) / tp
        a = ((sjp + sip) / (sjq + siq)) * b
        mi = abs((a * tq) / (c_i * siq))
        mj = delta
        gain = abs(a * siq - b * sip)
        if xi > dj:
            mi = -mi
        if xj > di:
            mj = -mj
    if flags & (CAP_I | CAP_J):
        valid = valid and _move_ok(mi, xi, moved_i, bq) and _move_ok(mj, xj, moved_j, bp)
    return valid, a, b, gain, mi, mj, flags, reach_q, reach_p


@numba.njit(cache=True, error_model="numpy")
def scales(x, total, bounds, tol):
    """Per issue: (lo, hi, tolerance · width, slack), the slack SLACK × the largest |position| × S."""
    k = x.shape[1]
    out = np.empty((k, 4))
    for d in range(k):
        largest = max(abs(bounds[d, 0]), abs(bounds[d, 1]))
        for a in range(x.shape[0]):
            largest = max(largest, abs(x[a, d]))
        out[d, 0], out[d, 1] = bounds[d, 0], bounds[d, 1]
        out[d, 2], out[d, 3] = tol * (bounds[d, 1] - bounds[d, 0]), SLACK * largest * total[d]
    return out


@numba.njit(cache=True, inline="always")
def pack(i, j, p, q, flags):
    """A candidate's actors (below 2**16), issues (below 2**8) and flags in one float, exactly."""
    return float(i | (j << 16) | (p << 32) | (q << 40) | (flags << 48))


@numba.njit(cache=True, inline="always")
def unpack(key):
    """(i, j, p, q, flags) of :func:`pack`."""
    u = np.int64(key)
    return u & 0xFFFF, (u >> 16) & 0xFFFF, (u >> 32) & 0xFF, (u >> 40) & 0xFF, u >> 48


@numba.njit(cache=True, error_model="numpy")
def _ratios(x, c, s, outcome, p, q, group, ratio):
    """Each actor's side of the outcomes on p and q (0–3: left on p + 2·left on q; −1: absent), s_p / s_q."""
    for a in range(x.shape[0]):
        group[a] = -1
        if s[a, p] > 0 and s[a, q] > 0 and c[a] > 0:
            group[a] = (1 if x[a, p] <= outcome[p] else 0) + (2 if x[a, q] <= outcome[q] else 0)
            ratio[a] = s[a, p] / s[a, q]


@numba.njit(cache=True, error_model="numpy")
def count(x, c, s, outcome):
    """How many candidates there are (pairs of actors on opposite sides of two outcomes)."""
    n, k = x.shape
    group, ratio = np.empty(n, dtype=np.int64), np.empty(n)
    m = 0
    for p in range(k - 1):
        for q in range(p + 1, k):
            _ratios(x, c, s, outcome, p, q, group, ratio)
            tally = np.zeros(4, dtype=np.int64)
            for a in range(n):
                if group[a] >= 0:
                    tally[group[a]] += 1
            m += tally[0] * tally[3] + tally[1] * tally[2]
    return m


@numba.njit(cache=True, error_model="numpy")
def _size_row(xp, xq, sp, sq, ca, ra, other, sized, nd, tp, tq, bp, bq, n_p, n_q, min_gain):
    """Size, from the round's start, an actor's candidates with the ``nd`` actors of ``other``, into ``sized``.

    The actor comes as its positions on p and q, saliences, capability and s_p / s_q;
    each other actor is the candidate's j unless it weighs p more (then it is i).
    """
    for t in range(nd):  # no branch to a store: the loop compiles to vector code
        swap = ra < other[5, t]
        xiq = other[1, t] if swap else xq
        xip = other[0, t] if swap else xp
        xjp = xp if swap else other[0, t]
        xjq = xq if swap else other[1, t]
        sip = other[2, t] if swap else sp
        siq = other[3, t] if swap else sq
        sjp = sp if swap else other[2, t]
        sjq = sq if swap else other[3, t]
        c_i = other[4, t] if swap else ca
        c_j = ca if swap else other[4, t]
        valid, a, b, gain, mi, mj, flag, reach_q, reach_p = size(
            xiq, xjp, xip, xjq, sip, siq, sjp, sjq, c_i, c_j, tp, tq, bp, bq, 0.0, 0.0,
            (n_q, np.nan, xiq), (n_p, np.nan, xjp), min_gain,
        )  # fmt: skip
        sized[0, t], sized[1, t], sized[2, t], sized[3, t] = 1.0 if valid else 0.0, a, b, gain
        sized[4, t], sized[5, t], sized[6, t], sized[7, t] = mi, mj, flag, reach_q
        sized[8, t], sized[9, t] = reach_p, 1.0 if swap else 0.0


@numba.njit(cache=True, error_model="numpy")
def _list_sizes(x, c, s, outcome, starts):
    """How many entries each supplier's list gets (into ``starts[1:]``, by actor·K + issue); the candidates."""
    n, k = x.shape
    group, ratio = np.empty(n, dtype=np.int64), np.empty(n)
    firsts, seconds = np.empty(n), np.empty(n)
    m = 0
    for p in range(k - 1):
        for q in range(p + 1, k):
            _ratios(x, c, s, outcome, p, q, group, ratio)
            for first, second in ((0, 3), (1, 2)):
                na = nd = 0
                for a in range(n):
                    if group[a] == first:
                        firsts[na] = ratio[a]
                        na += 1
                    elif group[a] == second:
                        seconds[nd] = ratio[a]
                        nd += 1
                firsts_sorted, seconds_sorted = np.sort(firsts[:na]), np.sort(seconds[:nd])
                for a in range(n):  # as i it supplies q, as j p; i is the one with the larger s_p / s_q
                    if group[a] == first:
                        as_i = np.searchsorted(seconds_sorted, ratio[a], side="right")
                        starts[a * k + q + 1] += as_i
                        starts[a * k + p + 1] += nd - as_i
                    elif group[a] == second:
                        as_i = np.searchsorted(firsts_sorted, ratio[a], side="left")
                        starts[a * k + q + 1] += as_i
                        starts[a * k + p + 1] += na - as_i
                m += na * nd
    return m


@numba.njit(cache=True, error_model="numpy")
def candidates(x, c, s, outcome, total, numerator, scale, min_gain, reach, work):
    """The candidates in input order, each sized from the round's start; the suppliers' lists; the grids.

    ``work`` = (rows, gains, feasible, entries, others) to fill, as many as
    :func:`count` says or more; ``rows`` is the flat buffer of the M × 8 rows, one
    64-byte line each (columns ``MOVED_I`` … ``KEY``). A supplier's list (CSR by
    actor·K + issue, ``starts``) holds entries 2·candidate + side (0: i's, which
    supplies q; 1: j's, which supplies p) with the position of the other actor,
    toward which it moves. The grids: per pair of issues and order of the groups, the
    first candidate and the two groups' sizes (``layout``), and per pair and actor its
    group and its place in it. ``reach`` (by demander's actor-issue) gets the largest
    reach of its feasible candidates. Returns (rows, starts, layout, groups, places).
    """
    n, k = x.shape
    starts = np.zeros(n * k + 1, dtype=np.int64)
    m = _list_sizes(x, c, s, outcome, starts)
    for t in range(n * k):
        starts[t + 1] += starts[t]
    fill = starts[:-1].copy()
    buf, gains, feasible, entries, others = work
    first_row = ((64 - buf.ctypes.data % 64) % 64) // 8
    rows = buf[first_row : first_row + m * 8].reshape((m, 8))
    group, ratio, members = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n, dtype=np.int64)
    other = np.empty((6, n))  # the second group's positions on p and q, saliences, capabilities, s_p / s_q
    sized = np.empty((10, n))  # a row of the grid, sized
    pairs = k * (k - 1) // 2
    layout = np.zeros((2 * pairs, 3), dtype=np.int64)
    groups, places = np.full((pairs, n), -1, dtype=np.int64), np.zeros((pairs, n), dtype=np.int64)
    e, pair = 0, 0
    for p in range(k - 1):
        for q in range(p + 1, k):
            _ratios(x, c, s, outcome, p, q, group, ratio)
            bp = (scale[p, 0], scale[p, 1], scale[p, 2], scale[p, 3])
            bq = (scale[q, 0], scale[q, 1], scale[q, 2], scale[q, 3])
            for order, (first, second) in enumerate(((0, 3), (1, 2))):
                na = nd = 0
                for a in range(n):
                    if group[a] == second:
                        members[nd] = a
                        groups[pair, a], places[pair, a] = second, nd
                        other[0, nd], other[1, nd], other[2, nd] = x[a, p], x[a, q], s[a, p]
                        other[3, nd], other[4, nd], other[5, nd] = s[a, q], c[a], ratio[a]
                        nd += 1
                    elif group[a] == first:
                        groups[pair, a], places[pair, a] = first, na
                        na += 1
                at = 2 * pair + order
                layout[at, 0], layout[at, 1], layout[at, 2] = e, na, nd
                for i0 in range(n):
                    if group[i0] != first:
                        continue
                    _size_row(
                        x[i0, p], x[i0, q], s[i0, p], s[i0, q], c[i0], ratio[i0], other, sized, nd,
                        total[p], total[q], bp, bq, numerator[p], numerator[q], min_gain,
                    )  # fmt: skip
                    for t in range(nd):
                        i, j = (members[t], i0) if sized[9, t] != 0.0 else (i0, members[t])
                        feasible[e], gains[e] = sized[0, t] != 0.0, sized[3, t]
                        rows[e, MOVED_I], rows[e, MOVED_J] = 0.0, 0.0
                        rows[e, MI], rows[e, MJ] = sized[4, t], sized[5, t]
                        rows[e, A], rows[e, B] = sized[1, t], sized[2, t]
                        rows[e, KEY] = pack(i, j, p, q, int(sized[6, t]))
                        if feasible[e]:
                            reach_q, reach_p = sized[7, t], sized[8, t]
                            reach[j * k + q] = reach_q if reach_q > reach[j * k + q] else reach[j * k + q]
                            reach[i * k + p] = reach_p if reach_p > reach[i * k + p] else reach[i * k + p]
                        entries[fill[i * k + q]], others[fill[i * k + q]] = 2 * e, x[j, q]
                        fill[i * k + q] += 1
                        entries[fill[j * k + p]], others[fill[j * k + p]] = 2 * e + 1, x[i, p]
                        fill[j * k + p] += 1
                        e += 1
            pair += 1
    return rows, starts, layout, groups, places
