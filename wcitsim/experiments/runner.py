"""Run a scenario: seat and seed the world, run the replications on an engine, compare with the record.

Two ways to run: :func:`run_scenario` keeps every replication's outcome (for the
seminar page, ``explain``, the handout); :func:`stream_scenario` tallies the
replications batch by batch (:class:`~wcitsim.experiments.summary.RunTally`) and
hands each batch to an optional sink (the run folder's writer), so ``wcitsim run``
holds the same memory for any number of replications. Both report the same summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from wcitsim._version import __version__
from wcitsim.core.measures import FIELD_MEASURES
from wcitsim.core.outcome import Outcome
from wcitsim.core.protocols import PROTOCOLS
from wcitsim.core.world import Streams, World, build_world, replication_seeds, seed_batches
from wcitsim.data import Dataset, load_dataset
from wcitsim.errors import UsageError
from wcitsim.experiments.instruments import record_vote_table
from wcitsim.experiments.summary import RunTally
from wcitsim.io.scenario import Scenario
from wcitsim.metrics import country_scores, eligible_signatories, known_decisions

__all__ = [
    "BATCH",
    "TRACED",
    "RunResult",
    "StreamedRun",
    "experiment_outcomes",
    "outcome_batches",
    "run_outcome",
    "run_scenario",
    "run_settings",
    "seed_batches",
    "stream_scenario",
]

#: Replications per vectorised batch: small enough to stay in cache, large enough to amortise Python.
BATCH = 32
#: Replications of a run whose field is measured after every session (the others: at the opening and
#: the deadline). The trajectory's means over 10,000 replications have standard errors below 0.005;
#: measuring every session costs most of a replication's time.
TRACED = 10_000
#: What a sink receives of each batch: the world, the index of the batch's first replication, its
#: seeds, its outcome and its record-vote columns (:func:`~wcitsim.experiments.instruments.record_vote_columns`,
#: or None).
Sink = Callable[[World, int, list[int], Outcome, dict | None], None]


def outcome_batches(
    world: World,
    seeds: Iterator[list[int]],
    engine: str = "vectorized",
    trace: bool = True,
    measure: bool | str = True,
    traced: int | None = None,
) -> Iterator[tuple[list[int], Outcome]]:
    """Run each batch of seeds on an engine; yield the batch's seeds and its outcome.

    ``traced`` (with ``trace`` and ``measure`` True): the field is measured after every
    session in the first ``traced`` replications only, at the opening and the deadline
    in the others (``measure = "ends"``); the other diagnostics are traced in all. A
    batch straddling the boundary is run in two parts, so which replications are
    measured depends on their index, not on the batching.
    """
    protocol = PROTOCOLS[world.scenario.protocol.name]
    if engine == "reference":
        from wcitsim.model.reference import run_reference

        _check_reference(world, protocol)
        for batch in seeds:
            yield (
                batch,
                run_reference(world, batch, negotiate=protocol.negotiates, policy=protocol.final_policy),
            )
        return
    first = 0
    for batch in seeds:
        cut = len(batch) if traced is None or not (trace and measure is True) else max(traced - first, 0)
        parts = [(batch[:cut], measure), (batch[cut:], "ends")]
        done = [protocol.run(world, Streams(part), trace, how) for part, how in parts if part]
        yield batch, done[0] if len(done) == 1 else Outcome.concatenate(done)
        first += len(batch)


def run_outcome(
    world: World,
    seeds: list[int],
    engine: str = "vectorized",
    batch: int = BATCH,
    trace: bool = True,
    measure: bool | str = True,
    traced: int | None = None,
) -> Outcome:
    """Run the replications with these seeds on an engine and stack their outcomes.

    ``trace`` False skips the per-session diagnostics on the vectorised engine (for
    sweeps: the field is measured at the opening and the deadline only); ``measure``
    False skips measuring the field at all (for calibration), ``"deadline"`` measures
    only the table at the deadline (what a sweep records); ``traced`` as in
    :func:`outcome_batches`. None changes a draw.
    """
    if engine == "reference":  # the per-agent engine runs its replications one by one: one batch
        batch = max(len(seeds), 1)
    parts = (seeds[i : i + batch] for i in range(0, len(seeds), batch))
    return Outcome.concatenate([o for _, o in outcome_batches(world, parts, engine, trace, measure, traced)])


def _check_reference(world: World, protocol) -> None:
    """Refuse a scenario the per-agent reference engine does not implement."""
    if not protocol.reference:
        raise UsageError(
            f"{world.scenario.source}: protocol.name: {protocol.name!r} runs on the vectorized engine only; "
            "expected --engine vectorized (the reference engine implements single_text and compromise)"
        )
    unsupported = _beyond_reference(world.scenario)
    if unsupported:
        raise UsageError(
            f"{world.scenario.source}: {unsupported[0]}: the reference engine implements the conference without "
            "camps aligning, motions from the floor, the chair's show of hands and consensus draft, eligible-only "
            "tallies and the cost of lost votes; "
            "expected --engine vectorized"
        )


def _beyond_reference(scenario: Scenario) -> list[str]:
    """The keys switching on mechanisms the per-agent reference engine does not implement."""
    switches = {
        "protocol.alignment": scenario.protocol.alignment,
        "voting.motions": scenario.voting.motions,
        "voting.eligible_only": scenario.voting.eligible_only,
        "signing.lost_vote": scenario.signing.lost_vote,
        "chair.temperature_session": scenario.chair.temperature_session and scenario.chair.temperature_clause,
        "chair.consensus_draft": scenario.chair.consensus_draft,
    }
    return [key for key, value in switches.items() if value]


class _Report:
    """What a run reports (the summary, the per-state table) from its :class:`RunTally`."""

    scenario: Scenario
    world: World
    seed: int
    engine: str
    seconds: float
    data: Dataset
    tally: RunTally
    replications: int

    @property
    def known_total(self) -> int:
        """Decisions known in the whole record (seated or not)."""
        return self.tally.known_total

    def countries(self) -> pd.DataFrame:
        """Per seated state: the record, P(sign), the share of replications signing, gain, mean positions."""
        return self.tally.countries()

    def summary(self) -> dict:
        """Everything ``wcitsim run --json`` prints (keys documented in docs/cli.md)."""
        s = self.scenario
        return {
            "scenario": {
                "name": s.meta.name,
                "title": s.meta.title,
                "file": s.source,
                "digest": s.digest,
                "protocol": s.protocol.name,
                "chair_policy": s.chair.policy,
                "voting_rule": s.voting.rule,
                "clauses": list(self.world.agenda.ids),
            },
            "engine": self.engine,
            "replications": self.replications,
            "seed": self.seed,
            **self.tally.summary(),
            "timing": {
                "seconds": self.seconds,
                "replications_per_second": self.replications / self.seconds if self.seconds > 0 else None,
            },
            "version": __version__,
        }


@dataclass
class RunResult(_Report):
    """A scenario's replications, every outcome kept, and their comparison with the record."""

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

    @cached_property
    def tally(self) -> RunTally:
        """The run's statistics (the same as a streamed run's of the same seeds)."""
        tally = RunTally(self.world, self.data)
        tally.add(self.outcome)
        return tally

    def record_vote(self) -> pd.DataFrame | None:
        """Per replication, the record's vote (:func:`~wcitsim.experiments.instruments.record_vote_table`)."""
        return record_vote_table(self.world, self.outcome, self.data.facts)


@dataclass
class StreamedRun(_Report):
    """A scenario's replications, tallied as they streamed (:func:`stream_scenario`), none kept."""

    scenario: Scenario
    world: World
    seed: int
    replications: int
    engine: str
    tally: RunTally = field(repr=False)
    seconds: float
    data: Dataset = field(repr=False)


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


def run_settings(scenario: Scenario, replications, seed, engine, data) -> tuple[int, int, str, Dataset]:
    """The replications, root seed, engine and dataset of a run: those given, else the scenario's ``[run]``."""
    return (
        replications or scenario.run.replications,
        scenario.run.seed if seed is None else seed,
        engine or scenario.run.engine,
        data or load_dataset(),
    )


def run_scenario(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    data: Dataset | None = None,
    traced: int | None = TRACED,
) -> RunResult:
    """Run a scenario's replications (defaults from its ``[run]`` table) and keep the outcome.

    Each replication's integer seed is a child of ``SeedSequence(seed)``, so
    results do not depend on how replications are batched or distributed. The field is
    measured after every session in the first ``traced`` replications (None: in all),
    as :func:`outcome_batches` says.
    """
    replications, seed, engine, data = run_settings(scenario, replications, seed, engine, data)
    world = build_world(scenario, data)
    seeds = replication_seeds(seed, replications)
    start = time.perf_counter()
    outcome = run_outcome(world, seeds, engine, traced=traced)
    return RunResult(scenario, world, seed, seeds, engine, outcome, time.perf_counter() - start, data)


def stream_scenario(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    data: Dataset | None = None,
    sink: Sink | None = None,
    batch: int = BATCH,
    traced: int | None = TRACED,
) -> StreamedRun:
    """Run a scenario's replications batch by batch, tallying each and handing it to ``sink``; keep none.

    The same seeds give the summary of :func:`run_scenario`, whatever ``batch``;
    ``traced`` as there.
    ``seconds`` counts running and tallying the replications, not the sink's work.
    """
    replications, seed, engine, data = run_settings(scenario, replications, seed, engine, data)
    world = build_world(scenario, data)
    tally = RunTally(world, data)
    first, sinking, start = 0, 0.0, time.perf_counter()
    batches = seed_batches(seed, replications, batch)
    for seeds, outcome in outcome_batches(world, batches, engine, traced=traced):
        columns = tally.add(outcome)
        if sink is not None:
            begun = time.perf_counter()
            sink(world, first, seeds, outcome, columns)
            sinking += time.perf_counter() - begun
        first += len(seeds)
    seconds = time.perf_counter() - start - sinking
    return StreamedRun(scenario, world, seed, replications, engine, tally, seconds, data)
