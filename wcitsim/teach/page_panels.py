"""The seminar page's panels of text and tables: the record, the draft of the session shown, the game theory.

Plain HTML (escaped), so the page loads nothing beyond Solara's own front-end.
Every count says what it counts: the seated states, the states with signing
rights, the states whose decision is known.
"""

from __future__ import annotations

import html

import numpy as np
import solara

from wcitsim.experiments.runner import RunResult
from wcitsim.teach import gametheory as gt
from wcitsim.teach import page_state as st

__all__ = ["Draft", "GamePanel", "Record", "table"]


def table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table (cells escaped), in a box that scrolls sideways on its own if it must."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<div class='wcit-table'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def counts(r: RunResult) -> dict:
    """The three bases of the counts, with the record's numbers."""
    s = r.summary()["split"]
    known, eligible = s["known_states"], s["eligible"]
    return {
        "seated": r.world.n,
        "known": known["n"],
        "known_signed": known["record_signed"],
        "eligible": eligible["eligible"],
        "unplaced": eligible["unplaced"],
        "signed": eligible["record_signed"],
        "not_signed": eligible["record_not_signed"],
    }


def bases(c: dict) -> str:
    """What the three counts count."""
    return (
        f"<p class='wcit-hint' data-testid='bases'><b>What the counts count.</b> <b>{c['seated']} seated</b>: every "
        f"ITU Member State sits at the model's table and may sign. <b>{c['eligible']} with signing rights</b>: the "
        f"states that could sign in Dubai (the record: {c['signed']} signed, {c['not_signed']} did not). "
        f"<b>{c['known']} known</b>: the states whose decision the record names ({c['known_signed']} signed); the "
        f"model's count of the {c['eligible']} adds to its signatories among those {c['known']} the other "
        f"{c['unplaced']} at the rate the seated states of unknown decision sign.</p>"
    )


@solara.component
def Record(r: RunResult):
    s = r.summary()
    split, scores, c = s["split"], s["countries"], counts(r)
    e = split["eligible"]
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<h3>At the deadline, against the record</h3><ul>"
            f"<li>Signatories among the {c['known']} states whose decision is known: "
            f"<b>{split['known_states']['signed_mean']:.1f}</b> (the record: {c['known_signed']})</li>"
            f"<li>Split of the {c['eligible']} states with signing rights: "
            f"<b>{e['signed_mean']:.0f} signed / {c['eligible'] - e['signed_mean']:.0f} did not</b> "
            f"(the record: {c['signed']} / {c['not_signed']})</li>"
            f"<li>Signatories of all {c['seated']} seated states: <b>{split['signed_mean']:.0f}</b></li>"
            f"<li>Per-country accuracy <b>{scores['accuracy']:.2f}</b> (share of the {c['known']} known decisions "
            f"the model gets right, 0 to 1), Brier score <b>{scores['brier']:.3f}</b> (mean squared error of "
            f"P(sign): 0 is perfect, 0.25 a coin toss); misclassified: "
            f"{html.escape(' '.join(scores['misclassified'])) or 'none'}</li>"
            f"<li>Text: <b>{s['text']['matches_mean']:.1f}</b> of {s['text']['comparable']} clauses as in the "
            f"Final Acts (mean over the {s['replications']} replications)</li></ul>" + bases(c)
        ),
        attributes={"data-testid": "record"},
    )


@solara.component
def Draft(r: RunResult):
    w, o = r.world, r.outcome
    t = max(min(st.session.value, w.sessions), 1)
    rows = []
    for k, clause in enumerate(w.agenda.ids):
        values, n = np.unique(o.drafts[:, t - 1, k], return_counts=True)
        fa = w.agenda.final_acts[k]
        rows.append(
            [
                clause,
                w.agenda.label_of(k, float(values[np.argmax(n)])),
                w.agenda.label_of(k, fa) if np.isfinite(fa) else "—",
            ]
        )
    projected = float(np.nanmean(o.projected[:, t - 1]))
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<h3>The chair's draft after session {t} of {w.sessions}</h3>"
            + table(["clause", f"draft (most replications), session {t}", "Final Acts"], rows)
            + f"<p>Projected signatories with this draft: <b>{projected:.0f}</b> of the {w.n} seated states "
            f"({projected / w.n:.0%}), if it were the final text. This weighs the draft alone: at the "
            "deadline a delegation outvoted on a clause it cares about is less likely to sign, so fewer "
            "usually sign in the end (above).</p>"
        ),
        attributes={"data-testid": "draft", "data-session": str(t)},
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
    nbs, details = gt.nash_bargaining(texts, w.agenda, w.position, w.salience, w.capability)
    compromise = w.agenda.snap(gt.compromise_point(w.position, w.salience, w.capability))
    chair = [float(np.median(r.outcome.text[:, k])) for k in range(w.agenda.k)]
    power_rows = [
        [g, n, f"{p:.3f}", f"{b:.3f}"] for g, n, p, b in zip(w.group_names, seats, power, banz, strict=True)
    ]
    versus = [
        [c, w.agenda.label_of(k, compromise[k]), w.agenda.label_of(k, chair[k])]
        for k, c in enumerate(w.agenda.ids)
    ]
    if nbs is None:
        nash = (
            "none: no text improves on 1988 for every delegation (the best text leaves "
            f"{details['best_coverage']:.0%} of them better off)"
        )
    else:
        nash = ", ".join(
            f"{c}: {w.agenda.label_of(k, v)}" for k, (c, v) in enumerate(zip(w.agenda.ids, nbs, strict=True))
        )
    e = html.escape
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<h3>Game theory</h3>"
            + table(["regional group", "seats", "Shapley–Shubik", "Banzhaf"], power_rows)
            + f"<p>{e(explain['voting_power'])}</p><p><b>Nash bargaining solution</b> (payoffs: each delegation's "
            "utility gain over the 1988 ITRs, −1 to +1): "
            + e(nash)
            + f".</p><p>{e(explain['nash'])}</p>"
            + table(["clause", "compromise point", "chair's text (median of the replications)"], versus)
            + f"<p>{e(explain['compromise'])}</p><p><b>Acceptable sets</b> (texts 90 % of a camp prefers to 1988): "
            f"OECD and EU {sets['sizes']['OECD and EU']}, others {sets['sizes']['others']}, both "
            f"{sets['intersection']} of {sets['total']} texts"
            + (": the conference is binary." if sets["binary"] else ".")
            + f"</p><p>{e(explain['acceptable_sets'])}</p>"
        ),
        attributes={"data-testid": "game"},
    )
