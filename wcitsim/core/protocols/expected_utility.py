"""Bueno de Mesquita's expected-utility ("challenge") model, as reconstructed by Scholz, Calbert & Smith (2011).

Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's
group decision model. *Journal of Theoretical Politics* 23(4), 510–531.
Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method.
In Bueno de Mesquita & Stokman (eds), *European Community Decision Making*.

Per clause, every ordered pair of actors (i, j) is assessed each round (positions x
over a range Δ, weights w = c·s):

- votes: actor k gives i over j the vote v_k = w_k (a_kj − a_ki), a_kj = (|x_k − x_j|/Δ)^r_k;
  the probability that i prevails, P_ij = Σ_k max(v_k, 0) / Σ_k Σ_ab |w_k (a_kb − a_ka)|;
- utilities from i's view, with i's risk exponent r_i: U_s, U_f = 2 − 4(½ ∓ ½|x_i − x_j|/Δ)^r_i,
  U_sq = 2 − 4·½^r_i (and U_b, U_w, used when Q < 1);
- EU_ij = s_j(P_ij U_s + (1 − P_ij) U_f) + (1 − s_j) U_s − Q U_sq − (1 − Q)(T U_b + (1 − T) U_w),
  s_j the *target's* salience (how hard j resists);
- risk: each round, from the risk-neutral (r = 1) EUs, security S_i = Σ_j EU_ji,
  R_i = (2 S_i − max S − min S)/(max S − min S), r_i = (1 − R_i/3)/(1 + R_i/3);
- offers: each receiver i reads every j from its own view (EU_ij and EU_ji with r_i):
  it loses a confrontation when EU_ji > EU_ij > 0 (and moves to x_j), compromises when
  EU_ji > 0 > EU_ij and EU_ji > |EU_ij| (moving |EU_ij/EU_ji| of the way), capitulates
  when EU_ji > 0 > EU_ij and EU_ji < |EU_ij|; it takes the nearest confrontation, else
  the compromise with the smallest |EU|-weighted mean position, else the nearest capitulation.

The forecast is the capability × salience weighted median. Every point where the
open replications differ is a field of :class:`Parameters`; :data:`PRESETS` holds
each replication's settings (``tests/test_eu_oracle.py`` pins them on the EC
example, ``docs/protocols.md`` tabulates them). The numbers come from the compiled
kernels (:mod:`~wcitsim.core.protocols.eu_numba`) or, with ``kernels="numpy"`` (or
:mod:`wcitsim.core.kernels`), from the readable numpy specification
(:mod:`~wcitsim.core.protocols.eu_numpy`); the two agree bit for bit.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import numpy as np

from wcitsim.core import kernels as kernel_choice
from wcitsim.core.protocols import eu_numpy
from wcitsim.io.schema import spec

__all__ = [
    "DEFAULTS",
    "PRESETS",
    "Parameters",
    "challenge_round",
    "expected_utilities",
    "initial_span",
    "measure_risk",
    "protocol_step",
    "risk_exponents",
    "rules_of",
    "run",
    "success_probability",
    "trajectory",
    "weighted_median",
]


@dataclass(frozen=True, kw_only=True)
class Parameters:
    """The protocol's parameters (``protocol.params``): the reconstruction's open choices, the replications' differences."""

    q: float = spec(1.0, lo=0.0, hi=1.0, doc="Q, the probability that the status quo holds unchallenged")
    t: float = spec(1.0, lo=0.0, hi=1.0, doc="T, the probability that things get better rather than worse")
    status_quo: str = spec(
        "full",
        choices=eu_numpy.STATUS_QUO,
        doc="what a challenger gives up: Q U_sq + (1 − Q)(T U_b + (1 − T) U_w) (full), Q U_sq (q_only), "
        "Q U_sq − (1 − Q)(…) (flipped); the same when Q = 1",
    )
    mu: str = spec(
        "median",
        choices=("median", "mean", "median_then_mean"),
        doc="μ in U_b and U_w: the weighted median, the weighted mean, or the median when risk is measured "
        "and the mean for the offers",
    )
    win_votes: str = spec(
        "risk", choices=("risk", "linear"), doc="a voter's distances raised to its risk exponent, or not"
    )
    win_count: str = spec(
        "positive",
        choices=("positive", "net"),
        doc="P's numerator: the votes for i (positive), or the net vote max(0, Σ_k v_k)",
    )
    win_denominator: str = spec(
        "all_pairs",
        choices=("all_pairs", "pair"),
        doc="P's denominator: every vote over every pair of actors, or the votes cast in the pair",
    )
    risk: str = spec(
        "every_round",
        choices=("once", "every_round", "neutral"),
        doc="risk measured once at the start, or each round, from risk-neutral expected utilities; or r = 1",
    )
    risk_update: str = spec(
        "together",
        choices=("together", "one_by_one"),
        doc="all exponents from r = 1, or each actor's with those before it already updated in the votes",
    )
    offers: str = spec(
        "receiver",
        choices=("receiver", "strongest"),
        doc="each receiver reads every pair from its own view (receiver), or takes the largest EU offered",
    )
    compromise_key: str = spec(
        "abs",
        choices=eu_numpy.COMPROMISE_KEY,
        doc="which compromise a receiver takes: the smallest mean of the two positions weighted by |EU| (abs) "
        "or by signed EU (signed), or the one that moves it least (nearest)",
    )
    capitulation: bool = spec(True, doc="whether a receiver capitulates (EU_ji > 0 > EU_ij, EU_ji < |EU_ij|)")
    compromise_rule: str = spec(
        "ratio",
        choices=("ratio", "half"),
        doc="how far a compromise moves: |EU_ij/EU_ji| of the way, or half",
    )
    span: str = spec(
        "initial_range",
        choices=("initial_range", "scale"),
        doc="Δ: the range of the clause's initial positions, or the whole scale (1)",
    )
    max_rounds: int = spec(10, lo=1, hi=1000, doc="rounds of challenges at most")
    tolerance: float = spec(1e-3, lo=1e-12, hi=1.0, doc="the move below which the rounds have converged")


DEFAULTS = asdict(Parameters())

#: Each open replication's settings on top of :data:`DEFAULTS` (``tests/data/oracles/PROVENANCE.md``).
PRESETS: dict[str, dict] = {
    "scholz_jmckib": {"capitulation": False, "status_quo": "q_only"},
    "dmasad_improved": {"risk_update": "one_by_one", "compromise_key": "signed", "status_quo": "q_only"},
    "dmasad_master": {
        "win_votes": "linear",
        "win_count": "net",
        "win_denominator": "pair",
        "offers": "strongest",
        "status_quo": "flipped",
        "mu": "median_then_mean",
    },
}


def _params(params) -> dict:
    return {**DEFAULTS, **(params or {})}


def rules_of(params) -> eu_numpy.Rules:
    """The plain values the kernels take."""
    p = _params(params)
    return eu_numpy.Rules(
        q=float(p["q"]),
        t=float(p["t"]),
        status_quo=eu_numpy.STATUS_QUO.index(p["status_quo"]),
        linear_votes=p["win_votes"] == "linear",
        net_count=p["win_count"] == "net",
        pair_denominator=p["win_denominator"] == "pair",
        receiver=p["offers"] == "receiver",
        compromise_key=eu_numpy.COMPROMISE_KEY.index(p["compromise_key"]),
        capitulation=bool(p["capitulation"]),
        half=p["compromise_rule"] == "half",
    )


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median along the last axis (the first position where half the weight is reached)."""
    w = np.broadcast_to(w, x.shape)
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, -1)
    cum = np.cumsum(np.take_along_axis(w, order, -1), axis=-1)
    first = np.argmax(cum >= 0.5 * cum[..., -1:], axis=-1)
    return np.take_along_axis(xs, first[..., None], -1)[..., 0]


def _mu(x, w, which: str) -> np.ndarray:
    if which == "mean":
        return (w * x).sum(axis=-1) / w.sum(axis=-1)
    return weighted_median(x, w)


def initial_span(x: np.ndarray, params=None) -> np.ndarray | float:
    """Δ for positions ``x`` (..., N): their range per clause (1 where they all agree), or the scale's 1."""
    if _params(params)["span"] == "scale":
        return 1.0
    spread = x.max(axis=-1) - x.min(axis=-1)
    return np.where(spread > 0, spread, 1.0)


def _use_numpy(kernels: str | None) -> bool:
    return (kernels or kernel_choice.current()) == "numpy"


def _plain(a, shape) -> np.ndarray:
    """``a`` broadcast to ``shape`` as a C-ordered, writeable float array (the kernels compile once for that)."""
    return np.require(np.broadcast_to(a, shape), dtype=float, requirements="CW")


class _Batch:
    """A stack of clauses flattened to B × N, with Δ and μ per clause."""

    def __init__(self, x, c, s, span, params):
        p = _params(params)
        self.shape = x.shape
        n = x.shape[-1]
        self.x = _plain(x, x.shape).reshape(-1, n)
        self.c = _plain(c, x.shape).reshape(-1, n)
        self.s = _plain(s, x.shape).reshape(-1, n)
        self.span = _plain(span, x.shape[:-1]).reshape(-1)
        w = self.c * self.s
        self.mu_risk = self.mu = np.zeros(len(self.x))  # μ enters only through U_b and U_w, when Q < 1
        if p["q"] != 1.0 and p["status_quo"] != "q_only":
            self.mu_risk = _mu(self.x, w, "median" if p["mu"] == "median_then_mean" else p["mu"])
            self.mu = _mu(self.x, w, "mean" if p["mu"] == "median_then_mean" else p["mu"])
        self.rules = rules_of(p)
        self.one_by_one = p["risk_update"] == "one_by_one"

    def rows(self, r):
        return _plain(r, self.shape).reshape(self.x.shape)

    def back(self, a, extra=()):
        return a.reshape(*self.shape, *extra)


def success_probability(x, w, r=None, params=None, span=1.0, kernels=None) -> np.ndarray:
    """P[..., i, j]: the probability that i prevails over j (positions x, weights w = c·s, exponents r)."""
    b = _Batch(x, w, np.ones_like(x), span, params)
    r = b.rows(1.0 if r is None else r)
    if _use_numpy(kernels):
        out = np.stack(
            [eu_numpy.probabilities(*row, b.rules) for row in zip(b.x, b.c, r, b.span, strict=True)]
        )
    else:
        from wcitsim.core.protocols import eu_numba

        out = eu_numba.probabilities_batch(b.x, b.c, r, b.span, *b.rules)
    return b.back(out, (x.shape[-1],))


def expected_utilities(x, c, s, r, params=None, span=1.0, kernels=None) -> np.ndarray:
    """EU[..., i, j]: i's expected utility of challenging j, from i's view (salience s in [0, 1])."""
    b = _Batch(x, c, s, span, params)
    r = b.rows(r)
    if _use_numpy(kernels):
        out = []
        for xr, cr, sr, rr, dr, mr in zip(b.x, b.c, b.s, r, b.span, b.mu, strict=True):
            p = eu_numpy.probabilities(xr, cr * sr, rr, dr, b.rules)
            out.append(eu_numpy.respond(xr, sr, rr, p, mr, dr, b.rules)[1])
        out = np.stack(out)
    else:
        from wcitsim.core.protocols import eu_numba

        out = eu_numba.round_batch(b.x, b.c, b.s, r, b.span, b.mu, b.mu_risk, *b.rules, False, False, True)[2]
    return b.back(out, (x.shape[-1],))


def risk_exponents(eu: np.ndarray) -> np.ndarray:
    """r_i from an EU matrix's security levels S_i = Σ_j EU_ji (all actors at once)."""
    n = eu.shape[-1]
    flat = eu.reshape(-1, n, n)
    return np.stack([eu_numpy.risk_from_security(e) for e in flat]).reshape(eu.shape[:-1])


def measure_risk(x, c, s, params=None, span=1.0, kernels=None) -> np.ndarray:
    """The risk exponents at positions x, from the risk-neutral expected utilities (``risk_update``)."""
    b = _Batch(x, c, s, span, params)
    if _use_numpy(kernels):
        rows = zip(b.x, b.c * b.s, b.s, b.span, b.mu_risk, strict=True)
        out = np.stack([eu_numpy.measure_risk(*row, b.rules, b.one_by_one) for row in rows])
    else:
        from wcitsim.core.protocols import eu_numba

        out = eu_numba.measure_risk_batch(b.x, b.c, b.s, b.span, b.mu_risk, *b.rules, b.one_by_one)
    return b.back(out)


def _advance(x, c, s, r, params, span, kernels, want_eu: bool):
    """One round for a stack of clauses: (new positions, EU matrix or None, the exponents used)."""
    p = _params(params)
    measure = p["risk"] == "every_round"
    b = _Batch(x, c, s, span, p)
    r = b.rows(1.0 if r is None or p["risk"] == "neutral" else r)
    if _use_numpy(kernels):
        mode = "measure" if measure else "given"
        done = [
            eu_numpy.round_(xr, cr, sr, rr, dr, mr, mq, b.rules, mode, b.one_by_one)
            for xr, cr, sr, rr, dr, mr, mq in zip(b.x, b.c, b.s, r, b.span, b.mu, b.mu_risk, strict=True)
        ]
        new, eu, used = (np.stack(parts) for parts in zip(*done, strict=True))
    else:
        new, used, eu = _compiled_round(b, r, measure, want_eu)
    n = x.shape[-1]
    return b.back(new), (b.back(eu, (n,)) if want_eu else None), b.back(used)


def _compiled_round(b: _Batch, r: np.ndarray, measure: bool, want_eu: bool):
    """The compiled round of a batch's rows, shared among :func:`wcitsim.core.kernels.threads` threads.

    The kernel runs without the interpreter's lock and each row (a clause of a
    replication) alone, so the result does not depend on how many threads.
    """
    from wcitsim.core.protocols import eu_numba

    def part(rows: slice):
        return eu_numba.round_batch(b.x[rows], b.c[rows], b.s[rows], r[rows], b.span[rows], b.mu[rows],
                                    b.mu_risk[rows], *b.rules, measure, b.one_by_one, want_eu)  # fmt: skip

    threads = kernel_choice.threads(len(b.x))
    cuts = np.linspace(0, len(b.x), threads + 1).astype(int)
    parts = kernel_choice.in_threads(part, [slice(a, z) for a, z in itertools.pairwise(cuts)], threads)
    return parts[0] if threads == 1 else tuple(np.concatenate(pieces) for pieces in zip(*parts, strict=True))


def challenge_round(x, c, s, r, params=None, span=1.0, kernels=None) -> tuple[np.ndarray, np.ndarray]:
    """One round of offers and responses; returns (new positions, EU matrix from each challenger's view).

    With ``risk = "every_round"`` the round measures its own exponents (``r`` is not used).
    """
    new, eu, _ = _advance(x, c, s, r, params, span, kernels, True)
    return new, eu


def _initial_risk(x, c, s, params, span, kernels):
    p = _params(params)
    return np.ones_like(x) if p["risk"] == "neutral" else measure_risk(x, c, s, p, span, kernels)


def trajectory(x, c, s, params=None, span=None, rounds=None, kernels=None) -> np.ndarray:
    """Positions after 0, 1, …, ``rounds`` rounds (default ``max_rounds``), shape (rounds + 1, ..., N).

    ``span`` defaults to the ``span`` parameter's Δ for the initial positions.
    """
    p = _params(params)
    span = initial_span(x, p) if span is None else span
    r = _initial_risk(x, c, s, p, span, kernels) if p["risk"] == "once" else None
    out = [np.asarray(x, dtype=float)]
    for _ in range(int(p["max_rounds"]) if rounds is None else rounds):
        out.append(_advance(out[-1], c, s, r, p, span, kernels, False)[0])
    return np.stack(out)


def run(x, c, s, params=None, span=None, kernels=None) -> tuple[np.ndarray, int]:
    """Rounds of challenges until no position moves by ``tolerance`` or ``max_rounds``; returns (positions, rounds)."""
    p = _params(params)
    span = initial_span(x, p) if span is None else span
    r = _initial_risk(x, c, s, p, span, kernels) if p["risk"] == "once" else None
    rounds = 0
    while rounds < int(p["max_rounds"]):
        rounds += 1
        new = _advance(x, c, s, r, p, span, kernels, False)[0]
        moved = np.abs(new - x).max() if new.size else 0.0
        x = new
        if moved < p["tolerance"]:
            break
    return x, rounds


def protocol_step(capability: np.ndarray, params, kernels=None):
    """The protocol's round for ``run_iterative``: ``step(position, salience, state) -> (position, state)``.

    Positions and saliences are R × N × K; capabilities are shares, saliences are
    divided by each replication's largest, positions stay in [0, 1]. The state holds
    Δ (from the first round's positions) and, with ``risk = "once"``, the exponents.
    """
    p = _params(params)

    def step(position, salience, state):
        x = position.swapaxes(-1, -2)  # R × K × N
        s = (salience / salience.max(axis=(-2, -1), keepdims=True)).swapaxes(-1, -2)
        if state is None:
            span = initial_span(x, p)
            state = (span, _initial_risk(x, capability, s, p, span, kernels) if p["risk"] == "once" else None)
        new = _advance(x, capability, s, state[1], p, state[0], kernels, False)[0]
        return np.clip(new, 0.0, 1.0).swapaxes(-1, -2).copy(), state

    return step
