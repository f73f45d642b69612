"""Negotiation protocols, registered by name and selected in a scenario (``protocol.name``).

Every protocol shares the agenda, the seeding and the signing rule, so their
outcomes are comparable. A protocol runs a stack of replications on the
vectorised engine; ``negotiates`` and ``final_policy`` tell the reference (Mesa)
engine whether to hold sessions and votes and how the final text is drafted.
"""

from __future__ import annotations

from typing import ClassVar

from wcitsim.engine import Outcome, run_vectorized
from wcitsim.registry import Registry
from wcitsim.world import Streams, World

__all__ = ["PROTOCOLS", "Compromise", "SingleText"]

PROTOCOLS: Registry[type] = Registry("protocol")


@PROTOCOLS.register("single_text")
class SingleText:
    """The conference: a chair's single negotiating text revised over sessions, votes, signatures.

    Mediated single-text negotiation (Raiffa 1982, *The Art and Science of
    Negotiation*), with regional caucusing, influence across groups, concessions
    under deadline pressure, and ITU majority voting at the deadline.
    """

    name = "single_text"
    classifier: ClassVar[dict[str, bool]] = {"stochastic": True, "sessions": True, "votes": True}
    negotiates = True
    final_policy = None

    @staticmethod
    def run(world: World, streams: Streams) -> Outcome:
        return run_vectorized(world, streams, negotiate=True)


@PROTOCOLS.register("compromise")
class Compromise:
    """The DEU compromise model: the capability × salience weighted mean of the seeded positions, one shot.

    Thomson, Stokman, Achen & König (2006), *The European Union Decides*: the
    weighted mean predicts outcomes as well as the bargaining models. Same
    signing rule; no sessions, no votes.
    """

    name = "compromise"
    classifier: ClassVar[dict[str, bool]] = {"stochastic": True, "sessions": False, "votes": False}
    negotiates = False
    final_policy = "compromise"

    @staticmethod
    def run(world: World, streams: Streams) -> Outcome:
        return run_vectorized(world, streams, negotiate=False, policy="compromise")
