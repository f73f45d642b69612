"""wcitsim: an agent-based model of the 2012 World Conference on International Telecommunications.

Delegations negotiate the revised International Telecommunication Regulations
under a chair, vote on contested clauses and decide whether to sign; every run is
compared with the record of 14 December 2012.

    >>> from wcitsim import load_scenario, run_scenario
    >>> result = run_scenario(load_scenario("scenarios/wcit2012.toml"), replications=20)
    >>> result.summary()["split"]["known_states"]["record_signed"]
    56
"""

# Importing the core registers its protocols, chair policies and seeders by name,
# which scenario files are checked against (wcitsim.registry).
import wcitsim.core  # noqa: F401  (registers the components)
from wcitsim._version import __version__
from wcitsim.data import load_dataset
from wcitsim.experiments.runner import RunResult, run_scenario
from wcitsim.io.scenario import Scenario, load_scenario, scenario_from_dict

__all__ = [
    "RunResult",
    "Scenario",
    "WcitModel",
    "__version__",
    "load_dataset",
    "load_scenario",
    "run_scenario",
    "scenario_from_dict",
]


def __getattr__(name: str):
    if name == "WcitModel":  # Mesa is imported only when the Mesa face is asked for
        from wcitsim.model import WcitModel

        return WcitModel
    raise AttributeError(f"module 'wcitsim' has no attribute {name!r}")
