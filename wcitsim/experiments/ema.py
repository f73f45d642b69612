"""A wcitsim scenario as an EMA Workbench model (uncertainties, levers, outcomes).

EMA Workbench (Kwakkel 2017) explores models under deep uncertainty with
``perform_experiments``; this adapter exposes a scenario as a plain function of
named inputs returning named outcomes, the EMA pattern::

    from ema_workbench import SequentialEvaluator
    from wcitsim.experiments.ema import ema_model

    model = ema_model(
        "scenarios/wcit2012.toml",
        uncertainties={"signing.conformity": (0.0, 2.0), "seeder.anchor_weight": (0.1, 0.9)},
        levers={"chair.host_bias": (0.0, 0.5)},
        replications=16,
    )
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=8, policies=2)

Scenario keys are dotted (``signing.conformity``); EMA sees them with ``__`` for
each dot (``signing__conformity``), since its parameters are Python names. Every
experiment runs ``replications`` replications seeded from ``seed`` (common random
numbers across experiments), so results are reproducible.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["OUTCOMES", "ema_model", "evaluate"]

OUTCOMES = ("signed_known", "signed_eligible", "accuracy", "brier", "text_matches", "polarization")


def _ema_name(path: str) -> str:
    return path.replace(".", "__")


def evaluate(
    scenario_path: str | Path, replications: int = 16, seed: int = 0, **values: float
) -> dict[str, float]:
    """Run a scenario with some dotted keys changed; return the outcomes EMA collects."""
    from wcitsim.core.world import build_world, replication_seeds
    from wcitsim.experiments.runner import experiment_outcomes, run_outcome
    from wcitsim.experiments.sweep_run import cached_dataset
    from wcitsim.io.scenario import load_scenario

    data = cached_dataset()
    scenario = load_scenario(scenario_path).replace(
        **{k.replace("__", "."): float(v) for k, v in values.items()}
    )
    world = build_world(scenario, data)
    values, _ = experiment_outcomes(
        world,
        run_outcome(world, replication_seeds(seed, replications), trace=False, measure="deadline"),
        data,
    )
    return {name: values[name] for name in OUTCOMES}


def ema_model(
    scenario_path: str | Path,
    uncertainties: dict[str, tuple[float, float]],
    levers: dict[str, tuple[float, float]] | None = None,
    replications: int = 16,
    seed: int = 0,
    name: str = "wcitsim",
):
    """An ``ema_workbench.Model`` running ``scenario_path``; its outcomes are :data:`OUTCOMES`."""
    from ema_workbench import Constant, Model, RealParameter, ScalarOutcome

    path = str(Path(scenario_path).resolve())

    def function(**values):
        reps, root = int(values.pop("replications", replications)), int(values.pop("seed", seed))
        return evaluate(path, reps, root, **values)

    model = Model(name, function=function)
    model.uncertainties = [RealParameter(_ema_name(k), lo, hi) for k, (lo, hi) in uncertainties.items()]
    model.levers = [RealParameter(_ema_name(k), lo, hi) for k, (lo, hi) in (levers or {}).items()]
    model.outcomes = [ScalarOutcome(o) for o in OUTCOMES]
    model.constants = [Constant("replications", replications), Constant("seed", seed)]
    return model
