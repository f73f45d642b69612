"""The sequential exchange round in 28-digit decimals, in the reference's order of operations (``kernel = "decimal"``).

``decide-exchange-model`` computes with Python's ``decimal`` (28 significant
digits) and breaks ties between exchanges of equal gain by the order of its list
(sorted, stably, by gain before each exchange is made). Some exchanges are tied
exactly (two supply issues on which both actors have equal saliences give the
same gain), and which one it makes then depends on the 28th digit. Float
arithmetic cannot reproduce those choices, so this module re-states the rules of
:mod:`.exchange_sequential` with decimal numbers, each quantity computed by the
same sequence of operations as the reference (full sums over the actors in input
order, each exchange's own record of the positions that moved for its
demanders), and its list order. It reproduces the reference digit for digit, on
small inputs only (it is slow). Positions are on the reference's 0–100 scale.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np

__all__ = ["decimal_rounds", "to_decimal"]

CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


def to_decimal(value) -> Decimal:
    """A float as the decimal it was written as (``repr``), as the reference reads its input file."""
    return Decimal(repr(float(value)))


class _Side:
    """One actor's side of a candidate: it supplies (moves on) ``supply`` and demands ``demand``."""

    def __init__(self, actor, supply, demand, model):
        self.actor, self.supply, self.demand = actor, supply, demand
        self.position = model.x[supply][actor]  # where it stands on its supply issue (moves within the round)
        self.start = self.position
        self.wants = model.x[demand][actor]  # where it stood on its demand issue when the round began
        self.moves, self.move, self.y = [], Decimal(0), None


class _Candidate:
    def __init__(self, model, a, b, p, q):
        s = model.s
        if s[p][a] / s[q][a] < s[p][b] / s[q][b]:
            a, b = b, a
        self.i, self.j = _Side(a, q, p, model), _Side(b, p, q, model)  # i supplies q, j supplies p
        self.i.other, self.j.other = self.j, self.i
        self.model, self.updates = model, {p: {}, q: {}}
        self.gain, self.valid = Decimal(0), True


class _Model:
    """One round's state in decimals: x[issue][actor], s, c, and the sums over each issue's actors."""

    def __init__(self, x, s, c, params):
        self.x, self.s, self.c, self.params = x, s, c, params
        self.denominator = {d: sum(s[d][a] * c[a] for a in x[d]) for d in x}

    def nbs(self, d, overrides):
        numerator = 0
        for a in self.x[d]:
            numerator += overrides.get(a, self.x[d][a]) * self.s[d][a] * self.c[a]
        return numerator / self.denominator[d]

    def shift(self, side, move):
        """The outcome shift of ``side`` moving by ``move`` on its supply issue."""
        return (move * self.s[side.supply][side.actor] * self.c[side.actor]) / self.denominator[side.supply]

    def back(self, side, shift):
        """The move of ``side`` that shifts the outcome on its supply issue by ``shift``."""
        return (shift * self.denominator[side.supply]) / (
            self.c[side.actor] * self.s[side.supply][side.actor]
        )

    def rate(self, side, shift):
        """The other side's shift that matches ``side``'s ``shift`` at equal gain."""
        s, other = self.s, side.other
        return (
            (s[side.supply][side.actor] + s[side.supply][other.actor])
            / (s[other.supply][side.actor] + s[other.supply][other.actor])
        ) * shift

    def utility(self, side, demand_shift, supply_shift):
        s = self.s
        return abs(demand_shift * s[side.supply][side.actor] - supply_shift * s[side.demand][side.actor])


def _ok(side, move):
    """The reference's check of a move (its scale is 0–100); ``side.moves`` ends with ``move``."""
    if abs(move) > 100 or abs(move) <= 1e-10:
        return False
    if side.position + move < 0 or side.position + move > 100:
        return False
    moves = side.moves
    if sum(moves) > 100:
        return False
    return (min(moves) < 0 and max(moves) < 0) or (min(moves) > 0 and max(moves) > 0)


def _cap(e, side):
    """The outcome cap: ``side``'s move may not carry its supply issue's outcome past the other's demand."""
    m = e.model
    other, d = side.other, side.supply
    moved = e.updates[d]
    before = m.nbs(d, {**moved, side.actor: side.position})
    after = m.nbs(d, {**moved, side.actor: side.y})
    target = other.wants
    if (target - before >= 0 and target - after >= 0) or (target - before <= 0 and target - after <= 0):
        return
    positions = {side.actor: side.position, **moved}
    nominator = 0
    for a in m.x[d]:
        nominator += positions.get(a, m.x[d][a]) * m.s[d][a] * m.c[a]
    delta = abs(((target * m.denominator[d]) - nominator) / (m.s[d][side.actor] * m.c[side.actor]))
    own = m.shift(side, delta)
    theirs = m.rate(side, own)
    other.move = abs(m.back(other, theirs))
    side.move = delta
    if other.position > side.wants:
        other.move = -other.move
    if side.position > other.wants:
        side.move = -side.move
    other.moves[-1], side.moves[-1] = other.move, side.move
    other.y, side.y = other.position + other.move, side.position + side.move
    e.gain = abs(m.utility(other, theirs, own))


def _size(e):
    """Size candidate ``e`` by equal gain from the current positions (moves recorded on each side)."""
    m, i, j = e.model, e.i, e.j
    j_move = abs(i.wants - j.position)
    b = m.shift(j, j_move)
    a = m.rate(j, b)
    i_move = m.back(i, a)
    if abs(i_move) > abs(j.wants - i.position):
        i_move = abs(j.wants - i.position)
        a = m.shift(i, i_move)
        b = m.rate(i, a)
        j_move = m.back(j, b)
    i.move = -i_move if i.position > j.wants else i_move
    j.move = -j_move if j.position > i.wants else j_move
    i.moves.append(i.move)
    j.moves.append(j.move)
    i.y, j.y = i.position + i.move, j.position + j.move
    e.gain = abs(m.utility(i, a, b))
    e.valid = _ok(i, i.move) and _ok(j, j.move) and not e.gain < m.params["min_gain"]
    if e.valid:
        _cap(e, i)
        _cap(e, j)
        e.valid = _ok(i, i.move) and _ok(j, j.move)


def _after(e, done):
    """Bring candidate ``e`` up to date after ``done`` was made; size it again if it touches it."""
    again = False
    for side in (e.i, e.j):
        for moved in (done.i, done.j):
            if side.actor == moved.actor and side.supply == moved.supply:
                side.position = moved.y
                side.moves.append(moved.moves[-1])
                again = True
                break
    if again:
        e.i.moves.pop()
        e.j.moves.pop()
    for demander, supplier in ((done.j, done.i), (done.i, done.j)):
        if not any(side.actor == demander.actor and side.demand == demander.demand for side in (e.i, e.j)):
            continue
        kept = e.updates[demander.demand]
        if supplier.actor in kept:
            old = kept[supplier.actor]
            y = supplier.y
            kept[supplier.actor] = (
                (old if old < y else y) if supplier.start <= old else (old if old > y else y)
            )
        else:
            kept[supplier.actor] = supplier.y
        if not again:
            e.i.moves.pop()
            e.j.moves.pop()
            again = True
    if again:
        _size(e)


def _round(model):
    """One round: the candidates in input order, made best first (stable order), as the reference does."""
    x = model.x
    issues = list(x)
    nbs = {d: model.nbs(d, {}) for d in issues}
    exchanges = []
    for n, p in enumerate(issues):
        for q in issues[n + 1 :]:
            groups = [[], [], [], []]
            for a in x[p]:
                if a in x[q]:
                    groups[(x[p][a] <= nbs[p]) | (x[q][a] <= nbs[q]) * 2].append(a)
            for first, second in ((0, 3), (1, 2)):
                exchanges += [_Candidate(model, a, b, p, q) for a in groups[first] for b in groups[second]]
    for e in exchanges:
        _size(e)
    made = []
    while exchanges:
        exchanges.sort(key=lambda e: e.gain, reverse=True)
        best = exchanges.pop(0)
        if not best.valid:
            continue
        made.append(best)
        kept = []
        for e in exchanges:
            if e.valid:
                _after(e, best)
                if e.valid:
                    kept.append(e)
        exchanges = kept
    return made


def decimal_rounds(x, c, s, bounds, params, rounds: int) -> list[dict]:
    """``rounds`` sequential rounds; per round its start, voting and next positions (``params``: as ``Parameters``).

    Each round is a dict: ``start``, ``voting``, ``next`` (N × K object arrays of
    Decimal, on the input's scale) and ``exchanges`` (per exchange made, in order:
    the indices ``i``, ``j``, ``p``, ``q``, and Decimals ``xi``, ``yi``, ``xj``, ``yj`` (each side's position
    before and after), ``mi``, ``mj`` (its move) and ``gain``).
    """
    n, k = x.shape
    present = (s > 0) & (c[:, None] > 0)
    with decimal.localcontext(CONTEXT):
        lower = [to_decimal(lo) for lo in bounds[:, 0]]
        step = [Decimal(100 / (hi - lo)) for lo, hi in bounds]
        xs = {
            d: {a: (to_decimal(x[a, d]) - lower[d]) * step[d] for a in range(n) if present[a, d]}
            for d in range(k)
        }
        ss = {d: {a: to_decimal(s[a, d]) for a in range(n) if present[a, d]} for d in range(k)}
        cs = {a: to_decimal(c[a]) for a in range(n)}
        largest = max(max(v.values(), default=Decimal(0)) for v in ss.values())
        weights = Decimal(params["salience_weight"]), Decimal(params["fixed_weight"])
        partial = params["carry"] == "partial"

        def table(values):
            out = np.empty((n, k), dtype=object)
            for a in range(n):
                for d in range(k):
                    v = values[d].get(a)
                    out[a, d] = (
                        to_decimal(x[a, d]) if v is None else (v / step[d] + lower[d] if v else lower[d])
                    )
            return out

        history = []
        for _ in range(rounds):
            model = _Model(xs, ss, cs, params)
            made = _round(model)
            voting = {d: dict(xs[d]) for d in xs}
            for e in made:
                voting[e.i.supply][e.i.actor], voting[e.j.supply][e.j.actor] = e.i.y, e.j.y
            nxt = {d: dict(xs[d] if partial else voting[d]) for d in xs}
            for e in made if partial else ():
                for side in (e.i, e.j):
                    relative = ss[side.supply][side.actor] / largest
                    sw, fw = weights
                    nxt[side.supply][side.actor] = (
                        (1 - relative) * sw * side.y
                        + fw * side.y
                        + (1 - (1 - relative) * sw - fw) * side.start
                    )
            rows = [
                {
                    "i": e.i.actor,
                    "j": e.j.actor,
                    "p": e.j.supply,
                    "q": e.i.supply,
                    "gain": e.gain,
                    "xi": e.i.position,
                    "yi": e.i.y,
                    "xj": e.j.position,
                    "yj": e.j.y,
                    "mi": e.i.move / step[e.i.supply],
                    "mj": e.j.move / step[e.j.supply],
                }
                for e in made
            ]
            for row in rows:
                for key, d in (("xi", row["q"]), ("yi", row["q"]), ("xj", row["p"]), ("yj", row["p"])):
                    row[key] = row[key] / step[d] + lower[d]
            history.append(
                {"start": table(xs), "voting": table(voting), "next": table(nxt), "exchanges": rows}
            )
            xs = nxt
    return history
