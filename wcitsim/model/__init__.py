"""The Mesa face of the conference: :class:`WcitModel` (steps the one core conference with R = 1).

The per-agent reference model (:mod:`wcitsim.model.reference`) is the test
oracle: the same rules as pure functions, applied delegation by delegation.
"""

from wcitsim.model.wcit_model import WcitModel

__all__ = ["WcitModel"]
