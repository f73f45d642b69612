"""The debrief: the class against the model-only run of its seed, the model's range and the record.

:func:`debrief` computes it delegation by delegation; :func:`debrief_figure` draws
it, :func:`debrief_page` makes a self-contained page of it, and
:func:`write_debrief` saves all of them next to the class file.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from wcitsim.core.conference import Conference
from wcitsim.core.utility import utility, utility_gain
from wcitsim.core.world import Streams, World, replication_seeds
from wcitsim.data import Dataset
from wcitsim.experiments.runner import run_outcome
from wcitsim.io.files import json_default, write_atomic, write_json_atomic, write_text_atomic
from wcitsim.metrics import eligible_signatories, interval, known_decisions
from wcitsim.teach.classroom.glossary import display_name, glossary
from wcitsim.teach.classroom.steps import SessionClosed, Step
from wcitsim.teach.classroom.store import Settings

__all__ = ["MODEL_RUNS", "Debrief", "Played", "debrief", "debrief_figure", "debrief_page", "write_debrief"]

MODEL_RUNS = 200  # model-only runs the debrief places the class among


class Played(Protocol):
    """What the debrief reads of a finished class (:class:`wcitsim.teach.classroom.room.ClassRoom`)."""

    settings: Settings
    data: Dataset
    world: World
    seed: int
    conference: Conference
    index: dict[str, int]
    seats: dict[str, str]
    history: Sequence[Step]
    acted: Mapping[str, int]


@dataclass(frozen=True)
class _Run:
    """The one replication of a finished conference: text (K), decisions and P(sign) (N), drafts' P(sign)."""

    text: np.ndarray
    signed: np.ndarray
    probability: np.ndarray
    projected: list[np.ndarray]

    @classmethod
    def of(cls, c: Conference) -> _Run:
        return cls(c.text[0], c.signed[0], c.probability[0], [p[0] for p in c.projected])


def _deviations(room: Played) -> dict[str, float]:
    """Each acting delegation's salience-weighted distance of its chosen positions from its interest, 0 to 1."""
    w, conf = room.world, room.conference
    sal = conf.salience_norm[0]
    deviations: dict[str, list[float]] = {}
    for step in room.history:
        if not isinstance(step, SessionClosed):
            continue
        for iso, clauses in step.moves.items():
            i = room.index[iso]
            k = [w.agenda.ids.index(c) for c in clauses]
            chosen = np.array([w.agenda.options[kk, o] for kk, o in zip(k, clauses.values(), strict=True)])
            weight = sal[i, k] / sal[i, k].sum() if sal[i, k].sum() > 0 else np.full(len(k), 1 / len(k))
            deviations.setdefault(iso, []).append(float(weight @ np.abs(chosen - conf.interest[0, i, k])))
    return {iso: round(float(np.mean(d)), 3) for iso, d in deviations.items()}


def _model_range(room: Played, played: _Run, known: np.ndarray, known_total: int) -> dict:
    """Where the class stands among ``MODEL_RUNS`` model-only runs (its own seed first)."""
    w, facts = room.world, room.data.facts
    many = run_outcome(w, replication_seeds(room.settings.seed, MODEL_RUNS), trace=False)
    counts = many.signed.sum(axis=1)
    eligible = eligible_signatories(many.signed, known, facts.eligible, known_total)
    class_signed = int(played.signed.sum())
    return {
        "runs": MODEL_RUNS,
        "signed_mean": round(float(counts.mean()), 1),
        "signed_interval": [round(x, 1) for x in interval(counts)],
        "eligible_mean": round(float(eligible.mean()), 1),
        "eligible_interval": [round(x, 1) for x in interval(eligible)],
        # the class's place among the model's runs: the share with fewer signatories, ties counted half
        "class_percentile": round(
            float((counts < class_signed).mean() + 0.5 * (counts == class_signed).mean()), 3
        ),
        "text_share": [
            round(float((many.text[:, k] == played.text[k]).mean()), 3) for k in range(w.agenda.k)
        ],
    }


def debrief(room: Played) -> dict:
    """Delegation by delegation: the class, the model-only run of the same seed, and the record.

    ``model_range`` places the class among ``MODEL_RUNS`` model-only runs (other seeds;
    the class's own seed is the first): how many sign, and how often each clause of the
    class's text comes out.

    *Deviation* is how far a student's positions at the table stood from the
    delegation's seeded interest (salience-weighted mean distance over the sessions
    it acted in, 0 to 1). Payoffs are judged by the seeded interests and saliences:
    a state that signs gets the text's utility gain over the 1988 text, one that does
    not stays under the 1988 rules (0). *Won* is the class payoff minus the
    model-only payoff: what the class's play (the text and the decision) cost
    (negative) or won the delegation; *text_won* is the part due to the text alone
    (utility of the class text minus that of the model-only text).
    """
    w, conf = room.world, room.conference
    runs = {"class": _Run.of(conf), "model": _Run.of(Conference(w, Streams([room.seed])).run())}
    sal, a = conf.salience_norm[0], w.signing.exponent
    interest, sq = conf.interest[0], w.agenda.status_quo
    text_won = utility(runs["class"].text, interest, sal, a) - utility(runs["model"].text, interest, sal, a)
    payoff = {
        key: np.where(c.signed, utility_gain(c.text, sq, interest, sal, a), 0.0) for key, c in runs.items()
    }
    won = payoff["class"] - payoff["model"]
    played = set(room.seats.values())
    deviations = _deviations(room)
    record = w.record.fillna("unknown")
    rows = []
    for i, iso in enumerate(w.iso3):
        rows.append({
            "iso3": iso,
            "name": display_name(iso, w.names[i]),
            "group": str(w.group[i]),
            "played_by": "students" if iso in played else "model",
            "acted_steps": room.acted.get(iso, 0),
            "record": record.iloc[i],
            "class_signed": bool(runs["class"].signed[i]),
            "model_signed": bool(runs["model"].signed[i]),
            "class_p_sign": round(float(runs["class"].probability[i]), 3),
            "model_p_sign": round(float(runs["model"].probability[i]), 3),
            "deviation": deviations.get(iso),
            "class_payoff": round(float(payoff["class"][i]), 4),
            "model_payoff": round(float(payoff["model"][i]), 4),
            "won": round(float(won[i]), 4),
            "text_won": round(float(text_won[i]), 4),
        })  # fmt: skip
    table = pd.DataFrame(rows).astype(object)
    table = table.where(table.notna(), None)  # no NaN in JSON: a delegation that never moved has no deviation
    known = known_decisions(record)
    truth = (record == "signed").to_numpy()
    known_total = int(known_decisions(room.data.record["decision"]).sum())
    facts = room.data.facts

    def summary(c: _Run) -> dict:
        return {
            "signed": int(c.signed.sum()),
            "signed_known": int(c.signed[known].sum()),
            "agree_known": round(float((c.signed[known] == truth[known]).mean()), 3) if known.any() else None,
            "eligible_signed": round(
                float(eligible_signatories(c.signed[None], known, facts.eligible, known_total)[0]), 1
            ),
            "text": [w.agenda.label_of(k, v) for k, v in enumerate(c.text)],
            "projected": [round(float(p.sum()), 1) for p in c.projected],
        }

    final = w.agenda.final_acts
    return {
        "clauses": list(w.agenda.ids),
        "clause_labels": [clause.label for clause in w.scenario.agenda.active],
        "model_range": _model_range(room, runs["class"], known, known_total),
        "final_acts": [None if np.isnan(v) else w.agenda.label_of(k, v) for k, v in enumerate(final)],
        "class": summary(runs["class"]),
        "model": summary(runs["model"]),
        "record": {
            "signed_known": int(truth[known].sum()),
            "known": int(known.sum()),
            "eligible": facts.eligible,
            "signed": facts.signed,
            "members": facts.itu_member_states,
        },
        "delegations": table.to_dict(orient="records"),
        "students": table[table["played_by"] == "students"].to_dict(orient="records"),
        "changed_decisions": table[table["class_signed"] != table["model_signed"]]["iso3"].tolist(),
    }


class Debrief:
    """A finished class's debrief, computed once and saved with its figure (the server asks from threads)."""

    def __init__(self) -> None:
        self.result: dict | None = None
        self.figure = ""  # SVG
        self._lock = threading.Lock()

    def of(self, room: Played, folder: Path | None) -> dict:
        """The debrief of ``room``, computed and written to ``folder`` (if any) the first time it is asked for."""
        with self._lock:
            if self.result is None:
                result = debrief(room)
                self.figure = debrief_figure(result)
                if folder is not None:
                    write_debrief(result, self.figure, folder)
                self.result = result
        return self.result


def write_debrief(result: dict, figure: str, folder: Path) -> None:
    """Save the debrief next to the class file: JSON, a CSV per delegation, the figure, and a page to hand out."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "debrief.json", result)
    table = pd.DataFrame(result["delegations"])
    write_atomic(folder / "delegations.csv", lambda tmp: table.to_csv(tmp, index=False))
    write_text_atomic(folder / "debrief.svg", figure)
    write_text_atomic(folder / "debrief.html", debrief_page(result, figure))


def debrief_page(result: dict, figure: str) -> str:
    """The debrief as one self-contained HTML file (the pages' own tables and style, the figure inline)."""
    folder = resources.files("wcitsim.teach.classroom") / "static"
    style = (folder / "classroom.css").read_text(encoding="utf-8")
    script = (folder / "classroom.js").read_text(encoding="utf-8")
    data, terms = (
        json.dumps(x, default=json_default, allow_nan=False).replace("</", "<\\/")
        for x in (result, glossary())
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>wcitsim class debrief</title>'
        f'<style>{style}</style></head><body><header><h1>WCIT-12 role play: the debrief</h1></header><main><section id="debrief"></section><section class="figure">{figure}'
        f'</section><div id="message" class="hidden"></div></main><script>{script}</script>'
        f"<script>setGlossary({terms}); document.getElementById('debrief').innerHTML = debriefTables({data});"
        "</script></body></html>\n"
    )


def debrief_figure(result: dict) -> str:
    """Two panels as SVG: what each student delegation won or lost, and projected signatures by session."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    students = result["students"] or []
    if students:
        names = [s["name"] for s in students]
        won = [s["won"] for s in students]
        left.barh(names, won, color=["#2a7" if x > 0 else "#c44" if x < 0 else "0.6" for x in won])
        left.axvline(0, color="black", lw=0.8)
        if not any(won):  # no bar to see: say so
            left.text(0.5, 0.92, "no student delegation won or lost: 0 each", transform=left.transAxes,
                      ha="center", va="top", fontsize=9, color="0.35")  # fmt: skip
    else:
        left.text(0.5, 0.5, "no delegation was played by students", ha="center", va="center")
    left.set_xlabel(
        "payoff won (+) or lost (−) against the model-only run\n(in utility: a payoff runs from −1 to +1)"
    )
    left.set_title("Student delegations")
    for label, key, style in (("class", "class", "-o"), ("model only", "model", "--s")):
        series = result[key]["projected"]
        right.plot(range(1, len(series) + 1), series, style, label=label)
    right.axhline(result["class"]["signed"], color="#2a7", lw=0.8, ls=":", label="class signatures")
    right.set_xticks(range(1, len(result["class"]["projected"]) + 1))
    right.set_xlabel("session")
    right.set_ylabel("expected signatories (all seated)")
    right.set_title("Who would sign each draft")
    right.legend(fontsize=8)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    return out.getvalue()
