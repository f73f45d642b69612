"""The seminar page's figures: built by plain functions of a run, drawn by Solara.

Every per-session figure marks the session shown with a dotted vertical line. The
figure is drawn once per run; the line is laid over it by the page, at the place
:func:`session_marks` computes from the figure's own axes, so that stepping through
the sessions is instant. The map is :func:`wcitsim.plotting_maps.sign_map_figure`,
the same as the run folder's and the handout's.
"""

from __future__ import annotations

import html

import numpy as np
import reacton.ipyvuetify as rv
import solara

from wcitsim.experiments.runner import RunResult
from wcitsim.teach import page_state as st

__all__ = [
    "DraftFigure",
    "IssueMap",
    "SessionFigures",
    "SignMap",
    "draft_figure",
    "field_figure",
    "session_marks",
    "signatures_figure",
]


def _figure(width: float = 7.0, height: float = 3.8):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def session_marks(fig, targets, sessions) -> dict[int, list[tuple[float, float, float]]]:
    """Where the line of each session goes on ``fig``: per session, per axes of ``targets``, the line's
    left edge, its top and its height, in per cent of the figure's width and height (CSS's ``left``,
    ``top`` and ``height`` over the figure's image)."""
    fig.draw_without_rendering()  # the final layout, inset panels included
    width, height = fig.bbox.width, fig.bbox.height
    marks = {}
    for t in sessions:
        marks[t] = []
        for ax in targets:
            box = ax.get_window_extent()
            x = ax.transData.transform((t, 0.0))[0]
            marks[t].append((100 * x / width, 100 * (1 - box.y1 / height), 100 * box.height / height))
    return marks


def draft_figure(r: RunResult):
    """The chair's draft by session (1 … S); the axes to mark: each clause's panel."""
    from wcitsim.plotting import plot_text_by_session

    fig, ax = _figure(7.0, 4.4)
    plot_text_by_session(r.outcome.drafts, list(r.world.agenda.ids), r.world.agenda.final_acts, ax)
    fig.tight_layout()
    return fig, ax.child_axes or [ax]


def field_figure(r: RunResult):
    """The field's shape over the sessions (0 = the opening … S); the axes to mark."""
    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.plotting import plot_field

    fig, ax = _figure(7.0, 4.0)
    plot_field(r.outcome.field, FIELD_MEASURES, ax)
    fig.tight_layout()
    return fig, [ax]


def signatures_figure(r: RunResult):
    """The groups' cohesion (sessions 0 … S) and the projected signatories' share (1 … S); the axes to mark."""
    from wcitsim.core.measures import FIELD_MEASURES

    o, w = r.outcome, r.world
    fig, ax = _figure(7.0, 3.6)
    cohesion = o.field[:, :, 1, FIELD_MEASURES.index("cohesion")].mean(axis=0)
    ax.plot(np.arange(len(cohesion)), cohesion, marker=".", label="group cohesion (0 to 1)")
    projected = np.nanmean(o.projected, axis=0) / w.n
    ax.plot(np.arange(1, len(projected) + 1), projected, marker=".",
            label=f"projected signatories, share of the {w.n} seated")  # fmt: skip
    ax.set_xlabel("session (0 = opening)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title("Cohesion of the groups and the signatures the draft would get", fontsize=10)
    fig.tight_layout()
    return fig, [ax]


def issue_figure(r: RunResult, x: str, y: str):
    """Delegations on clauses ``x`` and ``y``: interests (hollow) and positions at the deadline, coloured by P(sign)."""
    o, ids = r.outcome, list(r.world.agenda.ids)
    i, j = ids.index(x), ids.index(y)
    fig, ax = _figure(7.0, 4.6)
    ax.scatter(o.interest[:, :, i].mean(axis=0), o.interest[:, :, j].mean(axis=0), facecolors="none",
               edgecolors="grey", s=14, label="interests")  # fmt: skip
    points = ax.scatter(o.position[:, :, i].mean(axis=0), o.position[:, :, j].mean(axis=0),
                        c=o.probability.mean(axis=0), cmap="RdYlBu", vmin=0, vmax=1, s=14,
                        label="positions at the deadline")  # fmt: skip
    fig.colorbar(points, ax=ax, label="P(sign), 0 to 1")
    ax.set_xlabel(f"{x} (0 = 1988 / narrow, 1 = widest)")
    ax.set_ylabel(f"{y} (0 = 1988 / narrow, 1 = widest)")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Delegations on two clauses", fontsize=10)
    ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    return fig


@solara.component
def Shown(build, dependencies: list, caption: str, kind: str, marks=(), **attributes):
    """A figure (SVG) with its caption; ``build`` runs again only when ``dependencies`` change.

    ``marks``: dotted lines laid over the image, as :func:`session_marks` places them.
    """
    fig = solara.use_memo(build, dependencies)
    with rv.Html(
        tag="figure", class_=f"wcit-figure wcit-{kind}", attributes={"data-figure": kind, **attributes}
    ):
        with rv.Html(tag="div", class_="wcit-frame"):
            solara.FigureMatplotlib(fig, dependencies=dependencies)
            for left, top, height in marks:
                solara.HTML(tag="div", classes=["wcit-mark"],
                            style=f"left: {left:.2f}%; top: {top:.2f}%; height: {height:.2f}%")  # fmt: skip
        solara.HTML(tag="figcaption", unsafe_innerHTML=caption)


@solara.component
def SessionFigure(build, r: RunResult, caption: str, kind: str):
    """A per-session figure: drawn once per run, the session shown marked over it."""
    t, total = st.session.value, r.world.sessions
    fig, targets = solara.use_memo(build, [id(r)])
    marks = solara.use_memo(lambda: session_marks(fig, targets, range(1, total + 1)), [id(r)])
    note = f" The dotted vertical line marks session {t} of {total}, the session shown."
    Shown(
        lambda: fig, [id(r)], caption + note, kind, marks=marks.get(t, []), **{"data-session-marker": str(t)}
    )


@solara.component
def DraftFigure(r: RunResult):
    if r.outcome.drafts.shape[1]:
        SessionFigure(lambda: draft_figure(r), r, "The chair's draft, clause by clause.", "draft")


@solara.component
def SessionFigures(r: RunResult):
    """The field and the signatures, side by side on a wide screen."""
    with solara.ColumnsResponsive(default=12, xlarge=[6, 6], gutters_dense=True):
        SessionFigure(lambda: field_figure(r), r,
                      "The field at the table (solid) and in the capitals' interests (dashed).", "field")  # fmt: skip
        SessionFigure(lambda: signatures_figure(r), r,
                      f"Projected signatories: the share of the {r.world.n} seated states expected to sign if the "
                      "session's draft were final.", "signatures")  # fmt: skip


@solara.component
def SignMap(r: RunResult):
    """The map, thrice: all five panels side by side, two to a row for a small laptop, one for a phone (the
    page's CSS shows one of them)."""
    from wcitsim.plotting_maps import sign_map_figure

    solara.HTML(tag="h3", unsafe_innerHTML="Who signs, by state, at the deadline")
    caption = (
        f"Each tile a state of the {r.world.n} seated, in its ITU region, coloured by the model's probability "
        "that it signs (mean of the replications); the record as a mark."
    )
    Shown(lambda: sign_map_figure(r.countries()), [id(r)], caption, "map")
    Shown(lambda: sign_map_figure(r.countries(), across=2), [id(r), "narrow"], caption, "map-narrow")
    Shown(lambda: sign_map_figure(r.countries(), across=1), [id(r), "phone"], caption, "map-phone")


@solara.component
def IssueMap(r: RunResult):
    ids = list(r.world.agenda.ids)
    solara.HTML(tag="h3", unsafe_innerHTML="Delegations on two clauses")
    with solara.Row(classes=["wcit-buttons"]):
        solara.Select("horizontal", values=ids, value=st.map_x, style={"min-width": "10em"})
        solara.Select("vertical", values=ids, value=st.map_y, style={"min-width": "10em"})
    if st.map_x.value not in ids or st.map_y.value not in ids:
        return
    x, y = st.map_x.value, st.map_y.value
    Shown(
        lambda: issue_figure(r, x, y), [id(r), x, y],
        f"Hollow: each capital's interest on {html.escape(x)} and {html.escape(y)}; filled: its delegation's "
        "position at the deadline, coloured by P(sign).", "issues",
    )  # fmt: skip
