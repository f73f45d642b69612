"""Stokman's exchange model, equal-gain variant (Stokman & Van den Bos 1992; Stokman & Van Oosten 1994).

Stokman, F. N. & Van den Bos, J. M. M. (1992). A two-stage model of policy
making. *Research in Politics and Society* 4, 219–253. Stokman, F. N. & Van
Oosten, R. (1994). The exchange of voting positions: an object-oriented model of
policy networks. In Bueno de Mesquita & Stokman (eds), *European Community
Decision Making*. Dijkstra, J., Van Assen, M. A. L. M. & Stokman, F. N. (2008).
Outcomes of collective decisions with externalities predicted. *Journal of
Theoretical Politics* 20(4), 415–441. The reference implementation is
``decide-exchange-model`` 2025.3.1 (GPL-3.0); wcitsim re-states its rules and
reproduces its output on its Copenhagen input (``tests/test_exchange_oracle.py``).

Each issue's expected outcome is the weighted mean O_p = Σ c_i s_ip x_ip / S_p,
S_p = Σ c_i s_ip. Two actors on opposite sides of the outcome on two issues p and
q, who weigh them differently (s_ip / s_iq > s_jp / s_jq), can trade: j moves its
position on p toward i's (i's *demand*), i moves on q toward j's (its *supply*).
A move of Δx by actor k shifts O_p by c_k s_kp Δx / S_p. *Equal gain*: the shifts
a (on q, by i's move) and b (on p, by j's) satisfy s_ip·b − s_iq·a = s_jq·a − s_jp·b,
so b = a·(s_iq + s_jq)/(s_ip + s_jp); both gain G = s_ip·b − s_iq·a > 0.

A round makes exchanges by decreasing gain; the next round starts from positions
moved part of the way to the voting positions. The choices, each a field of
:class:`Parameters` (``docs/protocols.md`` compares them with the reference):

- ``round_rule``: ``"sequential"`` (the reference, :mod:`.exchange_sequential`): the
  best exchange is made, those it touches are sized again from the moved
  positions, and so on; an actor may trade several times on an issue, and no
  exchange carries an outcome past the demander's position. ``"matching"``
  (:mod:`.exchange_matching`, wcitsim 0.1.0): a greedy matching from the
  round's start positions, each actor trading once per issue per round.
- ``carry``: ``"partial"`` (the reference): the next round starts at
  x + (fixed_weight + (1 − s) salience_weight)(y − x), y the voting position and s
  the salience relative to the replication's largest; ``"voting"``: at y.
- ``tolerance``: float noise below it is none: gains this close (relative) tie
  (the first exchange in input order wins), and an outcome this close (a share of
  the scale) to a demander's position stands at it.
- ``kernel``: ``"compiled"`` (numba), ``"numpy"`` (the readable specification; the
  two are bit-equal), ``"auto"`` (the model's choice, :mod:`wcitsim.core.kernels`:
  compiled unless ``WCITSIM_KERNELS=numpy``) or ``"decimal"`` (:mod:`.exchange_decimal`:
  the reference's 28-digit arithmetic and list order, digit for digit; slow,
  sequential rule only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from wcitsim.core.conference import Outcome, run_iterative
from wcitsim.core.protocols.exchange_decimal import decimal_rounds
from wcitsim.core.protocols.exchange_matching import apply_moves, candidates, matching_round
from wcitsim.core.protocols.exchange_sequential import sequential_round
from wcitsim.core.world import Streams, World
from wcitsim.errors import ScenarioError
from wcitsim.io.schema import build, spec

__all__ = [
    "DEFAULTS",
    "REFERENCE",
    "Parameters",
    "candidates",
    "carry",
    "exchange_round",
    "outcomes",
    "play_round",
    "prepare",
    "read_decide",
    "run",
    "simulate",
    "step",
]


@dataclass(frozen=True, kw_only=True)
class Parameters:
    """The protocol's parameters (``protocol.params``)."""

    max_rounds: int = spec(10, lo=1, hi=1000, doc="rounds of exchanges at most")
    min_gain: float = spec(
        1e-9, lo=0.0, hi=100.0, doc="the least gain an exchange may have (saliences are at most 100)"
    )
    round_rule: str = spec(
        "sequential",
        choices=("sequential", "matching"),
        doc="sequential: the best exchange first, the ones it touches sized again (decide-exchange-model); "
        "matching: a greedy matching from the round's start, each actor once per issue (wcitsim 0.1.0)",
    )
    carry: str = spec(
        "partial",
        choices=("partial", "voting"),
        doc="where the next round starts: part of the way to the voting positions (decide-exchange-model), "
        "or at them",
    )
    salience_weight: float = spec(
        0.4, lo=0.0, hi=1.0, doc="with carry = partial: the share of the way that grows with 1 − salience"
    )
    fixed_weight: float = spec(
        0.1, lo=0.0, hi=1.0, doc="with carry = partial: the share of the way moved whatever the salience"
    )
    tolerance: float = spec(
        1e-12,
        lo=0.0,
        hi=1e-6,
        doc="with round_rule = sequential: float noise below this is none (ties, outcomes)",
    )
    kernel: str = spec(
        "auto",
        choices=("auto", "compiled", "numpy", "decimal"),
        doc="compiled (numba) or numpy, bit-equal (auto: the model's choice, wcitsim.core.kernels); "
        "decimal: the reference's arithmetic (slow, sequential only)",
    )


DEFAULTS = asdict(Parameters())
#: The settings of decide-exchange-model 2025.3.1 (its threshold 1e-10 is on its 0–100 scale).
REFERENCE = {**DEFAULTS, "min_gain": 1e-10, "round_rule": "sequential", "carry": "partial"}


def outcomes(x: np.ndarray, c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Weighted-mean outcome per issue; x, s are N × K, c is N."""
    w = c[:, None] * s
    return (w * x).sum(axis=0) / w.sum(axis=0)


def prepare(x, c, s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(O_p, S_p, Σ c s x) per issue, computed once for every kernel."""
    w = c[:, None] * s
    numerator, total = (w * x).sum(axis=0), w.sum(axis=0)
    return numerator / total, total, numerator


def _bounds(bounds, k: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(bounds, dtype=float), (k, 2)))


def _kernel(params) -> str:
    """The kernel to run: ``auto`` is the model's choice (compiled unless ``WCITSIM_KERNELS=numpy``)."""
    if params["kernel"] != "auto":
        return params["kernel"]
    from wcitsim.core import kernels

    return kernels.current()


def _decimal_only_sequential(params) -> None:
    if params["kernel"] == "decimal" and params["round_rule"] != "sequential":
        raise ScenarioError(
            f"protocol.params.kernel: 'decimal' with round_rule = {params['round_rule']!r}; "
            "expected 'compiled' or 'numpy' (the decimal kernel runs the sequential rule only)"
        )


def _as_arrays(rows: list[dict]) -> dict[str, np.ndarray]:
    keys = ("i", "j", "p", "q", "gain", "xi", "yi", "xj", "yj")
    return {
        key: np.array([row[key] for row in rows], dtype=float if len(key) > 1 else np.int64) for key in keys
    }


def play_round(x, c, s, params=None, bounds=(0.0, 1.0)) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One round of exchanges from positions ``x``; returns (voting positions, the exchanges made).

    ``bounds`` is each issue's scale (a pair, or K × 2). The exchanges are arrays
    ``i``, ``j``, ``p``, ``q`` (i supplies q and demands p) and the ``gain``; the
    matching rule adds the outcome shifts ``a`` (on q) and ``b`` (on p); the
    sequential rule lists them in the order made, with ``a``, ``b`` (not the
    decimal kernel) and each side's position before and after (``xi``, ``yi``, ``xj``, ``yj``).
    """
    params = {**DEFAULTS, **(params or {})}
    _decimal_only_sequential(params)
    x, c, s = (np.ascontiguousarray(v, dtype=float) for v in (x, c, s))
    b = _bounds(bounds, x.shape[1])
    kernel = _kernel(params)
    if kernel == "decimal":
        result = decimal_rounds(x, c, s, b, {**params, "carry": "voting"}, 1)[0]
        return result["voting"].astype(float), _as_arrays(result["exchanges"])
    o, total, numerator = prepare(x, c, s)
    min_gain, tolerance = float(params["min_gain"]), float(params["tolerance"])
    if params["round_rule"] == "matching":
        if kernel == "numpy":
            return matching_round(x, c, s, o, total, min_gain)
        from wcitsim.core.protocols import exchange_matching_numba  # numba, imported when first used

        done = exchange_matching_numba.matching_round(x, c, s, o, total, min_gain)
        return apply_moves(x, c, s, total, done), done
    if kernel == "numpy":
        return sequential_round(x, c, s, (o, total, numerator), b, min_gain, tolerance)
    from wcitsim.core.protocols import exchange_sequential_numba

    return exchange_sequential_numba.sequential_round(x, c, s, o, total, numerator, b, min_gain, tolerance)


def carry(x, voting, s, params=None) -> np.ndarray:
    """Where the next round starts: x + (fixed_weight + (1 − s) salience_weight)(y − x), or y.

    s is taken relative to the largest salience (the reference's saliences lie in [0, 1]).
    """
    params = {**DEFAULTS, **(params or {})}
    if params["carry"] == "voting":
        return voting
    relative = s / s.max() if s.max() > 0 else s
    weight = params["fixed_weight"] + (1.0 - relative) * params["salience_weight"]
    return x + weight * (voting - x)


def exchange_round(
    x, c, s, min_gain: float = DEFAULTS["min_gain"], params=None, bounds=(0.0, 1.0)
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One round: returns (the next round's start positions, the exchanges made)."""
    params = {**DEFAULTS, **(params or {}), "min_gain": min_gain}
    voting, done = play_round(x, c, s, params, bounds)
    return carry(x, voting, s, params), done


def run(x, c, s, params=None, bounds=(0.0, 1.0)) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Rounds until none makes an exchange, or ``max_rounds``; returns (final positions, exchanges per round).

    With ``kernel = "decimal"`` the positions stay 28-digit decimals from round to
    round, as in the reference (and are returned as floats).
    """
    params = {**DEFAULTS, **(params or {})}
    _decimal_only_sequential(params)
    rounds = int(params["max_rounds"])
    if _kernel(params) == "decimal":
        x, c, s = (np.asarray(v, dtype=float) for v in (x, c, s))
        history = decimal_rounds(x, c, s, _bounds(bounds, x.shape[1]), params, rounds)
        made = [h for h in history if h["exchanges"]]
        final = made[-1]["next"].astype(float) if made else x
        return final, [_as_arrays(h["exchanges"]) for h in made]
    history = []
    for _ in range(rounds):
        new, done = exchange_round(x, c, s, params["min_gain"], params, bounds)
        if not len(done["gain"]):
            break
        x = new
        history.append(done)
    return x, history


def step(position: np.ndarray, c: np.ndarray, salience: np.ndarray, params=None) -> np.ndarray:
    """One round for a stack of replications (R × N × K positions and saliences, positions on [0, 1]).

    With the compiled sequential rule, whose round runs without the interpreter's
    lock, the replications are shared among :func:`wcitsim.core.kernels.threads`
    threads; each is computed alone, so the result does not depend on how many.
    """
    params = {**DEFAULTS, **(params or {})}
    new = np.empty_like(position)

    def one(r: int) -> None:
        new[r], _ = exchange_round(position[r], c, salience[r], params["min_gain"], params)

    from wcitsim.core import kernels

    parallel = params["round_rule"] == "sequential" and _kernel(params) == "compiled"
    kernels.in_threads(one, range(position.shape[0]), kernels.threads(position.shape[0]) if parallel else 1)
    return new


def simulate(
    world: World, streams: Streams, trace: bool = True, measure: bool | str = True, params=None
) -> Outcome:
    """The ``exchange`` protocol on a stack of replications: rounds of exchanges, the text their weighted mean.

    ``params`` (a dict) overrides the scenario's ``protocol.params``.
    """
    s = world.scenario
    params = {**asdict(build(Parameters, s.protocol.params, s.source, "protocol.params")), **(params or {})}
    c = world.capability

    def forecast(position, salience):
        w = c[:, None] * salience
        return world.agenda.snap((w * position).sum(axis=-2) / w.sum(axis=-2))

    def one_round(position, salience, state):
        return step(position, c, salience, params), state

    return run_iterative(world, streams, one_round, forecast, int(params["max_rounds"]), trace, measure)


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
