"""Negotiation protocols, registered by name and selected in a scenario (``protocol.name``).

Every protocol shares the agenda, the seeding and the signing rule, so their
outcomes are comparable. A protocol runs a stack of replications on the
vectorised engine; ``negotiates`` and ``final_policy`` tell the reference (Mesa)
engine whether to hold sessions and votes and how the final text is drafted.
``parameters`` is the dataclass of its ``protocol.params``: their types, ranges and
choices, declared once and checked when the scenario is loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from wcitsim.core.conference import Outcome, run_iterative, run_vectorized
from wcitsim.core.protocols import exchange as exchange_model
from wcitsim.core.protocols import expected_utility as eu_model
from wcitsim.core.world import Streams, World
from wcitsim.io.schema import build
from wcitsim.registry import PROTOCOLS

__all__ = ["PROTOCOLS", "Compromise", "Exchange", "ExpectedUtility", "NoParameters", "SingleText"]


@dataclass(frozen=True)
class NoParameters:
    """The ``protocol.params`` of a protocol that takes none: the table must be empty."""


@PROTOCOLS.register("single_text")
class SingleText:
    """The conference: a chair's single negotiating text revised over sessions, votes, signatures.

    Mediated single-text negotiation (Raiffa 1982, *The Art and Science of
    Negotiation*), with regional caucusing, influence across groups, concessions
    under deadline pressure, and ITU majority voting at the deadline.
    """

    name = "single_text"
    classifier: ClassVar[dict[str, bool]] = {"stochastic": True, "sessions": True, "votes": True}
    parameters: ClassVar[type] = NoParameters
    negotiates = True
    final_policy = None
    reference = True

    @staticmethod
    def run(world: World, streams: Streams, trace: bool = True, measure: bool | str = True) -> Outcome:
        return run_vectorized(world, streams, negotiate=True, trace=trace, measure=measure)


@PROTOCOLS.register("compromise")
class Compromise:
    """The DEU compromise model: the capability × salience weighted mean of the seeded positions, one shot.

    Thomson, Stokman, Achen & König (2006), *The European Union Decides*: the
    weighted mean predicts outcomes as well as the bargaining models. Same
    signing rule; no sessions, no votes.
    """

    name = "compromise"
    classifier: ClassVar[dict[str, bool]] = {"stochastic": True, "sessions": False, "votes": False}
    parameters: ClassVar[type] = NoParameters
    negotiates = False
    final_policy = "compromise"
    reference = True

    @staticmethod
    def run(world: World, streams: Streams, trace: bool = True, measure: bool | str = True) -> Outcome:
        return run_vectorized(
            world, streams, negotiate=False, policy="compromise", trace=trace, measure=measure
        )


def _params(world: World, parameters: type) -> dict:
    """The scenario's ``protocol.params`` as a dict of every parameter, defaults filled in."""
    s = world.scenario
    return asdict(build(parameters, s.protocol.params, s.source, "protocol.params"))


@PROTOCOLS.register("expected_utility")
class ExpectedUtility:
    """Bueno de Mesquita's expected-utility model as reconstructed by Scholz, Calbert & Smith (2011).

    Clause by clause, delegations challenge, compromise or capitulate in rounds
    (:mod:`wcitsim.core.protocols.expected_utility`); the forecast, and the text, is the
    capability × salience weighted median of the positions, snapped to an option.
    Parameters (``protocol.params``): ``q``, ``t``, the choices where the open
    replications differ (``expected_utility.Parameters``, ``PRESETS``; docs/protocols.md),
    ``max_rounds``, ``tolerance``.
    """

    name = "expected_utility"
    classifier: ClassVar[dict[str, bool]] = {"stochastic": True, "sessions": True, "votes": False}
    parameters: ClassVar[type] = eu_model.Parameters
    negotiates = False
    final_policy = None
    reference = False

    @staticmethod
    def run(world: World, streams: Streams, trace: bool = True, measure: bool | str = True) -> Outcome:
        params = _params(world, eu_model.Parameters)
        c = world.capability / world.capability.sum()

        def forecast(position, salience):
            w = c[:, None] * salience
            median = eu_model.weighted_median(position.swapaxes(-1, -2), w.swapaxes(-1, -2))
            return world.agenda.snap(median)

        step = eu_model.protocol_step(c, params)
        return run_iterative(world, streams, step, forecast, int(params["max_rounds"]), trace, measure)


@PROTOCOLS.register("exchange")
class Exchange:
    """Stokman's exchange model, equal-gain variant (Stokman & Van Oosten 1994; Dijkstra et al. 2008).

    Pairs of delegations trade positions on clauses they weigh unequally, by the
    rules of decide-exchange-model (:mod:`wcitsim.core.protocols.exchange`); the text
    is the capability × salience weighted mean of the positions after the rounds,
    snapped to an option. Parameters (``protocol.params``): ``max_rounds``,
    ``min_gain``, ``round_rule`` (sequential, matching), ``carry`` (partial, voting),
    ``salience_weight``, ``fixed_weight``, ``tolerance``, ``kernel`` (auto, compiled, numpy, decimal).
    """

    name = "exchange"
    classifier: ClassVar[dict[str, bool]] = {"stochastic": True, "sessions": True, "votes": False}
    parameters: ClassVar[type] = exchange_model.Parameters
    negotiates = False
    final_policy = None
    reference = False

    @staticmethod
    def run(world: World, streams: Streams, trace: bool = True, measure: bool | str = True) -> Outcome:
        return exchange_model.simulate(world, streams, trace, measure)
