"""Figures: functions ``(data, ax) -> ax`` that never run a model.

Import matplotlib only here; model code stays free of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wcitsim.plotting_maps import plot_sign_map  # the map has a module of its own

__all__ = [
    "indices_figure",
    "panel_figure",
    "plot_field",
    "plot_heatmap",
    "plot_indices",
    "plot_region_bars",
    "plot_reliability",
    "plot_sign_map",
    "plot_text_by_session",
]


def plot_text_by_session(
    drafts: np.ndarray, clauses: list[str], final_acts: np.ndarray, ax, columns: int = 4
):
    """The chair's draft by session (drafts: R × S × K), one small panel per clause, inset in ``ax``.

    Each panel (``ax.child_axes``, in clause order, titled and labelled with its clause) shows the mean draft
    over the replications, the band of 90 % of them, and the Final Acts as a star after the last session;
    the panels share their axes, so clauses that draft alike stay apart. ``ax`` keeps only the title.
    """
    mean = drafts.mean(axis=0)
    low, high = np.quantile(drafts, [0.05, 0.95], axis=0)
    sessions = np.arange(1, mean.shape[0] + 1)
    rows = -(-len(clauses) // columns)
    ax.set_axis_off()
    left, bottom, gap_x, gap_y = 0.09, 0.13, 0.025, 0.11
    width = (1 - left - gap_x * (columns - 1)) / columns
    height = (0.93 - bottom - gap_y * (rows - 1)) / rows
    for k, clause in enumerate(clauses):
        r, c = divmod(k, columns)
        panel = ax.inset_axes(
            [left + c * (width + gap_x), bottom + (rows - 1 - r) * (height + gap_y), width, height]
        )
        colour = f"C{k % 10}"
        panel.fill_between(sessions, low[:, k], high[:, k], color=colour, alpha=0.2, linewidth=0)
        panel.plot(sessions, mean[:, k], marker=".", markersize=3, color=colour, label=clause)
        if np.isfinite(final_acts[k]):
            panel.plot(sessions[-1] + 1, final_acts[k], marker="*", markersize=9, color=colour)
        panel.set_title(clause, fontsize=8, pad=2)
        panel.set_ylim(-0.08, 1.08)
        panel.set_xlim(0.5, sessions[-1] + 1.6)
        panel.set_yticks([0, 0.5, 1], ["0", ".5", "1"] if c == 0 else [])
        panel.tick_params(labelsize=7, length=2)
        if r < rows - 1 and k + columns < len(clauses):
            panel.set_xticklabels([])
        panel.grid(alpha=0.3, linewidth=0.5)
    ax.text(0.5 + left / 2, 0.0, "session", transform=ax.transAxes, ha="center", va="bottom", fontsize=8)
    ax.text(0.0, 0.5, "draft (0 = 1988 / narrow, 1 = widest reach)", transform=ax.transAxes, rotation=90,
            ha="left", va="center", fontsize=8)  # fmt: skip
    ax.set_title(
        "The chair's draft by session (line: mean, band: 90 % of replications, ★ Final Acts)", fontsize=9
    )
    return ax


def plot_indices(
    indices: pd.DataFrame, ax, keys: tuple[str, str] = ("S1", "ST"), wide: pd.DataFrame | None = None
):
    """One output's sensitivity indices: a row per parameter, a bar per index in ``keys``.

    ``indices`` has ``parameter``, the ``keys`` and, where known, ``<key>_conf`` (drawn as the 95 % interval).
    A bar is hatched where ``wide[key]`` is true: its interval is too wide to tell the index from 0.
    """
    y = np.arange(len(indices))
    height = 0.8 / len(keys)
    for j, (key, colour) in enumerate(zip(keys, ("tab:blue", "tab:orange"), strict=False)):
        conf = indices[f"{key}_conf"].to_numpy(float) if f"{key}_conf" in indices else None
        bars = ax.barh(y - 0.4 + height * (j + 0.5), indices[key].to_numpy(float), height, xerr=conf,
                       color=colour, label=key, error_kw={"elinewidth": 1, "capsize": 2})  # fmt: skip
        if wide is not None and key in wide:
            for bar, hatched in zip(bars, wide[key].to_numpy(bool), strict=True):
                if hatched:
                    bar.set_hatch("///")
                    bar.set_edgecolor("0.25")
    ax.set_yticks(y, indices["parameter"], fontsize=8)
    ax.set_ylim(len(indices) - 0.5, -0.5)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3, linewidth=0.5)
    return ax


def plot_heatmap(
    pivot: pd.DataFrame, ax, norm, cmap: str, label: str, fmt: str = "{:.2f}", marked=None, ticks=None
):
    """Two parameters' levels (``pivot``: rows × columns) as cells coloured on the fixed ``norm``, each with its value.

    ``marked`` (a boolean array like ``pivot``) outlines cells, e.g. those that reproduce the record; ``ticks``
    are the colour bar's.
    """
    from matplotlib.patches import Rectangle

    values = pivot.to_numpy(float)
    image = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap, norm=norm)
    ax.set_xticks(range(len(pivot.columns)), [f"{v:g}" for v in pivot.columns])
    ax.set_yticks(range(len(pivot.index)), [f"{v:g}" for v in pivot.index])
    ax.set_xlabel(pivot.columns.name)
    ax.set_ylabel(pivot.index.name)
    for (r, c), v in np.ndenumerate(values):
        red, green, blue, _ = image.cmap(image.norm(v))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(c, r, fmt.format(v), ha="center", va="center", color="w" if dark else "k", fontsize=8)
        if marked is not None and marked[r, c]:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="k", linewidth=2))
    below, above = np.nanmin(values) < norm.vmin, np.nanmax(values) > norm.vmax
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get((below, above), "neither")
    ax.figure.colorbar(image, ax=ax, label=label, extend=extend, ticks=ticks)
    return ax


def panel_figure(count: int, size: tuple[float, float] = (4.2, 3.4), **subplots):
    """A figure of ``count`` panels of ``size`` inches, at most three to a row; spare panels hidden.

    Three columns keep a figure of five or six panels under 2:1 and a parameter's name readable.
    """
    import matplotlib.pyplot as plt

    columns = min(3, int(np.ceil(np.sqrt(count))))
    rows = -(-count // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(size[0] * columns, size[1] * rows), squeeze=False, **subplots
    )
    axes = list(axes.ravel())
    for ax in axes[count:]:
        ax.set_axis_off()
    return fig, axes


INDEX_NAMES = {
    "S1": "S1, first order",
    "ST": "ST, total order",
    "mu_star": "μ*, mean |effect|",
    "sigma": "σ of effects",
}


def indices_figure(indices: pd.DataFrame, titles: dict[str, str], keys=("S1", "ST"), wide=None, note=None):
    """A panel per output (``titles``: output → title, in order) with ``plot_indices``, and a legend panel.

    ``indices`` has ``output``, ``parameter``, the ``keys`` and their ``<key>_conf``. ``wide`` (rows of
    ``output``, ``parameter``, ``index``) names the bars to hatch; ``note`` is written under the legend.
    """
    import textwrap

    from matplotlib.patches import Patch

    fig, axes = panel_figure(len(titles) + 1, sharey=True)
    for ax, (output, title) in zip(axes, titles.items(), strict=False):
        part = indices[indices["output"] == output].reset_index(drop=True)
        hatch = None
        if wide is not None:
            flagged = wide[wide["output"] == output]
            hatch = pd.DataFrame({k: part["parameter"].isin(flagged.loc[flagged["index"] == k, "parameter"])
                                  for k in keys})  # fmt: skip
        plot_indices(part, ax, keys, hatch)
        ax.set_title(textwrap.fill(title, 45), fontsize=9)
        ax.set_xlabel("index" if "S1" in keys else "elementary effect", fontsize=8)
    spare = axes[len(titles)]
    spare.set_axis_off()
    handles = [
        Patch(color=c, label=INDEX_NAMES.get(k, k))
        for k, c in zip(keys, ("tab:blue", "tab:orange"), strict=True)
    ]
    if note:
        handles.append(
            Patch(facecolor="white", edgecolor="0.25", hatch="///", label="interval wider than the index")
        )
    spare.legend(handles=handles, loc="upper left", title="bars ± 95 % interval (SALib)")
    if note:
        spare.text(0, 0.55, textwrap.fill(f"⚠ {note}", 60), transform=spare.transAxes, va="top", fontsize=8,
                   color="darkred")  # fmt: skip
    fig.tight_layout()
    return fig


def plot_field(field: np.ndarray, measures: tuple[str, ...], ax, session: int | None = None):
    """The field's shape over the sessions (``Outcome.field``, R × (S+1) × 2 × M, the M ``measures``
    named as in ``FIELD_MEASURES``), with 90 % bands.

    Left axis: bipolarity and Esteban–Ray over the regional groups, at the table
    (solid) and in the capitals' interests (dashed). Right axis: the number of
    poles. ``session`` marks the current session. The legend stands under the axes, clear of the lines.
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
    for v, style, where in views:  # dots on the table's line only, so the dashed one reads as dashed
        twin.plot(sessions[traced], field[:, traced, v, m].mean(axis=0), style, color="0.35",
                  marker="." if v == 1 else None, label=f"poles ({where})")  # fmt: skip
    twin.set_ylabel("poles (mean over replications)")
    twin.set_ylim(0.5, max(6.5, float(np.nanmax(field[:, :, :, m])) + 0.5))
    if session is not None:
        ax.axvline(session, color="0.2", linewidth=1, linestyle=":")
    ax.set_title("From a multipolar field to two camps?")
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    # under the axes, where it hides no line
    ax.legend(handles + more, labels + more_labels, fontsize="x-small", ncol=3, frameon=False,
              loc="upper center", bbox_to_anchor=(0.5, -0.14))  # fmt: skip
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
    ax.set_title(
        "Reliability of the sign probabilities\n(marker area ∝ states in the bin)", fontsize="medium"
    )
    # under the axes, where it hides no point
    ax.legend(fontsize="small", ncol=2, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12))
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
    # under the axes, where it hides no bar
    ax.legend(fontsize="small", ncol=3, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    return ax
