"""Run a scenario: seat and seed the world, run the replications on an engine, compare with the record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import Outcome
from wcitsim.core.protocols import PROTOCOLS
from wcitsim.core.world import Streams, World, build_world, replication_seeds
from wcitsim.data import Dataset, load_dataset
from wcitsim.errors import UsageError
from wcitsim.experiments.instruments import field_summary, record_vote, record_vote_table
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import country_scores, eligible_signatories, known_decisions, split_summary, text_summary

__all__ = ["BATCH", "RunResult", "experiment_outcomes", "run_outcome", "run_scenario"]

#: Replications per vectorised batch: small enough to stay in cache, large enough to amortise Python.
BATCH = 32


def run_outcome(
    world: World,
    seeds: list[int],
    engine: str = "vectorized",
    batch: int = BATCH,
    trace: bool = True,
    measure: bool | str = True,
) -> Outcome:
    """Run the replications with these seeds on an engine and stack their outcomes.

    ``trace`` False skips the per-session diagnostics on the vectorised engine (for
    sweeps: the field is measured at the opening and the deadline only); ``measure``
    False skips measuring the field at all (for calibration), ``"deadline"`` measures
    only the table at the deadline (what a sweep records). None changes a draw.
    """
    protocol = PROTOCOLS[world.scenario.protocol.name]
    if engine == "reference":
        from wcitsim.model.reference import run_reference

        if not protocol.reference:
            raise UsageError(
                f"{world.scenario.source}: protocol.name: {protocol.name!r} runs on the vectorized engine only; "
                "expected --engine vectorized (the reference engine implements single_text and compromise)"
            )
        unsupported = _beyond_reference(world.scenario)
        if unsupported:
            raise UsageError(
                f"{world.scenario.source}: {unsupported[0]}: the reference engine implements the conference without "
                "camps aligning, motions from the floor, the chair's show of hands, eligible-only tallies and the cost "
                "of lost votes; "
                "expected --engine vectorized"
            )

        return run_reference(world, seeds, negotiate=protocol.negotiates, policy=protocol.final_policy)
    parts = [
        protocol.run(world, Streams(seeds[i : i + batch]), trace, measure)
        for i in range(0, len(seeds), batch)
    ]
    return Outcome.concatenate(parts)


def _beyond_reference(scenario: Scenario) -> list[str]:
    """The keys switching on mechanisms the per-agent reference engine does not implement."""
    switches = {
        "protocol.alignment": scenario.protocol.alignment,
        "voting.motions": scenario.voting.motions,
        "voting.eligible_only": scenario.voting.eligible_only,
        "signing.lost_vote": scenario.signing.lost_vote,
        "chair.temperature_session": scenario.chair.temperature_session and scenario.chair.temperature_clause,
    }
    return [key for key, value in switches.items() if value]


@dataclass
class RunResult:
    """A scenario's replications and their comparison with the record."""

    scenario: Scenario
    world: World
    seed: int
    seeds: list[int]
    engine: str
    outcome: Outcome
    seconds: float
    data: Dataset = field(repr=False)

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def known_total(self) -> int:
        """Decisions known in the whole record (seated or not)."""
        return int(known_decisions(self.data.record["decision"]).sum())

    def countries(self) -> pd.DataFrame:
        """Per seated state: the record, P(sign), the share of replications signing, gain, mean positions."""
        w, o = self.world, self.outcome
        frame = pd.DataFrame(
            {
                "iso3": list(w.iso3),
                "name": list(w.names),
                "itu_region": list(w.region),
                "group": list(w.group),
                "record": w.record.to_numpy(),
                "p_sign": o.probability.mean(axis=0),
                "sign_rate": o.signed.mean(axis=0),
                "gain": o.gain.mean(axis=0),
                "capability": w.capability,
            }
        )
        for k, clause in enumerate(w.agenda.ids):
            frame[f"position_{clause}"] = o.position[:, :, k].mean(axis=0)
            frame[f"vote_{clause}"] = o.votes[:, :, k].mean(axis=0)
        frame["vote_weight"] = w.eligibility
        return frame

    def record_vote(self) -> pd.DataFrame | None:
        """Per replication, the record's vote (:func:`~wcitsim.experiments.instruments.record_vote_table`)."""
        return record_vote_table(self.world, self.outcome, self.data.facts)

    def summary(self) -> dict:
        """Everything ``wcitsim run --json`` prints (keys documented in docs/cli.md)."""
        w, o, s = self.world, self.outcome, self.scenario
        facts = self.data.facts
        probability = pd.Series(o.probability.mean(axis=0), index=list(w.iso3))
        region = pd.Series(list(w.region), index=list(w.iso3))
        return {
            "scenario": {
                "name": s.meta.name,
                "title": s.meta.title,
                "file": s.source,
                "digest": s.digest,
                "protocol": s.protocol.name,
                "chair_policy": s.chair.policy,
                "voting_rule": s.voting.rule,
                "clauses": list(w.agenda.ids),
            },
            "engine": self.engine,
            "replications": self.replications,
            "seed": self.seed,
            "split": split_summary(o.signed, w.record, facts.eligible, facts.signed, self.known_total),
            "countries": country_scores(probability, w.record, region),
            "text": text_summary(o.text, o.contested, o.tallies, w.agenda, o.declared),
            "field": field_summary(o),
            "projected_signatories": o.projected.mean(axis=0).tolist(),
            "record_vote": record_vote(w, o, facts),
            "timing": {
                "seconds": self.seconds,
                "replications_per_second": self.replications / self.seconds if self.seconds > 0 else None,
            },
            "version": __version__,
        }


def experiment_outcomes(world: World, outcome: Outcome, data: Dataset) -> tuple[dict[str, float], pd.Series]:
    """The outcomes a sweep or an EMA experiment records, and P(sign) per seated state.

    Signatories among the known states and of the eligible (mean and median), accuracy
    and Brier on the known states, clauses matching the Final Acts, and the field at the
    deadline at the table: poles, bipolarity, Esteban–Ray over the poles.
    """
    known = known_decisions(world.record)
    known_total = int(known_decisions(data.record["decision"]).sum())
    eligible = eligible_signatories(outcome.signed, known, data.facts.eligible, known_total)
    probability = pd.Series(outcome.probability.mean(axis=0), index=list(world.iso3))
    scores = country_scores(probability, world.record)
    final = world.agenda.final_acts
    return {
        "signed_known": float(outcome.signed[:, known].sum(axis=1).mean()),
        "signed_eligible": float(eligible.mean()),
        "signed_eligible_median": float(np.median(eligible)),
        "accuracy": scores["accuracy"],
        "brier": scores["brier"],
        "text_matches": float((outcome.text == final)[:, np.isfinite(final)].sum(axis=1).mean()),
        "poles": float(outcome.field[:, -1, 1, FIELD_MEASURES.index("clusters")].mean()),
        "bipolarity": float(outcome.field[:, -1, 1, FIELD_MEASURES.index("bipolarity")].mean()),
        "polarization": float(outcome.field[:, -1, 1, FIELD_MEASURES.index("er_poles")].mean()),
    }, probability


def run_scenario(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    data: Dataset | None = None,
) -> RunResult:
    """Run a scenario's replications (defaults from its ``[run]`` table) and keep the outcome.

    Each replication's integer seed is a child of ``SeedSequence(seed)``, so
    results do not depend on how replications are batched or distributed.
    """
    data = data or load_dataset()
    replications = replications or scenario.run.replications
    seed = scenario.run.seed if seed is None else seed
    engine = engine or scenario.run.engine
    world = build_world(scenario, data)
    seeds = replication_seeds(seed, replications)
    start = time.perf_counter()
    outcome = run_outcome(world, seeds, engine)
    return RunResult(scenario, world, seed, seeds, engine, outcome, time.perf_counter() - start, data)
