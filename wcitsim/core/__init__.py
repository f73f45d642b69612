"""The mechanics of the conference: arrays and pure kernels; no files, no Mesa, no matplotlib.

Importing it registers the protocols, chair policies and seeders by name
(:mod:`wcitsim.registry`).
"""

from wcitsim.core import drafting, protocols, seeding

__all__ = ["drafting", "protocols", "seeding"]
