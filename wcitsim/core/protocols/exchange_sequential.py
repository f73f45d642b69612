"""The exchange model's sequential round (``round_rule = "sequential"``), in plain numpy: the specification.

One round, as ``decide-exchange-model`` 2025.3.1 makes it (its rules re-stated
here; ``docs/protocols.md`` lists them choice by choice):

1. The outcome O_p = Σ c s x / S_p of the round's start positions fixes sides: an
   actor is *left* on p when x ≤ O_p. For each pair of issues p < q (input order),
   every pair of actors on opposite sides of both outcomes is a candidate, in the
   order: actors on neither left side × actors left on both, then left on p only ×
   left on q only. Its side *i* is the actor with the larger s_p/s_q: i demands p
   and supplies q, j demands q and supplies p. An actor with salience 0 on an
   issue takes no part in exchanges on it.
2. Each candidate is sized by equal gain: j moves all the way to i's start
   position on p, unless i's equal-gain move on q would then pass j's start
   position on q, in which case i moves all the way and j less. It must gain at
   least ``min_gain``; each move must exceed 1e-12 of the scale, keep the actor
   on the scale, and continue the direction of the moves the candidate has
   recorded for that actor (their sum within the scale's width).
3. *The outcome cap*: if i's move would carry the outcome on q past j's start
   position, i moves only so far that it lands on it (and j by the exchange
   rate); then the same for j on p. The outcome here is the one with the
   positions of the actors who already supplied q to j this round (of each, the
   position nearer its start, which the reference keeps) and everyone else at
   the round's start; within ``tolerance`` (a share of the scale) of j's position
   it stands at it.
4. The candidate with the largest gain is made (gains within ``tolerance`` of it,
   relative, tie: the first in input order wins); its actors' positions on their
   supply issues move; every remaining
   candidate that shares a supplier-issue or a demander-issue with it is sized
   again from the new positions; candidates no longer feasible drop out.
   Repeat until none is left. Actors thus trade several times in a round.

The compiled kernel (:mod:`.exchange_sequential_numba`) does the same
arithmetic in the same order, and gives bit-equal results; :mod:`.exchange_decimal`
does it in the reference's 28-digit decimals.
"""

from __future__ import annotations

import numpy as np

__all__ = ["enumerate_candidates", "sequential_round"]

#: The smallest move the reference makes, as a share of the scale (1e-10 on its 0–100 scale).
MOVE_TOLERANCE = 1e-12


def enumerate_candidates(x, c, s, outcome) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The candidate exchanges (i, j, p, q) in the reference's input order; i supplies q and demands p."""
    k = x.shape[1]
    left = x <= outcome
    present = (s > 0) & (c[:, None] > 0)
    out = ([], [], [], [])
    for p in range(k - 1):
        for q in range(p + 1, k):
            both = present[:, p] & present[:, q]
            group = np.where(both, left[:, p] * 1 + left[:, q] * 2, -1)
            for first, second in ((0, 3), (1, 2)):
                a, d = np.flatnonzero(group == first), np.flatnonzero(group == second)
                i, j = np.repeat(a, len(d)), np.tile(d, len(a))
                swap = s[i, p] / s[i, q] < s[j, p] / s[j, q]
                out[0].append(np.where(swap, j, i))
                out[1].append(np.where(swap, i, j))
                out[2].append(np.full(len(i), p))
                out[3].append(np.full(len(i), q))
    return tuple(np.concatenate(part).astype(np.int64) for part in out)


class _Round:
    """The state of one sequential round: positions, the reference's outcome bookkeeping, each candidate's moves."""

    def __init__(self, x, c, s, prepared, bounds, min_gain, tolerance):
        self.x0, self.c, self.s, self.min_gain, self.tolerance = x, c, s, min_gain, tolerance
        self.lo, self.hi = bounds[:, 0], bounds[:, 1]
        self.width = self.hi - self.lo
        self.cur = x.copy()
        outcome, self.total, numerator = prepared  # O_p, S_p, Σ c s x
        n, k = x.shape
        # who supplied issue d to actor X this round, at which position (nan: nobody), and the outcome with them
        self.kept = np.full((n, k, n), np.nan)
        self.numerator = np.repeat(numerator[None, :], n, axis=0)
        self.i, self.j, self.p, self.q = enumerate_candidates(x, c, s, outcome)
        m = len(self.i)
        # per candidate and side (0: i, 1: j): the sum, least and largest of its recorded earlier moves
        self.hist = np.zeros((m, 2, 3))
        self.hist[:, :, 1], self.hist[:, :, 2] = np.inf, -np.inf
        self.move = np.zeros((m, 2))
        self.a, self.b, self.gain = np.zeros(m), np.zeros(m), np.zeros(m)
        self.valid = np.zeros(m, dtype=bool)

    def nbs(self, opposite, d, actor, position):
        """The outcome on d with the suppliers of d to ``opposite`` where they went, and ``actor`` at ``position``."""
        weight = self.c[actor] * self.s[actor, d]
        kept = self.kept[opposite, d, actor]
        base = np.where(np.isnan(kept), self.x0[actor, d], kept)
        return (self.numerator[opposite, d] - weight * base + weight * position) / self.total[d]

    def lands_on(self, opposite, d, actor, position, target):
        """|Move| of ``actor`` from ``position`` that puts the outcome on d at ``target`` (kept suppliers win)."""
        weight = self.s[actor, d] * self.c[actor]
        kept = self.kept[opposite, d, actor]
        own = np.where(np.isnan(kept), self.c[actor] * self.s[actor, d] * (position - self.x0[actor, d]), 0.0)
        return np.abs((target * self.total[d] - (self.numerator[opposite, d] + own)) / weight)

    def move_ok(self, e, side, move, position, d):
        """The reference's check of one move against the scale and the candidate's earlier moves."""
        h = self.hist[e, side]
        width = self.width[d]
        size = np.abs(move)
        ok = (size <= width) & (size > MOVE_TOLERANCE * width)
        ok &= (position + move >= self.lo[d]) & (position + move <= self.hi[d])
        ok &= h[:, 0] + move <= width
        least, largest = np.minimum(h[:, 1], move), np.maximum(h[:, 2], move)
        return ok & (((least < 0) & (largest < 0)) | ((least > 0) & (largest > 0)))

    def size(self, e):
        """Size candidates ``e`` from the current positions: equal gain, validity, the outcome cap."""
        i, j, p, q, c, s, total = self.i[e], self.j[e], self.p[e], self.q[e], self.c, self.s, self.total
        xi, xj = self.cur[i, q], self.cur[j, p]  # supply positions
        di, dj = self.x0[i, p], self.x0[j, q]  # demand positions: where each stood at the round's start
        sip, siq, sjp, sjq = s[i, p], s[i, q], s[j, p], s[j, q]
        b = (np.abs(di - xj) * sjp * c[j]) / total[p]  # j all the way to i on p
        a = ((sjp + sip) / (sjq + siq)) * b
        mi, mj = (a * total[q]) / (c[i] * siq), np.abs(di - xj)
        over = np.abs(mi) > np.abs(dj - xi)  # then i all the way to j on q
        a = np.where(over, (np.abs(dj - xi) * siq * c[i]) / total[q], a)
        b = np.where(over, ((siq + sjq) / (sip + sjp)) * a, b)
        mi = np.where(over, np.abs(dj - xi), mi)
        mj = np.where(over, (b * total[p]) / (c[j] * sjp), mj)
        mi, mj = np.where(xi > dj, -mi, mi), np.where(xj > di, -mj, mj)
        gain = np.abs(a * siq - b * sip)
        valid = self.move_ok(e, 0, mi, xi, q) & self.move_ok(e, 1, mj, xj, p) & ~(gain < self.min_gain)
        # the outcome cap, i on q first, then j on p
        for side in (0, 1):
            if side == 0:
                own, opp, d, x_own, d_opp, m_own = i, j, q, xi, dj, mi
            else:
                own, opp, d, x_own, d_opp, m_own = j, i, p, xj, di, mj
            before = d_opp - self.nbs(opp, d, own, x_own)
            after = d_opp - self.nbs(opp, d, own, x_own + m_own)
            before = np.where(
                np.abs(before) <= self.tolerance * self.width[d], 0.0, before
            )  # stands at d_opp
            cross = valid & ~(((before >= 0) & (after >= 0)) | ((before <= 0) & (after <= 0)))
            delta = self.lands_on(opp, d, own, x_own, d_opp)
            if side == 0:
                a2 = (delta * siq * c[i]) / total[q]
                b2 = ((siq + sjq) / (sip + sjp)) * a2
                mj2 = np.abs((b2 * total[p]) / (c[j] * sjp))
                mi2 = delta
                g2 = np.abs(b2 * sjp - a2 * sjq)
            else:
                b2 = (delta * sjp * c[j]) / total[p]
                a2 = ((sjp + sip) / (sjq + siq)) * b2
                mi2 = np.abs((a2 * total[q]) / (c[i] * siq))
                mj2 = delta
                g2 = np.abs(a2 * siq - b2 * sip)
            mi2, mj2 = np.where(xi > dj, -mi2, mi2), np.where(xj > di, -mj2, mj2)
            a, b, gain = np.where(cross, a2, a), np.where(cross, b2, b), np.where(cross, g2, gain)
            mi, mj = np.where(cross, mi2, mi), np.where(cross, mj2, mj)
        valid &= self.move_ok(e, 0, mi, xi, q) & self.move_ok(e, 1, mj, xj, p)
        self.a[e], self.b[e], self.gain[e], self.valid[e] = a, b, gain, valid
        self.move[e, 0], self.move[e, 1] = mi, mj

    def keep(self, e, side):
        """Record candidate ``e``'s current move of ``side`` among its earlier moves."""
        m, h = self.move[e, side], self.hist[e, side]
        self.hist[e, side] = np.stack([h[:, 0] + m, np.minimum(h[:, 1], m), np.maximum(h[:, 2], m)], axis=1)

    def supplied(self, demander, d, supplier, y):
        """``supplier`` moved to y on d in an exchange with ``demander``: the outcome ``demander`` sees."""
        kept = self.kept[demander, d, supplier]
        if np.isnan(kept):
            new, old = y, self.x0[supplier, d]
        else:
            start = self.x0[supplier, d]
            new, old = (min(kept, y) if start <= kept else max(kept, y)), kept
        self.kept[demander, d, supplier] = new
        self.numerator[demander, d] += self.c[supplier] * self.s[supplier, d] * (new - old)

    def realise(self, best, alive):
        """Move the two actors of candidate ``best``; size again the candidates it touches; drop the infeasible."""
        a, b, p, q = self.i[best], self.j[best], self.p[best], self.q[best]
        ya, yb = self.cur[a, q] + self.move[best, 0], self.cur[b, p] + self.move[best, 1]
        self.cur[a, q], self.cur[b, p] = ya, yb
        self.supplied(b, q, a, ya)
        self.supplied(a, p, b, yb)
        e = np.flatnonzero(alive)
        i, j, ep, eq = self.i[e], self.j[e], self.p[e], self.q[e]
        moved_i = ((i == a) & (eq == q)) | ((i == b) & (eq == p))
        moved_j = ((j == a) & (ep == q)) | ((j == b) & (ep == p))
        demand = (
            ((j == b) & (eq == q)) | ((i == b) & (ep == q)) | ((j == a) & (eq == p)) | ((i == a) & (ep == p))
        )
        self.keep(e[moved_i], 0)
        self.keep(e[moved_j], 1)
        touched = e[moved_i | moved_j | demand]
        self.size(touched)
        alive[touched] = self.valid[touched]


def sequential_round(x, c, s, prepared, bounds, min_gain, tie) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One sequential round; returns (voting positions, the realised exchanges in order).

    ``prepared`` is (O_p, S_p, Σ c s x) per issue (:func:`wcitsim.core.protocols.exchange.prepare`);
    ``bounds`` is K × 2 (each issue's scale); gains within ``tie`` (relative) of the best are ties. The exchanges: ``i``, ``j``, ``p``, ``q``
    (i supplies q and demands p), the outcome shifts ``a`` (on q) and ``b`` (on p),
    ``gain``, and each side's position before and after (``xi``, ``yi``, ``xj``, ``yj``).
    """
    state = _Round(x, c, s, prepared, bounds, min_gain, tie)
    state.size(np.arange(len(state.i)))
    alive = state.valid.copy()
    rows = []
    while alive.any():
        gains = np.where(alive, state.gain, -np.inf)
        top = gains.max()
        best = int(np.argmax(gains >= top - tie * top))  # ties: the first in input order
        alive[best] = False
        xi, xj = state.cur[state.i[best], state.q[best]], state.cur[state.j[best], state.p[best]]
        rows.append((best, xi, xj, state.a[best], state.b[best], state.gain[best], *state.move[best]))
        state.realise(best, alive)
    rows = np.array(rows, dtype=float).reshape(-1, 8)
    take = rows[:, 0].astype(np.int64)
    done = {"i": state.i[take], "j": state.j[take], "p": state.p[take], "q": state.q[take]}
    done.update(a=rows[:, 3], b=rows[:, 4], gain=rows[:, 5], xi=rows[:, 1], xj=rows[:, 2])
    done.update(yi=rows[:, 1] + rows[:, 6], yj=rows[:, 2] + rows[:, 7])
    return state.cur, done
