"""``wcitsim analyze``: tables and figures from a sweep's results folder.

Heatmaps for two-parameter grids, response curves for one (main effects for
more), Sobol or Morris indices with confidence intervals (SALib), and the region
of parameter space where the real split (89 of 144) is reproduced.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.data import Facts, load_facts
from wcitsim.errors import UsageError

__all__ = [
    "NEGLIGIBLE",
    "OUTPUTS",
    "TOLERANCE",
    "analyze_sweep",
    "heatmap_figure",
    "load_results",
    "output_titles",
    "precision_warning",
    "read_warnings",
    "wide_intervals",
]

#: The outputs analysed, in the order of the tables and figures.
OUTPUTS = ("signed_eligible", "accuracy", "brier", "text_matches", "polarization")
#: Signatories of the eligible within this many of the record count "reproduce" the split.
TOLERANCE = 3
#: The analysis folder's file of warnings, one a line (absent when there is none).
WARNINGS = "warnings.txt"


def output_titles(facts: Facts) -> dict[str, str]:
    """Each output's title in tables and figures, with the record's split from ``facts``."""
    return {
        "signed_eligible": f"signatories of the {facts.eligible} eligible (record {facts.signed})",
        "accuracy": "per-country accuracy, known states",
        "brier": "Brier score, known states",
        "text_matches": "clauses matching the Final Acts",
        "polarization": "Esteban-Ray polarization over the poles at the table, at the deadline",
    }


def load_results(folder: Path) -> tuple[dict, pd.DataFrame]:
    """The sweep's meta and its experiments joined with their outcomes; refuse a sweep that has not finished.

    A sweep is finished when its meta records the digests of its outcomes and states
    tables and both files still have them, so a sweep killed between (or during) its
    final writes, or a table replaced since, is refused with the command that finishes it.
    """
    from wcitsim.experiments.sweep_run import finished_tables

    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or "sweep" not in meta:
            raise ValueError("meta.json is not a sweep's")
        if not finished_tables(folder, meta):
            spec = meta.get("spec", "SPEC")
            raise UsageError(
                f"{folder}: the sweep has not finished (its outcomes and states tables are missing, incomplete or "
                f"not the ones it wrote); expected to finish it first: "
                f"{shlex.join(['wcitsim', 'sweep', str(spec), '--out', str(folder.parent), '--resume'])}"
            )
        experiments = pd.read_parquet(folder / "experiments.parquet")
        outcomes = pd.read_parquet(folder / "outcomes.parquet")
    except (OSError, ValueError) as err:
        raise UsageError(
            f"{folder}: not a finished wcitsim sweep ({err}); expected a folder written by wcitsim sweep"
        ) from None
    if experiments["experiment"].tolist() != outcomes["experiment"].tolist():
        raise UsageError(
            f"{folder}: experiments.parquet: {len(experiments)} experiments for {len(outcomes)} outcomes; "
            "expected the experiments the sweep ran (run it again with --restart)"
        )
    return meta, experiments.merge(outcomes, on="experiment")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int = 110) -> None:
    fig.savefig(path, dpi=dpi)
    _plt().close(fig)


def heatmap_figure(pivot: pd.DataFrame, output: str, facts: Facts):
    """A two-parameter grid's heatmap of ``output`` on a fixed colour range, each cell with its value.

    Accuracy runs on 0–1; the signatories of the eligible on a diverging range centred on the record,
    record ± its non-signers (white: the record; full blue: every eligible state signs), cells within
    ``TOLERANCE`` of the record outlined.
    """
    from matplotlib.colors import Normalize

    from wcitsim.plotting import plot_heatmap

    title = output_titles(facts)[output]
    fig, ax = _plt().subplots(figsize=(6.4, 4.6))
    if output == "signed_eligible":
        norm = Normalize(facts.signed - facts.not_signed, facts.signed + facts.not_signed)
        marked = np.abs(pivot.to_numpy(float) - facts.signed) <= TOLERANCE
        ticks = [facts.signed - facts.not_signed, facts.signed, facts.signed + facts.not_signed]
        plot_heatmap(pivot, ax, norm, "RdBu", title, "{:.0f}", marked, ticks)
        ax.set_title(f"outlined: {facts.signed} ± {TOLERANCE} sign, the record reproduced", fontsize=9)
    else:
        plot_heatmap(pivot, ax, Normalize(0, 1), "viridis", title, "{:.2f}")
        ax.set_title("on a fixed colour scale from 0 to 1", fontsize=9)
    fig.tight_layout()
    return fig


def _grid(meta, table, out, facts: Facts) -> list[str]:
    from wcitsim.plotting import panel_figure

    names, lines, titles = meta["parameters"], [], output_titles(facts)
    if len(names) == 2:
        for output in ("signed_eligible", "accuracy"):
            pivot = table.pivot_table(index=names[0], columns=names[1], values=output)
            _save(heatmap_figure(pivot, output, facts), out / f"heatmap_{output}.png", dpi=120)
            lines.append(f"![{output}](heatmap_{output}.png)")
    else:
        fig, axes = panel_figure(len(OUTPUTS))
        for ax, output in zip(axes, OUTPUTS, strict=False):
            for name in names:
                effect = table.groupby(name)[output].mean()
                ax.plot(effect.index, effect.to_numpy(), marker="o", label=name)
            if output == "signed_eligible":
                ax.axhline(facts.signed, color="grey", linestyle="--", label="record")
            ax.set_title(textwrap.fill(titles[output], 45), fontsize=9)
        axes[0].legend(fontsize="small")
        fig.tight_layout()
        _save(fig, out / "response.png")
        lines.append("![response curves](response.png)")
    return lines


#: An index nearer 0 than this needs only to be shown small: its interval is held to this half-width instead.
NEGLIGIBLE = 0.05


def wide_intervals(indices: pd.DataFrame, samples: int) -> pd.DataFrame:
    """The Sobol indices whose confidence interval is too wide to read, and the samples that would do.

    A row for each (output, parameter, S1 or ST) whose 95 % half-width ``conf`` exceeds
    ``max(|index|, NEGLIGIBLE)``: the interval reaches across 0, so the index is not told apart from 0
    (nor shown below ``NEGLIGIBLE``). SALib's half-width shrinks about as 1/√N, so
    ``N · (conf / max(|index|, NEGLIGIBLE))²`` samples bring it under; ``samples_needed`` rounds that up to
    a power of two, the sizes at which SALib's Sobol sequence is balanced. ``samples`` is the sweep's N.
    """
    parts = []
    for key in ("S1", "ST"):
        value, conf = indices[key].astype(float), indices[f"{key}_conf"].astype(float)
        scale = np.maximum(value.abs(), NEGLIGIBLE)
        wide = conf > scale
        needed = samples * (conf[wide] / scale[wide]) ** 2
        parts.append(
            pd.DataFrame({
                "output": indices.loc[wide, "output"], "parameter": indices.loc[wide, "parameter"], "index": key,
                "value": value[wide], "conf": conf[wide],
                "samples_needed": [2 ** int(np.ceil(np.log2(n))) for n in needed],
            })
        )  # fmt: skip
    return pd.concat(parts).sort_index(kind="stable").reset_index(drop=True)


def precision_warning(wide: pd.DataFrame, total: int, samples: int, parameters: int) -> str | None:
    """One line for ``wide_intervals``' rows (of ``total`` indices, N = ``samples``, D = ``parameters``); None if none."""
    if wide.empty:
        return None
    worst = wide.loc[(wide["conf"] / np.maximum(wide["value"].abs(), NEGLIGIBLE)).idxmax()]
    need = int(wide["samples_needed"].max())
    return (
        f"{len(wide)} of {total} Sobol confidence intervals are wider than their index (e.g. {worst['output']}, "
        f"{worst['parameter']}: {worst['index']} = {worst['value']:.2f} ± {worst['conf']:.2f}), so those indices "
        f"are not told apart from 0 with N = {samples} samples; about N = {need:,} would do "
        f"({need * (parameters + 2):,} experiments). Rule: the half-width shrinks as 1/√N, so "
        f"N × (conf / max(|index|, {NEGLIGIBLE}))², rounded up to a power of two (SALib's Sobol sequence)."
    )


def _indices(meta, table, out, facts: Facts) -> tuple[pd.DataFrame, list[str], list[str]]:
    problem = {
        "num_vars": len(meta["parameters"]),
        "names": meta["parameters"],
        "bounds": [meta["bounds"][n] for n in meta["parameters"]],
    }
    rows = []
    for output in OUTPUTS:
        y = table.sort_values("experiment")[output].to_numpy(dtype=float)
        if meta["design"] == "sobol":
            from SALib.analyze import sobol

            # seed 1: SALib's bootstrap takes a seed of 0 for none (`if seed:`) and draws from numpy's global state
            res = sobol.analyze(problem, y, calc_second_order=False, seed=1)
            for i, name in enumerate(problem["names"]):
                rows.append({"output": output, "parameter": name, "S1": res["S1"][i], "S1_conf": res["S1_conf"][i],
                             "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})  # fmt: skip
        else:
            from SALib.analyze import morris

            x = table.sort_values("experiment")[problem["names"]].to_numpy(dtype=float)
            res = morris.analyze(problem, x, y, num_levels=meta["morris_levels"], seed=0)
            for i, name in enumerate(problem["names"]):
                rows.append({"output": output, "parameter": name, "mu_star": res["mu_star"][i],
                             "mu_star_conf": res["mu_star_conf"][i], "sigma": res["sigma"][i]})  # fmt: skip
    frame = pd.DataFrame(rows)
    wide, warnings = None, []
    if meta["design"] == "sobol":
        wide = wide_intervals(frame, meta["samples"])
        warning = precision_warning(wide, 2 * len(frame), meta["samples"], len(problem["names"]))
        warnings = [warning] if warning else []
    from wcitsim.plotting import indices_figure

    figure, keys = (
        out / f"indices_{meta['design']}.png",
        ("S1", "ST") if meta["design"] == "sobol" else ("mu_star", "sigma"),
    )
    _save(indices_figure(frame, output_titles(facts), keys, wide, warnings[0] if warnings else None), figure)
    lines = [f"![{'S1 and ST' if meta['design'] == 'sobol' else 'Morris'} indices]({figure.name})"]
    if warnings:
        lines = ["", f"**Warning**: {warnings[0]}", "", wide.to_string(index=False), "", *lines]
    return frame, lines, warnings


def analyze_sweep(folder: Path, facts: Facts | None = None) -> Path:
    """Write ``FOLDER/analysis/`` (summary.md, summary.csv, indices.csv, region.csv, figures); return it.

    Args:
        folder: A finished sweep's folder.
        facts: The record's totals to compare with (default: the package's ``facts.toml``).
    """
    folder = Path(folder)
    facts = facts or load_facts()
    meta, table = load_results(folder)
    out = folder / "analysis"
    out.mkdir(exist_ok=True)
    names = meta["parameters"]
    summary = table[list(OUTPUTS)].describe().T
    summary.to_csv(out / "summary.csv")
    lines = [
        f"# Sweep {meta['sweep']}: {meta['design']} over {', '.join(names)}",
        "",
        f"{len(table)} experiments × {meta['replications']} replications; root seed {meta['root_seed']}.",
        "",
        "## Outputs across experiments",
        summary.to_markdown() if _has_tabulate() else summary.to_string(),
        "",
    ]
    warnings: list[str] = []
    if meta["design"] == "grid":
        lines += _grid(meta, table, out, facts)
    else:
        indices, figs, warnings = (
            _indices(meta, table, out, facts) if meta["design"] in ("sobol", "morris") else (None, [], [])
        )
        if indices is not None:
            indices.to_csv(out / "indices.csv", index=False)
            lines += ["## Sensitivity indices (SALib)", indices.to_string(index=False), "", *figs]
        else:
            meta_grid = {**meta, "parameters": names}
            lines += _scatter(meta_grid, table, out, facts)
    reproduced = table[(table["signed_eligible"] - facts.signed).abs() <= TOLERANCE]
    region = pd.DataFrame(
        {"min": reproduced[names].min(), "max": reproduced[names].max(), "mean": reproduced[names].mean()}
    )
    region.to_csv(out / "region.csv")
    lines += [
        "",
        f"## Where the real split is reproduced ({facts.signed} ± {TOLERANCE} of {facts.eligible} sign)",
        f"{len(reproduced)} of {len(table)} experiments.",
        region.to_string() if len(reproduced) else "none",
    ]
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / WARNINGS).unlink(missing_ok=True)
    if warnings:
        (out / WARNINGS).write_text("\n".join(warnings) + "\n", encoding="utf-8")
    return out


def read_warnings(analysis: Path) -> list[str]:
    """The warnings ``analyze_sweep`` wrote in ``analysis`` (e.g. Sobol intervals too wide to read), one a line."""
    path = Path(analysis) / WARNINGS
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _scatter(meta, table, out, facts: Facts) -> list[str]:
    from wcitsim.plotting import panel_figure

    names = meta["parameters"]
    fig, axes = panel_figure(len(names), sharey=True)
    for ax, name in zip(axes, names, strict=False):
        ax.scatter(table[name], table["signed_eligible"], s=8)
        ax.axhline(facts.signed, color="grey", linestyle="--")
        ax.set_xlabel(name)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(textwrap.fill(output_titles(facts)["signed_eligible"], 30), fontsize=8)
    fig.tight_layout()
    _save(fig, out / "scatter.png")
    return ["![scatter](scatter.png)"]


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
