"""wcitsim: an agent-based model of the 2012 World Conference on International Telecommunications.

Delegations negotiate the revised International Telecommunication Regulations
under a chair, vote on contested clauses and decide whether to sign; every run is
compared with the record of 14 December 2012.

    >>> from wcitsim import load_scenario, run_scenario
    >>> result = run_scenario(load_scenario("scenarios/wcit2012.toml"), replications=20)
    >>> result.summary()["split"]["known_states"]["record_signed"]
    56
"""

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

#: Where each name is defined: imported when first used, so ``import wcitsim`` (and the command
#: line's start) does not wait for numpy, pandas, Mesa or the installed package's metadata; the registries import the core when a
#: scenario's names are first checked (:mod:`wcitsim.registry`).
_LAZY = {
    "__version__": "wcitsim._version",
    "RunResult": "wcitsim.experiments.runner",
    "run_scenario": "wcitsim.experiments.runner",
    "load_dataset": "wcitsim.data",
    "Scenario": "wcitsim.io.scenario",
    "load_scenario": "wcitsim.io.scenario",
    "scenario_from_dict": "wcitsim.io.scenario",
    "WcitModel": "wcitsim.model",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wcitsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
