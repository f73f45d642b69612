"""The seminar page's state and actions: the controls' values, the run, the session shown, the handout.

Module-level reactive values: Solara keeps one set per browser tab. The actions
(:func:`run`, :func:`step`, :func:`choose_counterfactuals`, :func:`debrief` …) are plain
functions the page's buttons call and the tests call directly.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import solara

from wcitsim.data import load_dataset, load_facts
from wcitsim.errors import WcitsimError
from wcitsim.experiments.runner import RunResult, run_scenario
from wcitsim.io.scenario import load_scenario, shipped_scenarios

ROOT = Path(".")  # the handout is written under ROOT / "results", in the folder the page was started from
SCENARIOS = shipped_scenarios()
FACTS = load_facts()  # the record's totals for the introduction; a run compares with its own dataset's
DEFAULT = Path(os.environ.get("WCITSIM_TEACH_SCENARIO", SCENARIOS["wcit2012"]))
if DEFAULT.stem not in SCENARIOS and DEFAULT.exists():
    SCENARIOS[DEFAULT.stem] = DEFAULT
MAX_COUNTERFACTUALS = 2  # the handout compares this run with at most two others


@functools.cache
def dataset():
    """The shipped data, read once per server (the files do not change while the page runs)."""
    return load_dataset()


def scenario_values(name: str) -> dict:
    """The values the page's controls start from for scenario ``name``: its own policy, cohesion and concession."""
    s = load_scenario(SCENARIOS[name])
    return {
        "policy": s.chair.policy,
        "cohesion": float(s.groups.cohesion.get("default", 0.0)),
        "concession": float(s.protocol.concession),
        "clauses": [c.id for c in s.agenda.clauses],
    }


scenario_name = solara.reactive(DEFAULT.stem if DEFAULT.stem in SCENARIOS else next(iter(SCENARIOS), ""))
_start = scenario_values(scenario_name.value)
policy = solara.reactive(_start["policy"])
cohesion = solara.reactive(_start["cohesion"])
concession = solara.reactive(_start["concession"])
dropped = solara.reactive([])
replications = solara.reactive(30)
session = solara.reactive(0)
map_x = solara.reactive("internet")
map_y = solara.reactive("security")
delegate = solara.reactive("")
delegate_clause = solara.reactive("internet")
delegate_position = solara.reactive(0.5)
result: solara.Reactive[RunResult | None] = solara.reactive(None)
handout_path = solara.reactive("")
handout_message = solara.reactive("")
refusals = solara.reactive(
    0
)  # counts refused choices of counterfactuals, so the menu is rebuilt with the kept ones
error = solara.reactive("")
compare = solara.reactive([])


def choose_scenario(name: str) -> None:
    """Open scenario ``name``: the controls take its own values (so a run reproduces ``wcitsim run``)."""
    values = scenario_values(name)
    scenario_name.value = name
    policy.value, cohesion.value, concession.value = (
        values["policy"],
        values["cohesion"],
        values["concession"],
    )
    dropped.value = [c for c in dropped.value if c in values["clauses"]]
    compare.value = [c for c in compare.value if c != name]


def configured():
    """The chosen scenario with the controls applied."""
    base = load_scenario(SCENARIOS[scenario_name.value])
    changes = {
        "chair.policy": policy.value,
        "groups.cohesion.default": float(cohesion.value),
        "protocol.concession": float(concession.value),
    }
    scenario = base.replace(**changes)
    clauses = [c.id for c in scenario.agenda.clauses]
    if delegate.value and delegate_clause.value in clauses:
        override = {delegate.value: {"position": {delegate_clause.value: float(delegate_position.value)}}}
        scenario = scenario.replace(overrides={**scenario.raw.get("overrides", {}), **override})
    if dropped.value:
        scenario = scenario.replace(**{"agenda.drop": list(dropped.value)})
    return scenario


def run() -> None:
    """Run the configured conference; a bad choice shows a message on the page, never a traceback."""
    try:
        done = run_scenario(configured(), int(replications.value), data=dataset())
    except WcitsimError as err:
        error.value = str(err)
        return
    error.value = ""
    handout_path.value = ""  # a handout written before belongs to the run before
    session.value = done.world.sessions  # before the result: the page never draws a run at session 0
    result.value = done


def sessions() -> int:
    """The number of sessions of the run shown (0 before a run)."""
    return result.value.world.sessions if result.value is not None else 0


def go_to(t: int) -> None:
    """Show session ``t`` (kept within 1 … the number of sessions)."""
    session.value = min(max(int(t), 1), max(sessions(), 1))


def step(by: int = 1) -> None:
    """Show the next session (``by`` = −1: the previous one); nothing past the first or the deadline."""
    go_to(session.value + by)


def choose_counterfactuals(names: list[str]) -> None:
    """Keep at most :data:`MAX_COUNTERFACTUALS`; a choice beyond is refused with a message, the menu keeps the rest."""
    if len(names) > MAX_COUNTERFACTUALS:
        handout_message.value = (
            f"At most {MAX_COUNTERFACTUALS} counterfactuals: remove one of {', '.join(compare.value)} "
            f"before adding {', '.join(n for n in names if n not in compare.value)}."
        )
        refusals.value += 1
        return
    handout_message.value = ""
    compare.value = list(names)


def debrief() -> None:
    """Write the handout with this run and the chosen counterfactuals, run with as many replications."""
    from wcitsim.teach.handout import write_handout

    if result.value is None:
        return
    try:
        data = dataset()
        others = [
            run_scenario(load_scenario(SCENARIOS[name]), int(replications.value), data=data)
            for name in compare.value[:MAX_COUNTERFACTUALS]
        ]
        written = write_handout(result.value, others, ROOT / "results" / "handout" / "handout.html")
    except WcitsimError as err:
        handout_message.value = str(err)
        return
    handout_message.value = ""  # a refusal before the handout no longer applies to it
    handout_path.value = str(written["html"])
