"""Stokman's exchange model, equal-gain variant (Stokman & Van Oosten 1994; Dijkstra, Van Assen & Stokman 2008).

Stokman, F. N. & Van Oosten, R. (1994). The exchange of voting positions: an
object-oriented model of policy networks. In Bueno de Mesquita & Stokman (eds),
*European Community Decision Making*. Dijkstra, J., Van Assen, M. A. L. M. &
Stokman, F. N. (2008). Outcomes of collective decisions with externalities
predicted. *Journal of Theoretical Politics* 20(4), 415–441. The open-source
``decide-exchange-model`` package implements the same rules.

Each issue's expected outcome is the weighted mean O_p = Σ c_i s_ip x_ip / Σ c_i s_ip
(the Nash bargaining solution of the DEU literature). Two actors i and j who sit
on opposite sides of the outcome on two issues p and q, and who weigh them
differently (s_ip / s_iq > s_jp / s_jq), can trade: j moves its position on p
toward i's (i's *demand*), i moves on q toward j's (its *supply*). A move of
Δx by actor k shifts O_p by c_k s_kp Δx / S_p (S_p = Σ c s).

Equal gain: the outcome shifts a (on q, by i's move) and b (on p, by j's) satisfy
s_ip·b − s_iq·a = s_jq·a − s_jp·b, so b = a·(s_iq + s_jq)/(s_ip + s_jp) (the
*exchange rate*); the exchange is as large as the smaller of the two moves
allows (no one moves past the other's position), and both gain
G = s_ip·b − s_iq·a > 0.

Each round, the feasible exchanges are realised in order of gain, each actor
trading at most once per issue per round (a greedy matching, found in parallel
as locally dominant exchanges); positions move; outcomes are recomputed; rounds
repeat until no exchange gains more than ``min_gain`` or ``max_rounds``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from wcitsim.io.schema import spec

__all__ = ["DEFAULTS", "Parameters", "candidates", "exchange_round", "outcomes", "read_decide", "run"]


@dataclass(frozen=True, kw_only=True)
class Parameters:
    """The protocol's parameters (``protocol.params``)."""

    max_rounds: int = spec(10, lo=1, hi=1000, doc="rounds of exchanges at most")
    min_gain: float = spec(
        1e-9, lo=0.0, hi=100.0, doc="the gain an exchange must exceed (saliences are at most 100)"
    )


DEFAULTS = asdict(Parameters())


def outcomes(x: np.ndarray, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Weighted-mean outcome per issue; x, s are N × K, c is N."""
    w = c[:, None] * s
    return (w * x).sum(axis=0) / w.sum(axis=0)


def candidates(x: np.ndarray, c: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    """Every feasible equal-gain exchange (i demands p, supplies q; j the reverse), with its moves and gain."""
    n, k = x.shape
    o = outcomes(x, c, s)
    total = (c[:, None] * s).sum(axis=0)  # S_p
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


def _dominant_matching(cand: dict[str, np.ndarray], n: int, k: int, min_gain: float) -> np.ndarray:
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


def exchange_round(
    x, c, s, min_gain: float = DEFAULTS["min_gain"]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Realise one round of exchanges; returns (new positions, the realised exchanges)."""
    n, k = x.shape
    cand = candidates(x, c, s)
    take = _dominant_matching(cand, n, k, min_gain)
    done = {key: value[take] for key, value in cand.items()}
    total = (c[:, None] * s).sum(axis=0)
    new = x.copy()
    i, j, p, q = done["i"], done["j"], done["p"], done["q"]
    # j moves on p toward i by b·S_p / (c_j s_jp); i moves on q toward j by a·S_q / (c_i s_iq)
    step_j = done["b"] * total[p] / (c[j] * s[j, p])
    step_i = done["a"] * total[q] / (c[i] * s[i, q])
    new[j, p] = x[j, p] + np.sign(x[i, p] - x[j, p]) * step_j
    new[i, q] = x[i, q] + np.sign(x[j, q] - x[i, q]) * step_i
    return new, done


def run(x, c, s, params=None) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Rounds of exchanges until none gains; returns (final positions, realised exchanges per round)."""
    params = {**DEFAULTS, **(params or {})}
    history = []
    for _ in range(int(params["max_rounds"])):
        x, done = exchange_round(x, c, s, params["min_gain"])
        if not len(done["gain"]):
            break
        history.append(done)
    return x, history


def read_decide(text: str) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the ``decide-exchange-model`` input format (tab separated ``#A``, ``#P``, ``#M``, ``#D`` rows).

    Returns (actors, issues, positions N × K, saliences N × K, power N, scale K × 2).
    An actor without a row on an issue has salience 0 there (and the issue's lower end as position).
    """
    actors, issues, scale, rows = [], [], {}, []
    for line in text.splitlines():
        cells = [cell.strip().strip("'") for cell in line.split("\t")]
        if not cells or not cells[0]:
            continue
        tag = cells[0]
        if tag == "#A":
            actors.append(cells[1])
        elif tag == "#P":
            issues.append(cells[1])
        elif tag == "#M":
            scale.setdefault(cells[1], []).append(float(cells[2]))
        elif tag == "#D":
            rows.append((cells[1], cells[2], float(cells[3]), float(cells[4]), float(cells[5])))
    x = np.zeros((len(actors), len(issues)))
    s = np.zeros_like(x)
    power = np.zeros(len(actors))
    bounds = np.array([[min(scale[p]), max(scale[p])] for p in issues])
    x[:] = bounds[:, 0]
    for actor, issue, position, salience, pw in rows:
        a, b = actors.index(actor), issues.index(issue)
        x[a, b], s[a, b], power[a] = position, salience, pw
    return actors, issues, x, s, power, bounds
