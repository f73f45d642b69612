"""The exchange model's matching round (``round_rule = "matching"``), in plain numpy: the specification.

Every pair of actors on opposite sides of the outcome on two issues, who weigh
them differently, is a candidate, sized by equal gain from the round's start
positions (no one moves past the other's position). The candidates are realised
as a greedy matching by decreasing gain (ties: the earlier candidate), each actor
trading at most once per issue per round, found in parallel as locally dominant
exchanges. This was wcitsim 0.1.0's exchange round; the compiled kernel
(:mod:`.exchange_matching_numba`) gives bit-equal results.
"""

from __future__ import annotations

import numpy as np

__all__ = ["apply_moves", "candidates", "dominant_matching", "matching_round"]


def candidates(x: np.ndarray, c: np.ndarray, s: np.ndarray, o: np.ndarray, total: np.ndarray) -> dict:
    """Every feasible equal-gain exchange (i demands p, supplies q; j the reverse), with its moves and gain.

    ``o`` is the outcome per issue and ``total`` S_p = Σ c s (:func:`wcitsim.core.protocols.exchange.prepare`).
    """
    n, k = x.shape
    i, j = np.triu_indices(n, 1)
    p, q = np.nonzero(~np.eye(k, dtype=bool))
    i, j = np.repeat(i, len(p)), np.repeat(j, len(p))
    p, q = np.tile(p, len(i) // len(p)), np.tile(q, len(i) // len(q))
    s_ip, s_iq, s_jp, s_jq = s[i, p], s[i, q], s[j, p], s[j, q]
    opposite = ((x[i, p] - o[p]) * (x[j, p] - o[p]) < 0) & ((x[i, q] - o[q]) * (x[j, q] - o[q]) < 0)
    keen = s_ip * s_jq > s_jp * s_iq  # i cares relatively more about p than j does
    keep = opposite & keen & (s_iq > 0) & (s_jp > 0)
    i, j, p, q = i[keep], j[keep], p[keep], q[keep]
    s_ip, s_iq, s_jp, s_jq = s_ip[keep], s_iq[keep], s_jp[keep], s_jq[keep]
    rate = (s_iq + s_jq) / (s_ip + s_jp)
    a_max = c[i] * s_iq * np.abs(x[i, q] - x[j, q]) / total[q]  # i moves all the way to j on q
    b_max = c[j] * s_jp * np.abs(x[j, p] - x[i, p]) / total[p]  # j moves all the way to i on p
    a = np.minimum(a_max, b_max / rate)
    b = a * rate
    gain = s_ip * b - s_iq * a
    return {"i": i, "j": j, "p": p, "q": q, "a": a, "b": b, "gain": gain}


def dominant_matching(cand: dict, n: int, k: int, min_gain: float) -> np.ndarray:
    """Indices of the exchanges a greedy pass by decreasing gain would realise (each actor-issue once)."""
    live = np.flatnonzero(cand["gain"] > min_gain)
    # a unique key per exchange: gain, then the earlier index on ties
    key = cand["gain"] - np.arange(len(cand["gain"])) * 1e-15
    slots = np.stack(
        [
            cand["i"] * k + cand["p"],
            cand["i"] * k + cand["q"],
            cand["j"] * k + cand["p"],
            cand["j"] * k + cand["q"],
        ]
    )
    used = np.zeros(n * k, dtype=bool)
    chosen = []
    while live.size:
        best = np.full(n * k, -np.inf)
        for row in slots[:, live]:
            np.maximum.at(best, row, key[live])
        dominant = np.all(key[live] >= best[slots[:, live]], axis=0)
        take = live[dominant]
        chosen.append(take)
        used[slots[:, take].ravel()] = True
        live = live[~used[slots[:, live]].any(axis=0)]
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=int)


def apply_moves(x, c, s, total, done: dict) -> np.ndarray:
    """The positions after the realised exchanges ``done``, all moved from ``x``."""
    new = x.copy()
    i, j, p, q = done["i"], done["j"], done["p"], done["q"]
    # j moves on p toward i by b·S_p / (c_j s_jp); i moves on q toward j by a·S_q / (c_i s_iq)
    step_j = done["b"] * total[p] / (c[j] * s[j, p])
    step_i = done["a"] * total[q] / (c[i] * s[i, q])
    new[j, p] = x[j, p] + np.sign(x[i, p] - x[j, p]) * step_j
    new[i, q] = x[i, q] + np.sign(x[j, q] - x[i, q]) * step_i
    return new


def matching_round(x, c, s, o, total, min_gain: float) -> tuple[np.ndarray, dict]:
    """One matching round; returns (voting positions, the realised exchanges)."""
    n, k = x.shape
    cand = candidates(x, c, s, o, total)
    take = np.sort(dominant_matching(cand, n, k, min_gain))  # in input order
    done = {key: value[take] for key, value in cand.items()}
    return apply_moves(x, c, s, total, done), done
