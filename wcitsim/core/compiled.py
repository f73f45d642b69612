"""The compiled rules: the numpy rules' arguments laid out for the numba kernels, and their results back.

Each function here stands for the rule of the same name in :mod:`wcitsim.core.session`,
:mod:`wcitsim.core.drafting`, :mod:`wcitsim.core.rules`, :mod:`wcitsim.core.agenda` or
:mod:`wcitsim.core.measures`, which calls it when the compiled kernels are chosen
(:mod:`wcitsim.core.kernels`), with the same arguments and the same results: stacks
(..., N, K) in, stacks out (views of lanes, replications last in memory). The
kernels are in :mod:`wcitsim.core.kernels_session`, :mod:`wcitsim.core.kernels_rules`
and :mod:`wcitsim.core.kernels_measures`; numba is imported with the first of them used.
"""

from __future__ import annotations

import numpy as np

from wcitsim.core.kernels import draft_lanes, lanes, stacked
from wcitsim.core.streams import PendingDraws

__all__ = [
    "best_split",
    "delegation_votes",
    "floor_motions",
    "lost_votes",
    "median_draft",
    "objecting_share",
    "opening",
    "pole_search",
    "session_step",
    "signing_gain",
    "snap",
    "tally",
]


def _rows(a, reps: int | None = None, dtype=float) -> np.ndarray:
    """A stack as rows of lanes (N, K · R)."""
    out = lanes(a, reps, dtype)
    return out.reshape(out.shape[0], -1)


def _clauses(values, reps: int) -> np.ndarray:
    """A number per clause (K) along its lanes (K · R)."""
    return np.repeat(np.asarray(values, dtype=float), reps)


def _per_clause(lanes_kr: np.ndarray, lead: tuple[int, ...], k: int) -> np.ndarray:
    """Lanes (K · R) back to (*lead, K)."""
    return np.ascontiguousarray(lanes_kr.reshape(k, -1).T).reshape(*lead, k)


def _lead(stack) -> tuple[int, ...]:
    return np.shape(stack)[:-2]


def _normalized(salience, reps: int) -> np.ndarray:
    from wcitsim.core.kernels_rules import normalized

    s = _rows(salience, reps)
    return normalized(s, np.tile(np.arange(reps), s.shape[1] // reps))


# ---------------------------------------------------------------- a session
def opening(world, noise) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The opening of :class:`~wcitsim.core.conference.Conference` from noise (R, 2, N, K) as drawn: positions
    and saliences (:func:`~wcitsim.core.world.initial_state`), normalised saliences and yield weights."""
    from wcitsim.core.kernels_session import opening as kernel

    cfg, reps = world.scenario.seeder, noise.shape[0]
    n, k = world.n, world.agenda.k
    lognormal = np.exp(
        cfg.salience_noise * noise[:, 1] - 0.5 * cfg.salience_noise**2
    )  # numpy's exp, as today
    out = kernel(
        np.ascontiguousarray(noise, dtype=float), lognormal, world.position, world.salience, world.override_position,
        world.override_salience, float(cfg.position_noise),
    )  # fmt: skip
    return tuple(stacked(a.reshape(n, k, reps)) for a in out)


def session_step(
    world, position, yield_weight, draft, uniform, rate: float, shock_scale: float, salience_norm
):
    """:func:`~wcitsim.core.session.session_step`, given the session's concession ``rate`` and shock scale;
    ``uniform`` the session's draws, or the streams' :class:`~wcitsim.core.streams.PendingDraws`."""
    from wcitsim.core.kernels_session import camps, drawn_shocks, influence_step, lobbying, shocks

    proto = world.scenario.protocol
    p = lanes(position)
    n, k, reps = p.shape
    d = draft_lanes(draft, reps).reshape(-1)
    q = influence_step(p.reshape(n, -1), *world.influence.arrays(), float(rate), _rows(yield_weight, reps), d)
    if proto.alignment:
        if salience_norm is None:
            raise ValueError("session_step: alignment needs salience_norm")
        s = _rows(salience_norm, reps)
        camps(q, d, world.agenda.status_quo, s, float(world.signing.exponent), float(proto.alignment))
    if len(world.stakeholder_position):
        targets = np.repeat(np.asarray(world.stakeholder_position, dtype=float), reps, axis=1)
        lobbying(q, np.ascontiguousarray(targets), np.ascontiguousarray(world.stakeholder_pull, dtype=float))
    if isinstance(uniform, PendingDraws):  # the kernel draws what Generator.random would
        drawn_shocks(q, uniform.states, k, float(shock_scale))
    else:
        u = np.asarray(uniform, dtype=float)
        shocks(q, np.ascontiguousarray(u if u.shape == (reps, n, k) else np.broadcast_to(u, (reps, n, k))),
               float(shock_scale))  # fmt: skip
    return stacked(q.reshape(n, k, reps), _lead(position))


def median_draft(position, salience, capability, agenda) -> np.ndarray:
    """:func:`~wcitsim.core.drafting.draft_median` without a host bias."""
    from wcitsim.core.kernels_session import median_draft as kernel

    p = lanes(position)
    n, k, reps = p.shape
    weight = np.ascontiguousarray(capability, dtype=float)
    out = kernel(
        p.reshape(n, -1), _rows(salience, reps), weight, agenda.midpoints, agenda.options, agenda.last_option
    )
    return _per_clause(out, _lead(position), k)


def snap(agenda, target) -> np.ndarray:
    """:meth:`~wcitsim.core.agenda.AgendaArrays.snap`."""
    from wcitsim.core.kernels_rules import snap as kernel

    flat = np.ascontiguousarray(target, dtype=float).reshape(-1, agenda.k)
    return kernel(flat, agenda.options).reshape(np.shape(target))


# ---------------------------------------------------------------- the deadline
def floor_motions(draft, status_quo, agenda, view, salience, weights, exponent: float, stake: float):
    """:func:`~wcitsim.core.rules.floor_motions`."""
    from wcitsim.core.kernels_rules import floor_motions as kernel

    v = lanes(view)
    n, k, reps = v.shape
    eligible = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    options = np.ascontiguousarray(np.repeat(agenda.options.T, reps, axis=1))  # (O, K · R)
    out = kernel(
        draft_lanes(draft, reps).reshape(-1), _clauses(status_quo, reps), options, v.reshape(n, -1),
        _normalized(salience, reps), eligible, float(exponent), float(stake),
    )  # fmt: skip
    return tuple(_per_clause(a, _lead(view), k) for a in out)


def objecting_share(draft, status_quo, position, salience, exponent: float, threshold: float) -> np.ndarray:
    """The share of delegations that :func:`~wcitsim.core.rules.objections` finds objecting to each clause."""
    from wcitsim.core.kernels_rules import objecting_share as kernel

    v = lanes(position)
    n, k, reps = v.shape
    share = kernel(
        draft_lanes(draft, reps).reshape(-1), _clauses(status_quo, reps), v.reshape(n, -1),
        _normalized(salience, reps), float(exponent), float(threshold),
    )  # fmt: skip
    return _per_clause(share, _lead(position), k)


def delegation_votes(draft, status_quo, position, exponent: float, band: float) -> np.ndarray:
    """:func:`~wcitsim.core.rules.delegation_votes`."""
    from wcitsim.core.kernels_rules import votes

    v = lanes(position)
    n, k, reps = v.shape
    cast = votes(draft_lanes(draft, reps).reshape(-1), _clauses(status_quo, reps), v.reshape(n, -1),
                 float(exponent), float(band))  # fmt: skip
    return stacked(cast.reshape(n, k, reps), _lead(position))


def tally(votes, weights=None) -> np.ndarray:
    """:func:`~wcitsim.core.rules.tally`."""
    from wcitsim.core.kernels_rules import tally as kernel

    v = lanes(votes, dtype=np.int8)
    n, k, reps = v.shape
    counted = kernel(v.reshape(n, -1), np.ones(n) if weights is None else np.asarray(weights, dtype=float))
    counted = counted.reshape(k, reps, 3).transpose(1, 0, 2).reshape(*_lead(votes), k, 3)
    return counted.astype(int) if weights is None else counted


def lost_votes(votes, contested, passed) -> np.ndarray:
    """:func:`~wcitsim.core.rules.lost_votes`."""
    from wcitsim.core.kernels_rules import lost

    v = lanes(votes, dtype=np.int8)
    n, k, reps = v.shape

    def along(a):
        return np.ascontiguousarray(np.broadcast_to(a, (reps, k)).T).reshape(-1)

    return stacked(lost(v.reshape(n, -1), along(contested), along(passed)).reshape(n, k, reps), _lead(votes))


def signing_gain(final, status_quo, position, salience, signing, lost=None) -> np.ndarray:
    """The gains of :func:`~wcitsim.core.rules.signing_probabilities`, (..., N)."""
    from wcitsim.core.kernels_rules import gains

    v = lanes(position)
    n, k, reps = v.shape
    cost = np.zeros((0, 0), dtype=bool)
    if lost is not None and signing.lost_vote:
        cost = _rows(lost, reps, dtype=bool)
    gain = gains(
        draft_lanes(final, reps).reshape(-1), _clauses(status_quo, reps), v.reshape(n, -1),
        _normalized(salience, reps), float(signing.exponent), np.tile(np.arange(reps), k), cost,
        float(signing.lost_vote),
    )  # fmt: skip
    return np.ascontiguousarray(gain.T).reshape(*np.shape(position)[:-1])


# ---------------------------------------------------------------- the field's measures
def pole_search(centred: np.ndarray, kmax: int, steps: int, gram_max: int) -> tuple[np.ndarray, np.ndarray]:
    """The search of :func:`~wcitsim.core.measures.find_poles` over k: the best labels (B, N) and silhouette (B)."""
    from wcitsim.core.kernels_measures import CELLS, farthest, kmeans, silhouettes

    x = np.ascontiguousarray(centred, dtype=float)
    b, n, _ = x.shape
    top = min(kmax, n - 1)
    labels, best = np.zeros((b, n), dtype=int), np.zeros(b)
    if top < 2:
        return labels, best
    xx = (x * x).sum(-1)  # as _sq_distances has them
    first, sure = farthest(x)
    if not sure.all():  # a near tie: numpy's sums decide, as _kmeans starts
        first = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(-1).argmax(axis=1)
    found = kmeans(x, xx, first, top, steps)  # (B, top − 1, N)
    score = np.empty((b, top - 1))
    if n > gram_max:
        score[:] = silhouettes(x, xx, np.zeros((1, 0, 0)), found, CELLS)
    else:
        # Gram matrices of about 2 MiB at once, in one buffer: they stay in cache between numpy and the kernel
        step = max(1, 2**18 // (n * n))
        gram = np.empty((min(step, b), n, n))
        for lo in range(0, b, step):
            part = slice(lo, lo + step)
            g = gram[: len(found[part])]
            np.matmul(x[part], x[part].transpose(0, 2, 1), out=g)
            score[part] = silhouettes(x[part], xx[part], g, found[part], CELLS)
    for k in range(2, top + 1):  # a larger k only if its silhouette is larger by more than 1e-12
        better = score[:, k - 2] > best + 1e-12
        best = np.where(better, score[:, k - 2], best)
        labels[better] = found[better, k - 2]
    return labels, best


def best_split(centres, shares, splits) -> np.ndarray:
    """The captured variance of :func:`~wcitsim.core.measures.bipolarity_of`'s best split, (B)."""
    from wcitsim.core.kernels_measures import best_split as kernel

    return kernel(
        np.ascontiguousarray(centres, dtype=float), np.ascontiguousarray(shares, dtype=float), splits
    )
