"""The expected-utility model in numpy, one clause at a time: the readable specification.

Each function takes one clause's actors as 1-D arrays (positions ``x``, weights
``w = c·s``, saliences ``s``, risk exponents ``r``) and returns what Scholz, Calbert &
Smith (2011) define, in the notation of :mod:`wcitsim.core.protocols.expected_utility`.
:mod:`wcitsim.core.protocols.eu_numba` computes the same numbers in compiled loops,
bit for bit: both add in the same order (sums run over the actors sorted by
position, or in actor order) and both raise to powers with the C library's ``pow``
(``np.float_power``; ``np.power`` takes a vectorised path whose last bit can differ).

``Rules`` holds the choices of ``Parameters`` as plain values.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "Rules",
    "expected_utility",
    "measure_risk",
    "probabilities",
    "respond",
    "risk_from_security",
    "round_",
]

STATUS_QUO = ("full", "q_only", "flipped")
COMPROMISE_KEY = ("abs", "signed", "nearest")


class Rules(NamedTuple):
    """The protocol's choices as plain values (see ``expected_utility.Parameters``)."""

    q: float = 1.0
    t: float = 1.0
    status_quo: int = 0  # index in STATUS_QUO
    linear_votes: bool = False
    net_count: bool = False
    pair_denominator: bool = False
    receiver: bool = True
    compromise_key: int = 0  # index in COMPROMISE_KEY
    capitulation: bool = True
    half: bool = False


def probabilities(x, w, r, span, rules: Rules) -> np.ndarray:
    """P[i, j], the probability that i prevails over j.

    Voter k gives i over j the vote w_k (a_kj − a_ki), a_kj = (|x_k − x_j|/Δ)^r_k (r_k = 1
    with ``linear_votes``). The numerator is the votes for i (voters nearer i than the
    midpoint: a prefix or a suffix of the voters sorted by position), or with
    ``net_count`` the net vote, max(0, Σ_k v_k). The denominator is the votes cast in
    the pair (``pair_denominator``) or every vote over every ordered pair of actors.
    """
    n = x.size
    a = np.float_power(np.abs(x[:, None] - x[None, :]) / span, 1.0 if rules.linear_votes else r[:, None])
    v = w[:, None] * a  # v[k, j]: voter k's weighted distance to j
    order = np.argsort(x, kind="stable")
    xs, vs = x[order], v[order]
    below = np.vstack([np.zeros(n), np.cumsum(vs, axis=0)])  # below[m, j]: the first m sorted voters
    above = np.vstack(
        [np.cumsum(vs[::-1], axis=0)[::-1], np.zeros(n)]
    )  # above[m, j]: the sorted voters from m
    xi, xj = x[:, None], x[None, :]
    mid = 0.5 * (xi + xj)
    lo = np.searchsorted(xs, mid, side="left")  # voters strictly below the midpoint
    hi = np.searchsorted(xs, mid, side="right")  # the first voter strictly above it
    cols = np.arange(n)
    for_lower = below[lo, cols[None, :]] - below[lo, cols[:, None]]  # i below j: voters below the midpoint
    for_upper = above[hi, cols[None, :]] - above[hi, cols[:, None]]  # i above j: voters above it
    votes = np.where(xi < xj, for_lower, np.where(xi > xj, for_upper, 0.0))
    numerator = np.maximum(below[n][None, :] - below[n][:, None], 0.0) if rules.net_count else votes
    if rules.pair_denominator:
        denominator = votes + votes.T
    else:
        denominator = np.full((n, n), np.cumsum(w * (2.0 * _spread(x, a)))[-1])
    ok = (xi != xj) & (denominator > 0)
    return np.divide(numerator, denominator, out=np.zeros((n, n)), where=ok)


def _spread(x, a) -> np.ndarray:
    """Σ_ab |a_kb − a_ka| / 2 for each voter k, over every pair of actors, by distinct positions.

    With voter k's values at the distinct positions sorted ascending (ties: the lower
    position first), a block of m actors holding value a after M smaller ones adds
    a·m(2M + m − n): the sum over the sorted actors of a_(t)(2t − n + 1).
    """
    n = x.size
    xu, first, mult = np.unique(x, return_index=True, return_counts=True)
    au = a[:, first]  # a[k, u]: voter k's value at distinct position u
    order = np.lexsort((np.broadcast_to(xu, au.shape), au), axis=-1)
    m = mult[order]
    before = np.cumsum(m, axis=1) - m
    coef = (m * (2 * before + m - n)).astype(float)
    return np.cumsum(np.take_along_axis(au, order, axis=1) * coef, axis=1)[:, -1]


def expected_utility(r, a, b, s_target, p, mu, span, rules: Rules, neutral=False) -> np.ndarray:
    """EU of challenger at a against a target at b (salience s_target), seen with risk exponent r.

    EU = s_j(P U_s + (1 − P) U_f) + (1 − s_j) U_s − SQ, with U_s, U_f = 2 − 4(½ ∓ ½|a − b|/Δ)^r and
    SQ = Q U_sq + (1 − Q)(T U_b + (1 − T) U_w) (``full``), Q U_sq (``q_only``), or
    Q U_sq − (1 − Q)(…) (``flipped``); U_b, U_w = 2 − 4(½ ∓ ¼(|a − μ| + |a − b|)/Δ)^r.
    Arguments broadcast; ``neutral`` (r = 1) is the same as r = 1, computed without powers.
    """
    d = np.abs(a - b) / span
    power = (lambda base: base) if neutral else (lambda base: np.float_power(base, r))
    us = 2 - 4 * power(0.5 - 0.5 * d)
    uf = 2 - 4 * power(0.5 + 0.5 * d)
    sq = rules.q * (2 - 4 * power(np.full_like(d, 0.5)))
    if rules.q != 1.0 and rules.status_quo != 1:
        m = 0.25 * ((np.abs(a - mu) + np.abs(a - b)) / span)
        ub = 2 - 4 * power(np.maximum(0.5 - m, 0.0))
        uw = 2 - 4 * power(0.5 + m)
        other = (1 - rules.q) * (rules.t * ub + (1 - rules.t) * uw)
        sq = sq + other if rules.status_quo == 0 else sq - other
    return s_target * (p * us + (1 - p) * uf) + (1 - s_target) * us - sq


def _standard(x, s, r, p, mu, span, rules, neutral=False):
    """EU[i, j]: i's expected utility of challenging j, from i's view (the diagonal is 0)."""
    eu = expected_utility(r[:, None], x[:, None], x[None, :], s[None, :], p, mu, span, rules, neutral)
    np.fill_diagonal(eu, 0.0)
    return eu


def risk_from_security(eu) -> np.ndarray:
    """r_i = (1 − R_i/3)/(1 + R_i/3), R_i = (2 S_i − max S − min S)/(max S − min S), S_i = Σ_j EU_ji."""
    security = np.cumsum(eu, axis=0)[-1]  # in actor order
    hi, lo = security.max(), security.min()
    big_r = (2 * security - hi - lo) / (hi - lo if hi > lo else 1.0)
    return (1 - big_r / 3) / (1 + big_r / 3)


def measure_risk(x, w, s, span, mu, rules: Rules, one_by_one=False) -> np.ndarray:
    """Risk exponents from the risk-neutral expected utilities (Scholz et al.'s steps 2–9).

    ``one_by_one``: actor k's exponent is measured with the exponents of the actors
    before it already in the votes (dmasad's improved replication); otherwise all at once.
    """
    r = np.ones_like(x)
    if not one_by_one or rules.linear_votes:
        return risk_from_security(
            _standard(x, s, r, probabilities(x, w, r, span, rules), mu, span, rules, True)
        )
    out = r.copy()
    for k in range(x.size):
        eu = _standard(x, s, r, probabilities(x, w, out, span, rules), mu, span, rules, True)
        out[k] = risk_from_security(eu)[k]
    return out


def respond(x, s, r, p, mu, span, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """Every actor's answer to the offers it receives; returns (new positions, EU from each challenger's view)."""
    n = x.size
    eu = _standard(x, s, r, p, mu, span, rules)
    xi, xj = x[:, None], x[None, :]
    gap = np.abs(xi - xj)
    if rules.receiver:
        # receiver i reads both sides from its own view: eu (its challenge of j) and eur (j's of i)
        eur = expected_utility(r[:, None], xj, xi, s[:, None], p.T, mu, span, rules)
        mine, theirs = eu, eur
        live = (xi != xj) & (theirs > 0)
        loses = live & (theirs > mine) & (mine > 0)
        gives = live & (mine < 0) & (theirs > np.abs(mine))
        yields = live & (mine < 0) & (theirs < np.abs(mine)) & rules.capitulation
        weight = mine if rules.compromise_key == 1 else np.abs(mine)
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 only where neither side challenges
            key = (weight * xi + np.abs(theirs) * xj) / (np.abs(mine) + np.abs(theirs))
            if rules.compromise_key == 2:  # the compromise that moves i least
                key = gap * (0.5 if rules.half else np.abs(mine / theirs))
        pick = np.where(
            loses.any(1),
            np.argmin(np.where(loses, gap, np.inf), 1),
            np.where(
                gives.any(1),
                np.argmin(np.where(gives, key, np.inf), 1),
                np.argmin(np.where(yields, gap, np.inf), 1),
            ),
        )
        kind = np.where(loses.any(1), 1, np.where(gives.any(1), 2, np.where(yields.any(1), 3, 0)))
        rows = np.arange(n)
        ui, uj = mine[rows, pick], theirs[rows, pick]
    else:
        # every challenger with a positive EU sends; the target takes the largest (ties: the nearest, then the first)
        sent = (eu.T > 0) & ~np.eye(n, dtype=bool)  # sent[i, j]: j challenges i
        strength = np.where(sent, eu.T, -np.inf)
        top = sent & (strength == strength.max(1, keepdims=True))
        pick = np.argmin(np.where(top, gap, np.inf), 1)
        rows = np.arange(n)
        ui, uj = eu[rows, pick], eu[pick, rows]
        kind = np.where(
            ~sent.any(1),
            0,
            np.where(
                (ui > 0) & (ui < uj),
                1,
                np.where(
                    (ui < 0) & (np.abs(ui) < uj),
                    2,
                    np.where((ui < 0) & (np.abs(ui) > uj) & rules.capitulation, 3, 0),
                ),
            ),
        )
    target = x[pick]
    share = 0.5 if rules.half else np.abs(ui / np.where(kind == 2, uj, 1.0))
    new = np.where((kind == 1) | (kind == 3), target, x)
    return np.where(kind == 2, x + (target - x) * share, new), eu


def round_(x, c, s, r, span, mu, mu_risk, rules: Rules, risk: str, one_by_one=False):
    """One round: risk (measured now unless ``risk`` is "given"), probabilities, offers; returns (x, EU, r)."""
    w = c * s
    if risk == "measure":
        r = measure_risk(x, w, s, span, mu_risk, rules, one_by_one)
    p = probabilities(x, w, r, span, rules)
    new, eu = respond(x, s, r, p, mu, span, rules)
    return new, eu, r
