"""The conference in a browser, for a seminar: choose, run, step through sessions, debrief.

Served by ``wcitsim teach`` (``solara run wcitsim.teach.page``). Every number comes
from the same library functions as the command line: :func:`wcitsim.run_scenario`,
:mod:`wcitsim.teach.gametheory`, :mod:`wcitsim.teach.handout`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import solara

from wcitsim.data import Facts, load_dataset, load_facts
from wcitsim.experiments.runner import RunResult, run_scenario
from wcitsim.io.scenario import load_scenario, shipped_scenarios
from wcitsim.teach import gametheory as gt

ROOT = Path(".")  # the handout is written under ROOT / "results", in the folder the page was started from
SCENARIOS = shipped_scenarios()
FACTS = load_facts()  # the record's totals for the introduction; a run compares with its own dataset's
DEFAULT = Path(os.environ.get("WCITSIM_TEACH_SCENARIO", SCENARIOS["wcit2012"]))
if DEFAULT.stem not in SCENARIOS and DEFAULT.exists():
    SCENARIOS[DEFAULT.stem] = DEFAULT

scenario_name = solara.reactive(DEFAULT.stem if DEFAULT.stem in SCENARIOS else next(iter(SCENARIOS), ""))
policy = solara.reactive("median")
cohesion = solara.reactive(0.3)
concession = solara.reactive(0.3)
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
error = solara.reactive("")
compare = solara.reactive([])


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
    from wcitsim.errors import WcitsimError

    try:
        result.value = run_scenario(configured(), int(replications.value), data=load_dataset())
    except WcitsimError as err:
        error.value = str(err)
        return
    error.value = ""
    session.value = result.value.world.sessions


def _figure(draw):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6))
    draw(fig.subplots())
    fig.tight_layout()
    return fig


@solara.component
def Controls():
    with solara.Card("Conference"):
        solara.Select("scenario", values=list(SCENARIOS), value=scenario_name)
        solara.Select("chair's drafting policy", values=["median", "compromise", "majority"], value=policy)
        solara.SliderFloat("group cohesion", value=cohesion, min=0.0, max=1.0, step=0.05)
        solara.SliderFloat("deadline pressure (concession)", value=concession, min=0.0, max=1.0, step=0.05)
        clauses = [c.id for c in load_scenario(SCENARIOS[scenario_name.value]).agenda.clauses]
        solara.SelectMultiple("clauses taken off the table", values=dropped, all_values=clauses)
        solara.SliderInt("replications", value=replications, min=5, max=200)
    with solara.Card("A delegation's position"):
        solara.Select("delegation (ISO3)", values=["", *sorted(load_dataset().states.index)], value=delegate)
        solara.Select("clause", values=clauses, value=delegate_clause)
        solara.SliderFloat("its position", value=delegate_position, min=0.0, max=1.0, step=0.05)
    with solara.Card("Run"), solara.Row():
        solara.Button("Run to the deadline", on_click=run, color="primary")
        if result.value is not None:
            solara.Button(
                "Step", on_click=lambda: session.set(min(session.value + 1, result.value.world.sessions))
            )
            solara.Button("Session 1", on_click=lambda: session.set(1))


@solara.component
def Draft(r: RunResult):
    w, o = r.world, r.outcome
    t = max(min(session.value, w.sessions), 1)
    rows = []
    for k, clause in enumerate(w.agenda.ids):
        values, counts = np.unique(o.drafts[:, t - 1, k], return_counts=True)
        option = float(values[np.argmax(counts)])
        fa = w.agenda.final_acts[k]
        rows.append(
            f"| {clause} | {w.agenda.label_of(k, option)} | {w.agenda.label_of(k, fa) if np.isfinite(fa) else '—'} |"
        )
    solara.Markdown(
        f"### The chair's draft after session {t} of {w.sessions}\n\n| clause | draft | Final Acts |\n|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nProjected signatories with this draft: **{float(np.nanmean(o.projected[:, t - 1])):.0f}** of {w.n}."
    )


@solara.component
def Figures(r: RunResult):
    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.plotting import plot_field, plot_sign_map, plot_text_by_session

    o, w = r.outcome, r.world
    if o.drafts.shape[1]:
        solara.FigureMatplotlib(
            _figure(lambda ax: plot_text_by_session(o.drafts, list(w.agenda.ids), w.agenda.final_acts, ax))
        )
    solara.FigureMatplotlib(_figure(lambda ax: plot_field(o.field, FIELD_MEASURES, ax)))
    solara.FigureMatplotlib(_figure(lambda ax: plot_sign_map(r.countries(), ax)))


@solara.component
def IssueMap(r: RunResult):
    """Delegations on two chosen clauses: interests (hollow) and final positions, coloured by P(sign)."""
    w, o = r.world, r.outcome
    ids = list(w.agenda.ids)
    with solara.Row():
        solara.Select("horizontal", values=ids, value=map_x)
        solara.Select("vertical", values=ids, value=map_y)
    if map_x.value not in ids or map_y.value not in ids:
        return
    i, j = ids.index(map_x.value), ids.index(map_y.value)
    p = o.probability.mean(axis=0)

    def draw(ax):
        ax.scatter(o.interest[:, :, i].mean(axis=0), o.interest[:, :, j].mean(axis=0), facecolors="none",
                   edgecolors="grey", s=14, label="interests")  # fmt: skip
        points = ax.scatter(o.position[:, :, i].mean(axis=0), o.position[:, :, j].mean(axis=0), c=p, cmap="RdYlBu",
                            vmin=0, vmax=1, s=14, label="positions at the deadline")  # fmt: skip
        ax.figure.colorbar(points, ax=ax, label="P(sign)")
        ax.set_xlabel(map_x.value)
        ax.set_ylabel(map_y.value)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title("Delegations on two clauses (0 = 1988 / narrow, 1 = widest)")
        ax.legend(fontsize="small", loc="upper left")

    solara.FigureMatplotlib(_figure(draw))

    from wcitsim.core.measures import FIELD_MEASURES

    def cohesion(ax):
        ax.plot(
            o.field[:, :, 1, FIELD_MEASURES.index("cohesion")].mean(axis=0),
            marker=".",
            label="group cohesion",
        )
        ax.plot(np.nanmean(o.projected, axis=0) / w.n, marker=".", label="projected signatories (share)")
        ax.set_xlabel("session")
        ax.set_ylim(0, 1)
        ax.legend(fontsize="small")
        ax.set_title("Cohesion of the groups and projected signatures")

    solara.FigureMatplotlib(_figure(cohesion))


@solara.component
def Record(r: RunResult):
    s = r.summary()
    split, c = s["split"], s["countries"]
    e = split["eligible"]
    solara.Markdown(
        f"### Against the record\n"
        f"- Signatories among the {split['known_states']['n']} states whose decision is known: "
        f"**{split['known_states']['signed_mean']:.1f}** (recorded: {split['known_states']['record_signed']})\n"
        f"- Split of the {e['eligible']} eligible: **{e['signed_mean']:.0f} / {e['eligible'] - e['signed_mean']:.0f}** "
        f"(recorded: {e['record_signed']} / {e['record_not_signed']})\n"
        f"- Per-country accuracy {c['accuracy']:.2f}, Brier {c['brier']:.3f}; misclassified: {' '.join(c['misclassified'])}\n"
        f"- Text: {s['text']['matches_mean']:.1f} of {s['text']['comparable']} clauses as in the Final Acts"
    )


@solara.component
def GamePanel(r: RunResult):
    w = r.world
    seats = np.array([int((w.group == g).sum()) for g in w.group_names])
    power = gt.shapley_shubik(seats, seats.sum() / 2 + 0.5)
    banz = gt.banzhaf(seats, seats.sum() / 2 + 0.5)
    texts = gt.all_texts(w.agenda)
    data = r.data
    explain = gt.explanations(data.facts)
    west = data.states.loc[list(w.iso3)].eval("oecd == 1 or eu == 1").to_numpy()
    sets = gt.acceptable_sets(
        texts, w.agenda, w.position, w.salience, {"OECD and EU": west, "others": ~west}, share=0.9
    )
    nbs, _ = gt.nash_bargaining(texts, w.agenda, w.position, w.salience, w.capability)
    compromise = w.agenda.snap(gt.compromise_point(w.position, w.salience, w.capability))
    chair = [float(np.median(r.outcome.text[:, k])) for k in range(w.agenda.k)]
    versus = "\n".join(
        f"| {c} | {w.agenda.label_of(k, compromise[k])} | {w.agenda.label_of(k, chair[k])} |"
        for k, c in enumerate(w.agenda.ids)
    )
    table = "\n".join(
        f"| {g} | {n} | {p:.3f} | {b:.3f} |"
        for g, n, p, b in zip(w.group_names, seats, power, banz, strict=True)
    )
    nash = (
        "none: no text improves on 1988 for every delegation"
        if nbs is None
        else ", ".join(
            f"{c}: {w.agenda.label_of(k, v)}" for k, (c, v) in enumerate(zip(w.agenda.ids, nbs, strict=True))
        )
    )
    solara.Markdown(
        "### Game theory\n| group | seats | Shapley–Shubik | Banzhaf |\n|---|---|---|---|\n" + table
        + f"\n\n{explain['voting_power']}\n\n**Nash bargaining solution**: {nash}.\n\n{explain['nash']}\n\n"
        + "| clause | compromise point | chair's text |\n|---|---|---|\n" + versus + f"\n\n{explain['compromise']}\n\n"
        + f"**Acceptable sets** (90 % of a camp prefers the text to 1988): OECD and EU {sets['sizes']['OECD and EU']}, "
        + f"others {sets['sizes']['others']}, both {sets['intersection']} of {sets['total']}"
        + (" → binary." if sets["binary"] else ".")
        + f"\n\n{explain['acceptable_sets']}"
    )  # fmt: skip


def debrief() -> None:
    """Write the handout with this session and up to two counterfactuals chosen by the teacher."""
    from wcitsim.teach.handout import write_handout

    if result.value is None:
        return
    others = [
        run_scenario(load_scenario(SCENARIOS[name]), int(replications.value), data=load_dataset())
        for name in compare.value[:2]
    ]
    written = write_handout(result.value, others, ROOT / "results" / "handout" / "handout.html")
    handout_path.value = str(written["html"])


def _introduction(facts: Facts) -> str:
    """The page's heading and first paragraph, with the record's split from ``facts``."""
    return (
        f"# WCIT-12, Dubai 2012\nOf the {facts.eligible} states with signing rights, {facts.signed} signed the revised "
        f"International Telecommunication Regulations and {facts.not_signed} did not. Choose the conference's rules "
        "and run it."
    )


@solara.component
def Page():
    solara.Title("wcitsim: WCIT-12 in class")
    with solara.Columns([1, 3]):
        with solara.Column():
            Controls()
            if result.value is not None:
                solara.SelectMultiple(
                    "counterfactuals for the handout (two)", values=compare, all_values=list(SCENARIOS)
                )
                solara.Button("Debrief handout", on_click=debrief)
                if handout_path.value:
                    solara.Markdown(f"Handout written to `{handout_path.value}`")
        with solara.Column():
            solara.Markdown(_introduction(FACTS))
            if error.value:
                solara.Error(error.value)
            r = result.value
            if r is None:
                solara.Info("Press “Run to the deadline”.")
            else:
                Record(r)
                Draft(r)
                Figures(r)
                IssueMap(r)
                GamePanel(r)
