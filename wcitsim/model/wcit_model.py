"""WCIT-12 as a Mesa model: the one conference of :mod:`wcitsim.core.conference` with R = 1.

    >>> from wcitsim.model import WcitModel
    >>> model = WcitModel(scenario="wcit2012", rng=1, **{"protocol.concession": 0.5})
    >>> while model.running:
    ...     model.step()
    >>> frame = model.datacollector.get_agent_vars_dataframe()

Parameters are plain keywords, as Mesa users expect, so :func:`mesa.batch_run`
can sweep them: ``scenario`` (a file, a shipped scenario's name or a
:class:`~wcitsim.io.scenario.Scenario`), ``rng`` (the seed), and dotted
overrides of the scenario (``"protocol.concession"``; ``protocol__concession``
also works where a dot cannot be written). Every random draw comes from
``self.rng``, in the vectorised engine's order, so a model with seed s gives the
vectorised engine's replication with seed s.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from wcitsim.core.conference import Conference
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import FIELD_VIEWS, Outcome
from wcitsim.core.world import Streams, World, build_world
from wcitsim.data import Dataset, load_dataset
from wcitsim.errors import UsageError
from wcitsim.io.scenario import Scenario, load_scenario
from wcitsim.model.agents import Delegation
from wcitsim.registry import PROTOCOLS

__all__ = ["WcitModel"]


def _scenario(scenario: str | Scenario, overrides: dict[str, Any]) -> Scenario:
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    dotted = {key.replace("__", "."): value for key, value in overrides.items()}
    return chosen.replace(**dotted) if dotted else chosen


def _field_reporter(view: int, measure: int):
    return lambda m: float(m.conference.measures[-1][0, view, measure])


class WcitModel(mesa.Model):
    """WCIT-12 on Mesa: delegations negotiating one text under a chair, then voting and signing.

    Args:
        scenario: a scenario file, a shipped scenario's name (``"wcit2012"``) or a ``Scenario``.
        rng: the seed (an integer, as for the vectorised engine's replication seeds).
        data: the dataset (default: the shipped one).
        world: an already built world (skips building it from ``scenario``; overrides are not allowed then).
        **overrides: dotted scenario keys and values, e.g. ``**{"chair.policy": "majority"}``.

    ``step()`` is one session; the last step also holds the deadline, the vote and
    the signing and sets ``running`` to False.
    """

    def __init__(
        self,
        scenario: str | Scenario = "wcit2012",
        rng: int | None = None,
        data: Dataset | None = None,
        world: World | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(rng=rng)
        if world is None:
            world = build_world(_scenario(scenario, overrides), data or load_dataset())
        elif overrides:
            raise UsageError("WcitModel: give overrides with a scenario, not with a built world")
        protocol = PROTOCOLS[world.scenario.protocol.name]
        if not protocol.reference:
            raise UsageError(
                f"{world.scenario.source}: protocol.name: {protocol.name!r} has no Mesa face; "
                "expected single_text or compromise"
            )
        self.world = world
        self.conference = Conference(
            world, Streams.of([self.rng]), negotiate=protocol.negotiates, policy=protocol.final_policy
        )
        Delegation.create_agents(self, world.n, list(range(world.n)))
        self.delegations = self.agents_by_type[Delegation]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "session": lambda m: m.conference.closed,
                "draft": lambda m: m.draft.tolist(),
                "projected": "projected",
                "signatories": "signatories",
                # the field's shape as the conference measured it after the session (not measured again)
                **{
                    f"{measure}_{view}": _field_reporter(v, j)
                    for v, view in enumerate(FIELD_VIEWS)
                    for j, measure in enumerate(FIELD_MEASURES)
                },
            },
            agent_reporters={
                "iso3": "iso3",
                "position": lambda a: tuple(float(x) for x in a.position),
                "p_sign": "p_sign",
                "signed": "signed",
            },
        )
        self.datacollector.collect(self)

    @property
    def draft(self) -> np.ndarray:
        """The text on the table: the final text once settled, else the latest draft, else the 1988 text (K)."""
        conf = self.conference
        if conf.text is not None:
            return conf.text[0]
        return conf.drafts[-1][0] if conf.drafts else self.world.agenda.status_quo.copy()

    @property
    def projected(self) -> float:
        """Expected signatories of the latest draft (NaN before the first)."""
        conf = self.conference
        return float(conf.projected[-1][0].sum()) if conf.projected else float("nan")

    @property
    def signatories(self) -> int | None:
        """How many signed (None until the signing)."""
        return None if self.conference.signed is None else int(self.conference.signed[0].sum())

    def step(self) -> None:
        """One session: the chair drafts, delegations negotiate; after the last, the vote and the signing."""
        conf = self.conference
        if conf.closed < conf.sessions:
            conf.open_session()
            conf.close_session()
        if conf.closed == conf.sessions:
            self.deadline()
        self.datacollector.collect(self)

    def deadline(self) -> None:
        """The final draft goes to the floor, contested clauses are voted, each delegation signs or not."""
        conf = self.conference
        conf.open_deadline()
        conf.close_vote()
        conf.close_sign()
        self.running = False

    def outcome(self) -> Outcome:
        """The run's outcome, shaped like the vectorised engine's (one replication)."""
        return self.conference.outcome()
