"""The Mesa face's agents: one per seated delegation, a view of its row in the conference's arrays.

The conference's numeric state lives in the arrays of
:class:`~wcitsim.core.conference.Conference` (one replication: 1 × N × K); a
:class:`Delegation` reads its own row, so Mesa's ``AgentSet``, ``DataCollector``
and ``batch_run`` see every delegation's position, probability of signing and
decision without a second copy of the state.
"""

from __future__ import annotations

import mesa
import numpy as np

__all__ = ["Delegation"]


class Delegation(mesa.Agent):
    """One ITU Member State at the table.

    Attributes:
        index: its row in the conference's arrays.
        iso3, name, group: who it is and the regional group it caucuses with.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        world = model.world
        self.index = index
        self.iso3 = world.iso3[index]
        self.name = world.names[index]
        self.group = str(world.group[index])

    @property
    def position(self) -> np.ndarray:
        """Its position at the table on each clause (K)."""
        return self.model.conference.position[0, self.index]

    @property
    def interest(self) -> np.ndarray:
        """Its capital's seeded interest on each clause (K)."""
        return self.model.conference.interest[0, self.index]

    @property
    def salience(self) -> np.ndarray:
        return self.model.conference.salience[0, self.index]

    @property
    def p_sign(self) -> float:
        """Its probability of signing: of the final text once signed, else of the latest draft (NaN before any)."""
        conf = self.model.conference
        if conf.probability is not None:
            return float(conf.probability[0, self.index])
        return float(conf.projected[-1][0, self.index]) if conf.projected else float("nan")

    @property
    def signed(self) -> bool | None:
        """Whether it signed (None until the signing)."""
        conf = self.model.conference
        return None if conf.signed is None else bool(conf.signed[0, self.index])
