"""Bueno de Mesquita's expected-utility ("challenge") model, as reconstructed by Scholz, Calbert & Smith (2011).

Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De
Mesquita's group decision model. *Journal of Theoretical Politics* 23(4), 510–531.
Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method.
In Bueno de Mesquita & Stokman (eds), *European Community Decision Making*.

Per clause, every pair of actors (i, j) is assessed each round:

- probability that i prevails over j, from the weighted support of every actor k,
  P_ij = Σ_k c_k s_k max(d_k, 0) / Σ_k c_k s_k |d_k|, d_k = |x_k − x_j| − |x_k − x_i|;
- utilities with risk exponent r_i (positions scaled by the range Δ):
  U_s = 2 − 4(½ − ½|x_i − x_j|/Δ)^r, U_f = 2 − 4(½ + ½|x_i − x_j|/Δ)^r,
  U_b = 2 − 4(½ − ¼(|x_i − μ| + |x_i − x_j|)/Δ)^r, U_w = 2 − 4(½ + ¼(…)/Δ)^r, U_sq = 2 − 4·½^r,
  μ the weighted median;
- expected utility of challenging,
  EU_ij = s_i(P U_s + (1 − P) U_f) + (1 − s_i) U_s − Q U_sq − (1 − Q)(T U_b + (1 − T) U_w);
- risk: R_i = (2 Σ_j EU_ji − max_k S_k − min_k S_k)/(max_k S_k − min_k S_k) with security
  S_k = Σ_j EU_jk, r_i = (1 − R_i/3)/(1 + R_i/3);
- offers: i challenges j when EU_ij > 0; j answers the offer with the largest EU_ij
  (ties: the nearest position): *conflict* (EU_ji > 0, EU_ji < EU_ij) or *capitulation*
  (EU_ji < 0, |EU_ji| > EU_ij) move j to x_i; *compromise* (EU_ji < 0, |EU_ji| < EU_ij)
  moves j by |EU_ji / EU_ij| of the way (``compromise_rule = "ratio"``) or half-way ("half").

Rounds repeat until no position moves by more than ``tolerance`` or ``max_rounds``.
The forecast of each clause is the weighted median of the final positions. Where
the published reconstruction and its open replications differ, the choice is a
named parameter (``docs/protocols.md``): ``q`` and ``t`` (Q, T), ``risk``
("once": risk computed in the first round and kept, "every_round", "neutral": r = 1),
``compromise_rule``, ``salience_scale`` (saliences divided by their maximum).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from wcitsim.io.schema import spec

__all__ = [
    "DEFAULTS",
    "Parameters",
    "challenge_round",
    "expected_utilities",
    "success_probability",
    "weighted_median",
]


@dataclass(frozen=True, kw_only=True)
class Parameters:
    """The protocol's parameters (``protocol.params``): the choices the reconstruction leaves open."""

    q: float = spec(1.0, lo=0.0, hi=1.0, doc="Q, the probability that the status quo holds unchallenged")
    t: float = spec(1.0, lo=0.0, hi=1.0, doc="T, the probability that things get better rather than worse")
    risk: str = spec(
        "once", choices=("once", "every_round", "neutral"), doc="when risk attitudes are measured"
    )
    compromise_rule: str = spec("ratio", choices=("ratio", "half"), doc="how far a compromise moves j")
    max_rounds: int = spec(10, lo=1, hi=1000, doc="rounds of challenges at most")
    tolerance: float = spec(1e-3, lo=1e-12, hi=1.0, doc="the move below which the rounds have converged")


DEFAULTS = asdict(Parameters())


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median along the last axis (the first position where half the weight is reached)."""
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, -1)
    cum = np.cumsum(np.take_along_axis(w, order, -1), axis=-1)
    first = np.argmax(cum >= 0.5 * cum[..., -1:], axis=-1)
    return np.take_along_axis(xs, first[..., None], -1)[..., 0]


def success_probability(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """P[..., i, j]: the probability that i prevails over j, for positions x (..., N) and weights w = c·s.

    Exact in O(N² log N) per row with prefix sums over the sorted positions: for
    x_i < x_j, d_k = D for x_k ≤ x_i, x_i + x_j − 2x_k between them, −D for x_k ≥ x_j.
    Rows are handled one at a time, so the working set stays in cache.
    """
    shape = x.shape
    n = shape[-1]
    flat_x, flat_w = x.reshape(-1, n), w.reshape(-1, n)
    out = np.empty((flat_x.shape[0], n, n))
    for row, (xr, wr) in enumerate(zip(flat_x, flat_w, strict=True)):
        order = np.argsort(xr, kind="stable")
        xs, ws = xr[order], wr[order]
        cw = np.concatenate([[0.0], np.cumsum(ws)])
        cwx = np.concatenate([[0.0], np.cumsum(ws * xs)])

        def below(t, strict=False, xs=xs, cw=cw, cwx=cwx):  # Σ w and Σ w·x over x_k ≤ t (or < t)
            idx = np.searchsorted(xs, t, side="left" if strict else "right")
            return cw[idx], cwx[idx]

        xi, xj = xr[:, None], xr[None, :]
        lo, hi = np.minimum(xi, xj), np.maximum(xi, xj)
        gap, ssum = hi - lo, lo + hi
        mid = 0.5 * ssum
        w_lo, wx_lo = below(lo)  # x_k ≤ lo
        w_hi, wx_hi = below(hi, strict=True)  # x_k < hi
        w_mid, wx_mid = below(mid, strict=True)  # x_k < mid
        w_mid_le, wx_mid_le = below(mid)  # x_k ≤ mid
        # lo < x_k < hi: |x_i + x_j − 2x_k| is (lo + hi) − 2x_k below the midpoint, 2x_k − (lo + hi) above
        near_lo = gap * w_lo + (ssum * (w_mid - w_lo) - 2 * (wx_mid - wx_lo))  # support for the lower actor
        near_hi = gap * (cw[-1] - w_hi) + (
            2 * (wx_hi - wx_mid_le) - ssum * (w_hi - w_mid_le)
        )  # the upper one
        den = near_lo + near_hi
        num = np.where(xi <= xj, near_lo, near_hi)  # i is the lower actor when x_i ≤ x_j
        out[row] = np.divide(num, den, out=np.zeros_like(den), where=den > 0)
    return out.reshape(*shape, n)


def _utilities(x: np.ndarray, median: np.ndarray, r: np.ndarray, span: float):
    """U_s, U_f, U_b, U_w, U_sq for every pair (…, i, j), from i's view with its risk r_i."""
    d = np.abs(x[..., :, None] - x[..., None, :]) / span
    dm = np.abs(x - median[..., None])[..., :, None] / span
    rr = r[..., :, None]
    us = 2 - 4 * (0.5 - 0.5 * d) ** rr
    uf = 2 - 4 * (0.5 + 0.5 * d) ** rr
    ub = 2 - 4 * np.clip(0.5 - 0.25 * (dm + d), 0, None) ** rr
    uw = 2 - 4 * (0.5 + 0.25 * (dm + d)) ** rr
    usq = 2 - 4 * 0.5**rr
    return us, uf, ub, uw, usq


def expected_utilities(x, c, s, r, params, span: float = 1.0) -> np.ndarray:
    """EU[..., i, j]: i's expected utility of challenging j (positions x, capability c, salience s in [0, 1])."""
    w = c * s
    p = success_probability(x, w)
    median = weighted_median(x, w)
    us, uf, ub, uw, usq = _utilities(x, median, r, span)
    si = s[..., :, None]
    q, t = params["q"], params["t"]
    eu = si * (p * us + (1 - p) * uf) + (1 - si) * us - (q * usq + (1 - q) * (t * ub + (1 - t) * uw))
    n = x.shape[-1]
    eu[..., np.arange(n), np.arange(n)] = 0.0
    return eu


def risk_exponents(eu: np.ndarray) -> np.ndarray:
    """r_i from the security levels: S_i = Σ_j EU_ji (what others expect from challenging i)."""
    security = eu.sum(axis=-2)  # column sums: Σ_j EU_j i
    hi, lo = security.max(axis=-1, keepdims=True), security.min(axis=-1, keepdims=True)
    spread = np.where(hi > lo, hi - lo, 1.0)
    big_r = (2 * security - hi - lo) / spread
    return (1 - big_r / 3) / (1 + big_r / 3)


def challenge_round(x, c, s, r, params, span: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One round of offers and responses; returns (new positions, EU matrix)."""
    eu = expected_utilities(x, c, s, r, params, span)
    offers = eu > 0  # offers[..., i, j]: i challenges j
    strength = np.where(offers, eu, -np.inf)  # the offer i makes to j
    distance = np.abs(x[..., :, None] - x[..., None, :])
    # j picks the strongest offer; ties broken by the nearest proposer (lexicographic key)
    key = np.where(offers, strength * 1e6 - distance, -np.inf)
    best = np.argmax(key, axis=-2)  # proposer index per j
    has = offers.any(axis=-2)
    eu_ij = np.take_along_axis(eu, best[..., None, :], axis=-2)[..., 0, :]  # proposer's EU toward j
    eu_ji = np.take_along_axis(eu.swapaxes(-1, -2), best[..., None, :], axis=-2)[
        ..., 0, :
    ]  # j's EU toward proposer
    target = np.take_along_axis(x, best, axis=-1)
    conflict_lost = (eu_ji > 0) & (eu_ji < eu_ij)
    compromise = (eu_ji < 0) & (np.abs(eu_ji) < eu_ij)
    capitulate = (eu_ji < 0) & (np.abs(eu_ji) >= eu_ij)
    share = np.abs(eu_ji / np.where(eu_ij != 0, eu_ij, 1.0)) if params["compromise_rule"] == "ratio" else 0.5
    moved = np.where(conflict_lost | capitulate, target, x)
    moved = np.where(compromise, x + (target - x) * share, moved)
    return np.where(has, moved, x), eu


def run(x, c, s, params=None, span: float = 1.0) -> tuple[np.ndarray, int]:
    """Rounds of challenges until convergence; returns (final positions, rounds)."""
    params = {**DEFAULTS, **(params or {})}
    r = np.ones_like(x)
    if params["risk"] != "neutral":
        r = risk_exponents(expected_utilities(x, c, s, r, params, span))
    rounds = 0
    while rounds < int(params["max_rounds"]):
        rounds += 1
        new, eu = challenge_round(x, c, s, r, params, span)
        if params["risk"] == "every_round":
            r = risk_exponents(eu)
        moved = np.abs(new - x).max() if new.size else 0.0
        x = new
        if moved < params["tolerance"]:
            break
    return x, rounds
