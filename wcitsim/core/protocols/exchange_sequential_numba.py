"""The compiled (numba) twin of :mod:`.exchange_sequential`: one sequential round, bit-equal to the numpy one.

The same arithmetic in the same order (``tests/test_exchange_oracle.py`` checks
that the results are identical), with the work the specification does for every
live candidate after each exchange cut to what can change:

- the candidates are enumerated and sized at once, from the round's start
  (:func:`.exchange_candidates_numba.candidates`); a candidate infeasible there is
  never sized again;
- after an exchange, a candidate whose supplier moved is dropped without sizing if
  the move carried the supplier past the candidate's other actor (its own move then
  turns back, and fails the reference's sign check); one whose supplier moved
  toward j and whose i moves only as far as j's move allows keeps its sizes unless a
  check or its outcome cap now fails; the others are sized again;
- a candidate whose demander was supplied is looked at only where the outcome that
  demander sees may have come within a cap's reach of its position (the largest
  reach of the live candidates is kept per demander's actor-issue): elsewhere no cap
  can bind, and nothing else in its sizes depends on that outcome;
- the best candidate comes from a max-tree over blocks of candidates in input order,
  each block's entry at least its largest live gain: a kill or a smaller gain leaves
  the entry, and a block is brought down to its own when the search finds it stale.

The round's work arrays are kept from round to round, one set per thread.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from wcitsim.core.protocols.exchange_candidates_numba import (
    CAP_I,
    CAP_J,
    KEY,
    MI,
    MJ,
    MOVED_I,
    MOVED_J,
    A,
    B,
    candidates,
    cap,
    count,
    pack,
    prefetch,
    scales,
    size,
    unpack,
)

__all__ = ["sequential_round"]

#: How many entries ahead a candidate's row is asked of the cache.
AHEAD = 8
#: Candidates per block of the gains' max-tree, and children per node above the blocks.
BLOCK, FANOUT = 64, 16


@numba.njit(cache=True, error_model="numpy")
def _supplied(kept, any_kept, numerator, x0, c, s, demander, d, supplier, y):
    """``supplier`` moved to y on d in an exchange with ``demander`` (:meth:`.exchange_sequential._Round.supplied`)."""
    if not any_kept[demander, d]:
        kept[demander, d, :] = np.nan
        any_kept[demander, d] = True
    old = kept[demander, d, supplier]
    if np.isnan(old):
        new, old = y, x0[supplier, d]
    else:
        new = min(old, y) if x0[supplier, d] <= old else max(old, y)
    kept[demander, d, supplier] = new
    numerator[demander, d] += c[supplier] * s[supplier, d] * (new - old)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sequential(x0, c, s, outcome, total, numerator0, bounds, min_gain, tol, work):
    """One round: (voting positions, the exchanges made: i, j, p, q, a, b, gain, xi, yi, xj, yj per row).

    ``work``: :func:`_work`'s arrays. One function throughout: a compiled function's array
    arguments are reference-counted at each call, which the steps of the loop cannot afford.
    """
    n, k = x0.shape
    scale = scales(x0, total, bounds, tol)
    reach = np.zeros(n * k)  # per demander's actor-issue: at least the largest reach of its live candidates
    gains, alive, s_entry, s_other, queue, queued, out, kept = (
        work[1], work[2], work[3], work[4], work[5], work[6], work[7], work[8],
    )  # fmt: skip
    filled = (work[0], gains, alive, s_entry, s_other)
    st, s_start, layout, groups, places = candidates(
        x0, c, s, outcome, total, numerator0, scale, min_gain, reach, filled
    )
    m = st.shape[0]
    cur = x0.copy()
    any_kept = np.zeros((n, k), dtype=np.bool_)  # kept[X, d, :] is set to nan when X is first supplied on d
    numerator = np.empty((n, k))
    for a in range(n):
        numerator[a, :] = numerator0
    # the gains' max-tree, on their bit patterns (as integers they order as the gains do, all being ≥ 0;
    # −1 stands for none): level 0 holds the blocks, and each node above the largest of its children
    bits = gains.view(np.int64)
    levels = 1
    while FANOUT**levels < (m + BLOCK - 1) // BLOCK:
        levels += 1
    size_, off = np.empty(levels + 1, dtype=np.int64), np.zeros(levels + 2, dtype=np.int64)
    size_[0] = (m + BLOCK - 1) // BLOCK
    for lv in range(levels):
        size_[lv + 1] = (size_[lv] + FANOUT - 1) // FANOUT
        off[lv + 1] = off[lv] + size_[lv]
    off[levels + 1] = off[levels] + size_[levels]
    tree = np.full(off[levels + 1], -1, dtype=np.int64)
    where = np.zeros(size_[0], dtype=np.int64)  # the place in its block of the gain a block's entry holds
    for e in range(m):
        blk = e // BLOCK
        if alive[e] and bits[e] > tree[blk]:
            tree[blk], where[blk] = bits[e], e - blk * BLOCK
    for lv in range(levels):
        for node in range(size_[lv]):
            up = off[lv + 1] + node // FANOUT
            tree[up] = tree[off[lv] + node] if tree[off[lv] + node] > tree[up] else tree[up]
    root = off[levels]
    one = np.empty(1)  # a gain, and as bits
    one_bits = one.view(np.int64)
    s_count = s_start[1:] - s_start[:-1]
    queued[:m] = -1
    made = 0
    while True:
        best = -1
        while tree[root] >= 0:
            node = 0
            for lv in range(levels, 0, -1):  # down to the block that holds the largest
                node *= FANOUT
                while tree[off[lv - 1] + node] != tree[off[lv] + node // FANOUT]:
                    node += 1
            blk = node
            e = blk * BLOCK + where[blk]
            if alive[e] and bits[e] == tree[root]:
                top = gains[e]
                one[0] = top - tol * top
                threshold = one_bits[0]
                node = 0
                for lv in range(levels, 0, -1):  # the first block at the threshold: ties go to the first
                    node *= FANOUT
                    while tree[off[lv - 1] + node] < threshold:
                        node += 1
                blk = node
                for e in range(blk * BLOCK, min(blk * BLOCK + BLOCK, m)):
                    if alive[e] and bits[e] >= threshold:
                        best = e
                        break
                if best >= 0:
                    break
            # the block was stale: down to its own largest, up the tree, and search again
            largest, place = -1, 0
            for e in range(blk * BLOCK, min(blk * BLOCK + BLOCK, m)):
                if alive[e] and bits[e] > largest:
                    largest, place = bits[e], e - blk * BLOCK
            tree[blk], where[blk] = largest, place
            node = blk
            for lv in range(levels):
                node //= FANOUT
                larger = -1
                for child in range(off[lv] + node * FANOUT, off[lv] + min(node * FANOUT + FANOUT, size_[lv])):
                    larger = tree[child] if tree[child] > larger else larger
                if tree[off[lv + 1] + node] == larger:
                    break
                tree[off[lv + 1] + node] = larger
        if best < 0:
            break
        alive[best] = False
        nq = 0
        a_, b_, p, q, _ = unpack(st[best, KEY])
        xa, xb = cur[a_, q], cur[b_, p]
        ya, yb = xa + st[best, MI], xb + st[best, MJ]
        out[made, 0], out[made, 1], out[made, 2], out[made, 3] = a_, b_, p, q
        out[made, 4], out[made, 5], out[made, 6] = st[best, A], st[best, B], gains[best]
        out[made, 7], out[made, 8], out[made, 9], out[made, 10] = xa, ya, xb, yb
        cur[a_, q], cur[b_, p] = ya, yb
        _supplied(kept, any_kept, numerator, x0, c, s, b_, q, a_, ya)
        _supplied(kept, any_kept, numerator, x0, c, s, a_, p, b_, yb)
        # the suppliers of what one of the two supplied: those carried past the other actor drop out
        for own, d, old, new in ((a_, q, xa, ya), (b_, p, xb, yb)):
            slot = own * k + d
            bd = (scale[d, 0], scale[d, 1], scale[d, 2], scale[d, 3])
            weight = c[own] * s[own, d]
            w = s_start[slot]
            # (no branches here: they would mispredict)
            for t in range(s_start[slot], s_start[slot] + s_count[slot]):
                entry, other = s_entry[t], s_other[t]
                keep = alive[entry >> 1] & ((old > other) == (new > other))
                alive[entry >> 1] = keep
                s_entry[w], s_other[w] = entry, other
                w += keep
            s_count[slot] = w - s_start[slot]
            # the others keep their move, and are sized again unless nothing can have changed
            for t in range(s_start[slot], w):
                if t + AHEAD < w:
                    prefetch(st, s_entry[t + AHEAD] >> 1)
                entry, other = s_entry[t], s_other[t]
                e, sd = entry >> 1, entry & 1
                st[e, MOVED_I + sd] += st[e, MI + sd]
                key = np.int64(st[e, KEY])
                if sd == 0 and key >> 48 == 0:
                    # i moves toward j as far as j's move to i's position allows, wherever i is: unless
                    # i now gets there first, or a check or the outcome cap fails, nothing changes
                    mi, opp = st[e, MI], (key >> 16) & 0xFFFF
                    if not abs(mi) > abs(other - new):
                        if not (
                            new + mi >= bd[0] and new + mi <= bd[1] and st[e, MOVED_I] + mi <= bd[1] - bd[0]
                        ):
                            alive[e] = False
                            continue
                        held = kept[opp, d, own] if any_kept[opp, d] else np.nan
                        crossed, r = cap(
                            other, new, mi, total[d], bd, weight, (numerator[opp, d], held, x0[own, d])
                        )
                        if not crossed:
                            reach[opp * k + d] = r if r > reach[opp * k + d] else reach[opp * k + d]
                            continue
                queued[e] = made
                queue[nq] = e
                nq += 1
        # the demanders of what one of the two was supplied: only an outcome cap can change, and none can
        # while the outcome they see is farther from their position than any of their candidates reaches
        for opp, d in ((b_, q), (a_, p)):
            d_opp = x0[opp, d]
            if abs(d_opp * total[d] - numerator[opp, d]) > reach[opp * k + d] + scale[d, 3]:
                continue
            bd = (scale[d, 0], scale[d, 1], scale[d, 2], scale[d, 3])
            largest = 0.0
            # its candidates: a row or a column of the grid of each pair of issues with d
            for dd in range(k):
                if dd == d:
                    continue
                lo, hi = min(d, dd), max(d, dd)
                pair = lo * k - lo * (lo + 1) // 2 + hi - lo - 1
                for order in range(2):
                    at = 2 * pair + order
                    base, height, width = layout[at, 0], layout[at, 1], layout[at, 2]
                    if groups[pair, opp] == order:
                        first, length, step = base + places[pair, opp] * width, width, 1
                    elif groups[pair, opp] == 3 - order:
                        first, length, step = base + places[pair, opp], height, width
                    else:
                        continue
                    for e in range(first, first + length * step, step):
                        if not alive[e]:
                            continue
                        i, j, ep, eq, flag = unpack(st[e, KEY])
                        if j == opp and eq == d:
                            sd, own = 0, i
                        elif i == opp and ep == d:
                            sd, own = 1, j
                        else:
                            continue
                        if flag & (CAP_I | CAP_J) == 0:
                            held = kept[opp, d, own] if any_kept[opp, d] else np.nan
                            crossed, r = cap(
                                d_opp, cur[own, d], st[e, MI + sd], total[d], bd, c[own] * s[own, d],
                                (numerator[opp, d], held, x0[own, d]),
                            )  # fmt: skip
                            if not crossed:
                                largest = r if r > largest else largest
                                continue
                        if queued[e] != made:
                            queued[e] = made
                            queue[nq] = e
                            nq += 1
            reach[opp * k + d] = largest  # those sized again below add theirs
        for t in range(nq):  # size again the candidates queued
            e = queue[t]
            i, j, p, q, _ = unpack(st[e, KEY])
            valid, a, b, gain, mi, mj, flag, reach_q, reach_p = size(
                cur[i, q], cur[j, p], x0[i, p], x0[j, q], s[i, p], s[i, q], s[j, p], s[j, q],
                c[i], c[j], total[p], total[q],
                (scale[p, 0], scale[p, 1], scale[p, 2], scale[p, 3]),
                (scale[q, 0], scale[q, 1], scale[q, 2], scale[q, 3]),
                st[e, MOVED_I], st[e, MOVED_J],
                (numerator[j, q], kept[j, q, i] if any_kept[j, q] else np.nan, x0[i, q]),
                (numerator[i, p], kept[i, p, j] if any_kept[i, p] else np.nan, x0[j, p]),
                min_gain,
            )  # fmt: skip
            if not valid:
                alive[e] = False
                continue
            st[e, MI], st[e, MJ], st[e, A], st[e, B], st[e, KEY] = mi, mj, a, b, pack(i, j, p, q, flag)
            gains[e] = gain
            reach[j * k + q] = reach_q if reach_q > reach[j * k + q] else reach[j * k + q]
            reach[i * k + p] = reach_p if reach_p > reach[i * k + p] else reach[i * k + p]
            blk = e // BLOCK
            if bits[e] > tree[blk]:  # a larger gain goes up the tree at once
                tree[blk], where[blk] = bits[e], e - blk * BLOCK
                node = blk
                for lv in range(levels):
                    node //= FANOUT
                    if tree[off[lv + 1] + node] >= bits[e]:
                        break
                    tree[off[lv + 1] + node] = bits[e]
        made += 1
    return cur, out[:made]


#: The work arrays, kept from round to round, one set per thread (fresh ones cost a page fault per 4 KiB).
_WORK = threading.local()


def _work(m: int, n: int, k: int) -> tuple[np.ndarray, ...]:
    """This thread's work arrays for M candidates of N actors on K issues (larger ones for more)."""
    work = getattr(_WORK, "arrays", None)
    if work is None or work[1].size < m or work[8].shape != (n, k, n):
        most = max(m + m // 4, 1024)
        work = (
            np.empty(most * 8 + 8),  # the candidates' rows, one cache line each
            np.empty(most),  # their gains
            np.empty(most, dtype=np.bool_),  # which are live
            np.empty(2 * most, dtype=np.int32),  # the suppliers' lists: candidate and side
            np.empty(2 * most),  # and the other actor's position
            np.empty(most, dtype=np.int32),  # the candidates to size again
            np.empty(most, dtype=np.int32),  # after which exchange each was last queued
            np.empty((most, 11)),  # the exchanges made
            np.empty((n, k, n)),  # kept[X, d, Y]: where Y, supplying d to X, was kept
        )
        _WORK.arrays = work
    return work


def sequential_round(x, c, s, outcome, total, numerator, bounds, min_gain, tie):
    """The compiled twin of :func:`.exchange_sequential.sequential_round` (same arguments, same result).

    For fewer than 2**16 actors and 2**8 issues.
    """
    n, k = x.shape
    if n >= 1 << 16 or k >= 1 << 8:
        raise ValueError(
            f"the compiled exchange kernel takes < 65536 actors and < 256 issues, not {n} and {k}"
        )
    m = count(x, c, s, outcome)
    if m == 0:
        cur, out = x.copy(), np.empty((0, 11))
    else:
        cur, out = _sequential(x, c, s, outcome, total, numerator, bounds, min_gain, tie, _work(m, n, k))
    done = {key: out[:, col].astype(np.int64) for col, key in enumerate("ijpq")}
    done.update(a=out[:, 4].copy(), b=out[:, 5].copy(), gain=out[:, 6].copy())
    done.update(xi=out[:, 7].copy(), yi=out[:, 8].copy(), xj=out[:, 9].copy(), yj=out[:, 10].copy())
    return cur, done
