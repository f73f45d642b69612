"""The seminar page's controls: the conference's rules, a delegation's position, the sessions, the handout.

Every slider shows its value and what it measures; the delegations are listed by
name with their ISO3 code and can be searched; the session stepper says which
session is shown and why it cannot go further.
"""

from __future__ import annotations

import html
from pathlib import Path

import reacton.ipyvuetify as rv
import solara

from wcitsim.io.scenario import load_scenario
from wcitsim.teach import page_state as st

__all__ = ["ConferenceCard", "DelegationCard", "HandoutCard", "SessionStepper", "delegation_items"]


def hint(text: str, **attributes) -> None:
    """A line of small print under a control."""
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["wcit-hint"], attributes=attributes)


def Slider(label: str, value: solara.Reactive, lo: float, hi: float, step: float, shown: str, meaning: str):
    """A slider whose label carries its value (``shown``) and whose hint says what the value measures."""
    kind = solara.SliderInt if isinstance(step, int) else solara.SliderFloat
    kind(f"{label}: {shown}", value=value, min=lo, max=hi, step=step)
    hint(meaning)


def delegation_items() -> list[dict[str, str]]:
    """The delegations for the searchable menu: ``Name (ISO3)``, by name."""
    states = st.dataset().states
    items = [{"text": f"{states.at[iso3, 'name']} ({iso3})", "value": iso3} for iso3 in states.index]
    return sorted(items, key=lambda item: item["text"])


@solara.component
def ConferenceCard():
    base = st.scenario_values(st.scenario_name.value)
    with solara.Card("Conference"):
        solara.Select(
            "scenario", values=list(st.SCENARIOS), value=st.scenario_name.value, on_value=st.choose_scenario
        )
        policies = ["median", "compromise", "majority"] + [
            p for p in [base["policy"]] if p not in ("median", "compromise", "majority")
        ]
        solara.Select("chair's drafting policy", values=policies, value=st.policy)
        hint(f"The scenario's own: {base['policy']}.")
        Slider(
            "group cohesion", st.cohesion, 0.0, 1.0, 0.05, f"{st.cohesion.value:.2f}",
            f"Share of the way a delegation moves to its group's capability-weighted mean each session, 0 to 1 "
            f"(the scenario's own: {base['cohesion']:.2f}).",
        )  # fmt: skip
        Slider(
            "deadline pressure", st.concession, 0.0, 1.0, 0.01, f"{st.concession.value:.2f}",
            "Concession rate ρ, 0 to 1: in the last session a delegation moves up to this share of the way to "
            f"the draft on the clauses it cares least about (the scenario's own: {base['concession']:.2f}).",
        )  # fmt: skip
        solara.SelectMultiple("clauses taken off the table", values=st.dropped, all_values=base["clauses"])
        Slider(
            "replications", st.replications, 5, 200, 5, f"{st.replications.value} runs",
            "Runs of the conference, each with its own seed; 30 take a few seconds, "
            "the command line's default is 200.",
        )  # fmt: skip
        solara.Button("Run to the deadline", on_click=st.run, color="primary", classes=["wcit-wide"])


@solara.component
def DelegationCard():
    scenario = load_scenario(st.SCENARIOS[st.scenario_name.value])
    clauses = {c.id: c for c in scenario.agenda.clauses}
    items = solara.use_memo(delegation_items, [])
    names = {item["value"]: item["text"] for item in items}
    with solara.Card("A delegation's position"):
        rv.Autocomplete(
            label="delegation", items=items, v_model=st.delegate.value or None, clearable=True,
            on_v_model=lambda v: st.delegate.set(v or ""), attributes={"data-testid": "delegation"},
        )  # fmt: skip
        hint("Type a name or an ISO3 code to search the 193 delegations.")
        solara.Select("clause", values=list(clauses), value=st.delegate_clause)
        clause = clauses.get(st.delegate_clause.value)
        nearest = ""
        if clause is not None:
            k = min(
                range(len(clause.values)), key=lambda i: abs(clause.values[i] - st.delegate_position.value)
            )
            nearest = f" (nearest option: {clause.options[k]})"
        Slider(
            "its position", st.delegate_position, 0.0, 1.0, 0.05, f"{st.delegate_position.value:.2f}",
            f"0 = the 1988 text or the narrowest option, 1 = the widest reach{nearest}.",
        )  # fmt: skip
        if st.delegate.value and clause is not None:
            hint(
                f"The next run fixes the interest of {names.get(st.delegate.value, st.delegate.value)} on "
                f"{clause.id} at {st.delegate_position.value:.2f}; clear the delegation to run without it."
            )
        DelegationResult()


@solara.component
def DelegationResult():
    """The chosen delegation in the run shown: its probability of signing and its payoff, with the scale."""
    r = st.result.value
    if r is None or not st.delegate.value or st.delegate.value not in r.world.iso3:
        return
    i = list(r.world.iso3).index(st.delegate.value)
    p, gain = float(r.outcome.probability[:, i].mean()), float(r.outcome.gain[:, i].mean())
    hint(
        f"In the run shown: P(sign) {p:.2f}; payoff of the final text {gain:+.3f} (its utility gain over "
        "the 1988 ITRs, on a scale from −1 to +1: the salience-weighted distance to its interests on each "
        "clause's 0–1 scale; above 0 it prefers the text to 1988).",
        **{"data-testid": "payoff"},
    )


@solara.component
def SessionStepper():
    """Session k of S, a slider over the sessions, Previous and Step; at the deadline Step is off and says why."""
    total, t = st.sessions(), st.session.value
    last, first = t >= total, t <= 1
    with solara.Card(classes=["wcit-stepper"]):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<b>Session {t} of {total}</b>"
            + (" — the deadline: the vote and the signing follow it." if last else ""),
            attributes={"data-testid": "session", "data-session": str(t), "data-sessions": str(total)},
            classes=["wcit-session"],
        )
        with solara.Row(classes=["wcit-buttons"]):
            solara.Button("◀ Previous", on_click=lambda: st.step(-1), disabled=first, outlined=True)
            solara.Button("Step ▶", on_click=lambda: st.step(1), disabled=last, color="primary")
        solara.SliderInt(
            f"session: {t} (1 to {total})", value=max(t, 1), min=1, max=max(total, 1), on_value=st.go_to
        )
        if last:
            hint(
                f"Step is off: session {total} is the last before the deadline. Go back with ◀ Previous "
                "or the slider; the draft and the figures follow.",
                **{"data-testid": "step-reason"},
            )
        elif first:
            hint("Session 1: the chair's first draft. Step ▶ moves one session on.")


@solara.component
def HandoutCard():
    r = st.result.value
    with solara.Card("Debrief handout"):
        if r is None:
            hint("Run the conference first: the handout compares the run with up to two counterfactuals.")
            return
        others = [name for name in st.SCENARIOS if name != st.scenario_name.value]
        solara.SelectMultiple(
            f"counterfactuals (at most {st.MAX_COUNTERFACTUALS})", values=list(st.compare.value),
            all_values=others, on_value=st.choose_counterfactuals,
        ).key(f"compare-{st.refusals.value}")  # fmt: skip
        if st.handout_message.value:
            solara.Warning(st.handout_message.value, dense=True)
        solara.Button("Write the handout", on_click=st.debrief, classes=["wcit-wide"])
        if st.handout_path.value:
            written = Path(st.handout_path.value)
            pdf = written.with_suffix(".pdf")
            hint("Download the handout:")
            with solara.Row(classes=["wcit-buttons"]):
                with solara.FileDownload(
                    lambda: written.read_bytes(), filename="wcit12_handout.html", mime_type="text/html"
                ):
                    solara.Button("HTML", icon_name="mdi-download", color="primary", outlined=True)
                if pdf.exists():
                    with solara.FileDownload(
                        lambda: pdf.read_bytes(), filename="wcit12_handout.pdf", mime_type="application/pdf"
                    ):
                        solara.Button("PDF", icon_name="mdi-download", color="primary", outlined=True)
            hint(f"Also saved on this machine: {written}", **{"data-testid": "handout-written"})
