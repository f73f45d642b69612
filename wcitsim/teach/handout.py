"""The debrief handout: one self-contained HTML page (and a PDF where a converter is installed).

It holds the session's figures, the comparison with history and the
counterfactuals chosen by the teacher (the page offers up to two), and the game-theory panel, so students
can take it home. The teaching page's "debrief" button calls :func:`write_handout`;
``wcitsim handout`` does the same from the command line.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np

from wcitsim.errors import UsageError
from wcitsim.experiments.runner import RunResult
from wcitsim.io.files import write_text_atomic
from wcitsim.teach import gametheory as gt

__all__ = ["handout_html", "write_handout"]


def _png(draw=None, figure=None) -> str:
    """A data URI of a PNG: of ``figure``, or of a 7 × 4 in figure whose axes ``draw`` fills."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    if figure is None:
        figure = Figure(figsize=(7, 4))
        draw(figure.subplots())
        figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _figures(result: RunResult) -> list[tuple[str, str]]:
    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.plotting import plot_field, plot_text_by_session
    from wcitsim.plotting_maps import sign_map_figure

    o, w = result.outcome, result.world
    out = []
    if o.drafts.shape[1]:
        out.append(
            (
                "The chair's draft, session by session",
                _png(lambda ax: plot_text_by_session(o.drafts, list(w.agenda.ids), w.agenda.final_acts, ax)),
            )
        )
    out.append(
        (
            "The field: from several poles to two camps?",
            _png(lambda ax: plot_field(o.field, FIELD_MEASURES, ax)),
        )
    )
    out.append(
        ("Who signs in the model, beside the record", _png(figure=sign_map_figure(result.countries())))
    )
    return out


def _row(name: str, s: dict) -> str:
    split = s["split"]
    return (
        f"<tr><td>{html.escape(name)}</td><td>{split['known_states']['signed_mean']:.1f}</td>"
        f"<td>{split['eligible']['signed_mean']:.0f} / {split['eligible']['eligible'] - split['eligible']['signed_mean']:.0f}</td>"
        f"<td>{s['countries']['accuracy']:.2f}</td><td>{s['text']['matches_mean']:.1f} of {s['text']['comparable']}</td></tr>"
    )


def handout_html(
    result: RunResult, counterfactuals: list[RunResult], title: str = "WCIT-12 in class: debrief"
) -> str:
    """The handout as one HTML string with the figures embedded."""
    s = result.summary()
    w = result.world
    rows = [_row(f"{result.scenario.meta.title or result.scenario.meta.name} (this session)", s)]
    rows += [_row(c.scenario.meta.title or c.scenario.meta.name, c.summary()) for c in counterfactuals]
    clauses = "".join(
        f"<tr><td>{html.escape(c['id'])}</td><td>{html.escape(c['modal_label'])}</td>"
        f"<td>{html.escape(c['final_acts_label'] or '—')}</td><td>{'yes' if c['modal'] == c['final_acts'] else 'no'}</td></tr>"
        for c in s["text"]["clauses"]
    )
    seats = np.array([int((w.group == g).sum()) for g in w.group_names])
    power = gt.shapley_shubik(seats, seats.sum() / 2 + 0.5)
    power_rows = "".join(
        f"<tr><td>{html.escape(g)}</td><td>{n}</td><td>{p:.3f}</td></tr>"
        for g, n, p in zip(w.group_names, seats, power, strict=True)
    )
    figures = "".join(
        f"<h3>{html.escape(t)}</h3><img alt='{html.escape(t)}' src='{src}'/>" for t, src in _figures(result)
    )
    split, facts = s["split"], result.data.facts
    others = {0: "", 1: " and with one other way it could have gone"}.get(
        len(counterfactuals), f" and with {len(counterfactuals)} other ways it could have gone"
    )
    why = (
        "<li>Why did the counterfactuals move the split the way they did?</li>"
        if counterfactuals
        else "<li>Which rule of the conference would you change to move the split, and which way?</li>"
    )
    known_signed = int((result.data.record["decision"] == "signed").sum())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #999;padding:.2em .6em}}img{{max-width:100%}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p>On 14 December 2012, {facts.signed} of the {facts.eligible} states with signing rights signed the revised International
Telecommunication Regulations and {facts.not_signed} did not. This handout compares the class's conference with that
record{others}.</p>
<h2>The split</h2>
<p>In this session, {split["known_states"]["signed_mean"]:.1f} of the {split["known_states"]["n"]} states whose decision is known
signed ({split["known_states"]["record_signed"]} did in reality); of the {facts.eligible} eligible, about {split["eligible"]["signed_mean"]:.0f} signed ({facts.signed} did).</p>
<table><tr><th>scenario</th><th>signatories among the known states ({known_signed})</th><th>split of the {facts.eligible} eligible ({facts.signed} / {facts.not_signed})</th>
<th>per-country accuracy</th><th>text as in the Final Acts</th></tr>{"".join(rows)}</table>
<h2>The text, clause by clause</h2>
<table><tr><th>clause</th><th>this session</th><th>Final Acts</th><th>same?</th></tr>{clauses}</table>
<h2>Who held the votes</h2>
<table><tr><th>regional group</th><th>seats</th><th>Shapley–Shubik power</th></tr>{power_rows}</table>
<p>{html.escape(gt.explanations(facts)["voting_power"])}</p>
{figures}
<h2>Questions to take home</h2>
<ol><li>Which clause cost the most signatures, and who could have given way on it?</li>
{why}
<li>Was a text both camps would sign available? What kept the conference from finding it?</li></ol>
<p><small>wcitsim {html.escape(s["version"])}, scenario digest {html.escape(s["scenario"]["digest"])}, seed {s["seed"]},
{s["replications"]} replications. The model explains the record only in part: see docs/validation.md.</small></p>
</body></html>
"""


def write_handout(result: RunResult, counterfactuals: list[RunResult], out: Path) -> dict[str, Path]:
    """Write ``out`` (.html) and, where a converter is installed (wkhtmltopdf or chromium), the PDF beside it.

    Raises:
        UsageError: When ``out`` cannot be written (a folder, under a file, a read-only folder).
    """
    out = Path(out)
    page = handout_html(result, counterfactuals)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out, page)
    except OSError as err:
        raise UsageError(
            f"{out}: cannot write the handout ({err.strerror}); expected a writable file path"
        ) from None
    written = {"html": out}
    pdf = out.with_suffix(".pdf")
    for command in (
        ["wkhtmltopdf", "--quiet", str(out), str(pdf)],
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--print-to-pdf={pdf}",
            out.resolve().as_uri(),
        ],
    ):
        if shutil.which(command[0]):
            try:
                subprocess.run(command, capture_output=True, timeout=120, check=True)
                written["pdf"] = pdf
                break
            except (subprocess.SubprocessError, OSError):
                continue
    return written
