"""Figures: functions ``(data, ax) -> ax`` that never run a model.

Import matplotlib only here; model code stays free of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "plot_field",
    "plot_region_bars",
    "plot_reliability",
    "plot_sign_map",
    "plot_text_by_session",
]

REGION_TITLES = {
    "A": "A Americas",
    "B": "B W. Europe",
    "C": "C E. Europe/N. Asia",
    "D": "D Africa",
    "E": "E Asia/Australasia",
    "": "unassigned",
}


def plot_text_by_session(drafts: np.ndarray, clauses: list[str], final_acts: np.ndarray, ax):
    """Mean draft per clause and session (drafts: R × S × K), with the Final Acts as markers at the end."""
    mean = drafts.mean(axis=0)
    sessions = np.arange(1, mean.shape[0] + 1)
    for k, clause in enumerate(clauses):
        line = ax.plot(sessions, mean[:, k], marker=".", label=clause)[0]
        if np.isfinite(final_acts[k]):
            ax.plot(sessions[-1] + 0.6, final_acts[k], marker="*", markersize=11, color=line.get_color())
    ax.set_xlabel("session")
    ax.set_ylabel("draft option (0 = 1988 / narrow, 1 = widest reach)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("The chair's draft by session (★ = Final Acts)")
    ax.legend(fontsize="small", ncol=2, loc="best")
    return ax


def plot_field(field: np.ndarray, measures: tuple[str, ...], ax, session: int | None = None):
    """The field's shape over the sessions (``Outcome.field``, R × (S+1) × 2 × M, the M ``measures``
    named as in ``FIELD_MEASURES``), with 90 % bands.

    Left axis: bipolarity and Esteban–Ray over the regional groups, at the table
    (solid) and in the capitals' interests (dashed). Right axis: the number of
    poles. ``session`` marks the current session.
    """
    sessions = np.arange(field.shape[1])
    traced = np.isfinite(field[:, :, 1, 0]).all(axis=0)
    views = ((1, "-", "table"), (0, "--", "interests"))
    for measure, label, colour in (
        ("bipolarity", "bipolarity", "C0"),
        ("er_groups", "Esteban–Ray, groups", "C1"),
    ):
        m = measures.index(measure)
        for v, style, where in views:
            values = field[:, traced, v, m]
            ax.plot(sessions[traced], values.mean(axis=0), style, color=colour, label=f"{label} ({where})")
            if v == 1:
                lo, hi = np.quantile(values, [0.05, 0.95], axis=0)
                ax.fill_between(sessions[traced], lo, hi, alpha=0.15, color=colour)
    ax.set_xlabel("session (0 = opening)")
    ax.set_ylabel("index (0 to 1)")
    ax.set_ylim(0, 1.02)
    twin = ax.twinx()
    m = measures.index("clusters")
    for v, style, where in views:
        twin.plot(sessions[traced], field[:, traced, v, m].mean(axis=0), style, color="0.35", marker=".",
                  label=f"poles ({where})")  # fmt: skip
    twin.set_ylabel("poles (mean over replications)")
    twin.set_ylim(0.5, max(6.5, float(np.nanmax(field[:, :, :, m])) + 0.5))
    if session is not None:
        ax.axvline(session, color="0.2", linewidth=1, linestyle=":")
    ax.set_title("From a multipolar field to two camps?")
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, fontsize="x-small", loc="lower left", ncol=2)
    return ax


def plot_sign_map(countries: pd.DataFrame, ax, columns: int = 6, title: str | None = None):
    """A tile grid by ITU region: each tile a state, coloured by P(sign); the record as a mark.

    ``countries`` needs ``iso3``, ``itu_region``, ``p_sign`` and ``record``. A dot
    marks a recorded signature, a cross a recorded refusal; unknown stays unmarked.
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    cmap, norm = colormaps["RdYlBu"], Normalize(0, 1)
    x0, rows = 0, 1
    for region in ("A", "B", "C", "D", "E", ""):
        block = countries[countries["itu_region"].fillna("") == region].sort_values("iso3")
        rows = max(rows, -(-len(block) // columns))
        for i, row in enumerate(block.itertuples()):
            x, y = x0 + i % columns, -(i // columns)
            ax.add_patch(Rectangle((x, y), 0.95, 0.95, color=cmap(norm(row.p_sign))))
            ax.text(x + 0.47, y + 0.62, row.iso3, ha="center", va="center", fontsize=5)
            if row.record in ("signed", "not_signed"):
                ax.text(
                    x + 0.47,
                    y + 0.25,
                    "●" if row.record == "signed" else "✕",
                    ha="center",
                    va="center",
                    fontsize=5,
                )
        ax.text(x0 + columns / 2, 1.4, REGION_TITLES[region], ha="center", fontsize=7)
        x0 += columns + 1
    ax.set_xlim(-0.5, x0)
    ax.set_ylim(-rows + 0.5, 2.2)
    ax.set_aspect("equal")
    ax.axis("off")
    bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.02)
    bar.set_label("P(sign)")
    ax.set_title(title or "P(sign) by state (● signed, ✕ did not sign on 14 Dec 2012, unmarked: unknown)")
    return ax


def plot_reliability(probabilities: dict[str, pd.Series], record: pd.Series, ax, bins: int = 5):
    """Reliability diagram: mean predicted P(sign) against the observed share signing, per probability bin."""
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    for name, p in probabilities.items():
        y = (record.reindex(p.index) == "signed").to_numpy()
        edges = np.linspace(0, 1, bins + 1)
        which = np.clip(np.digitize(p.to_numpy(), edges) - 1, 0, bins - 1)
        xs, ys, ns = [], [], []
        for b in range(bins):
            rows = which == b
            if rows.any():
                xs.append(p.to_numpy()[rows].mean())
                ys.append(y[rows].mean())
                ns.append(rows.sum())
        line = ax.plot(xs, ys, label=name, linewidth=1)[0]
        ax.scatter(xs, ys, s=[12 * n for n in ns], color=line.get_color(), alpha=0.7)
    ax.set_xlabel("predicted P(sign), out of fold")
    ax.set_ylabel("share that signed")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Reliability of the sign probabilities (marker area ∝ states in the bin)")
    ax.legend(fontsize="small")
    return ax


def plot_region_bars(by_region: dict[str, dict], ax):
    """Grouped bars: accuracy per ITU region for each predictor (``{predictor: {region: {"accuracy": …}}}``)."""
    names = list(by_region)
    regions = sorted({r for v in by_region.values() for r in v})
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(regions))
    for i, name in enumerate(names):
        values = [by_region[name].get(r, {}).get("accuracy", np.nan) for r in regions]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=name)
    ax.set_xticks(x, regions)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (out of fold)")
    ax.set_title("Accuracy by ITU region")
    ax.legend(fontsize="small", ncol=2)
    return ax
