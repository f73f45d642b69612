"""``wcitsim analyze``: tables and figures from a sweep's results folder.

Heatmaps for two-parameter grids, response curves for one (main effects for
more), Sobol or Morris indices with confidence intervals (SALib), and the region
of parameter space where the real split (89 of 144) is reproduced.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.data import Facts, load_facts
from wcitsim.errors import UsageError

__all__ = ["OUTPUTS", "TOLERANCE", "analyze_sweep", "load_results", "output_titles"]

#: The outputs analysed, in the order of the tables and figures.
OUTPUTS = ("signed_eligible", "accuracy", "brier", "text_matches", "polarization")
#: Signatories of the eligible within this many of the record count "reproduce" the split.
TOLERANCE = 3


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


def _grid(meta, table, out, facts: Facts) -> list[str]:
    plt, names, lines, titles = _plt(), meta["parameters"], [], output_titles(facts)
    if len(names) == 2:
        for output in ("signed_eligible", "accuracy"):
            pivot = table.pivot_table(index=names[0], columns=names[1], values=output)
            fig, ax = plt.subplots(figsize=(6, 4.5))
            image = ax.imshow(pivot.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(pivot.columns)), [f"{v:g}" for v in pivot.columns])
            ax.set_yticks(range(len(pivot.index)), [f"{v:g}" for v in pivot.index])
            ax.set_xlabel(names[1])
            ax.set_ylabel(names[0])
            for (r, c), v in np.ndenumerate(pivot.to_numpy()):
                ax.text(
                    c,
                    r,
                    f"{v:.2f}" if output != "signed_eligible" else f"{v:.0f}",
                    ha="center",
                    va="center",
                    color="w",
                    fontsize=8,
                )
            fig.colorbar(image, ax=ax, label=titles[output])
            fig.tight_layout()
            fig.savefig(out / f"heatmap_{output}.png", dpi=120)
            plt.close(fig)
            lines.append(f"![{output}](heatmap_{output}.png)")
    else:
        fig, axes = plt.subplots(1, len(OUTPUTS), figsize=(4 * len(OUTPUTS), 3.5))
        for ax, output in zip(axes, OUTPUTS, strict=True):
            for name in names:
                effect = table.groupby(name)[output].mean()
                ax.plot(effect.index, effect.to_numpy(), marker="o", label=name)
            if output == "signed_eligible":
                ax.axhline(facts.signed, color="grey", linestyle="--", label="record")
            ax.set_title(titles[output], fontsize=9)
        axes[0].legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(out / "response.png", dpi=110)
        plt.close(fig)
        lines.append("![response curves](response.png)")
    return lines


def _indices(meta, table, out, facts: Facts) -> tuple[pd.DataFrame, list[str]]:
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

            res = sobol.analyze(problem, y, calc_second_order=False, seed=0)
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
    plt = _plt()
    key, conf = ("ST", "ST_conf") if meta["design"] == "sobol" else ("mu_star", "mu_star_conf")
    titles = output_titles(facts)
    fig, axes = plt.subplots(1, len(OUTPUTS), figsize=(4 * len(OUTPUTS), 3.5), sharey=True)
    for ax, output in zip(axes, OUTPUTS, strict=True):
        part = frame[frame["output"] == output]
        ax.barh(part["parameter"], part[key], xerr=part[conf], color="tab:blue", alpha=0.8)
        ax.set_title(titles[output], fontsize=9)
        ax.set_xlabel(key)
    fig.tight_layout()
    fig.savefig(out / f"indices_{meta['design']}.png", dpi=110)
    plt.close(fig)
    return frame, [f"![{key} indices](indices_{meta['design']}.png)"]


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
    if meta["design"] == "grid":
        lines += _grid(meta, table, out, facts)
    else:
        indices, figs = (
            _indices(meta, table, out, facts) if meta["design"] in ("sobol", "morris") else (None, [])
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
    return out


def _scatter(meta, table, out, facts: Facts) -> list[str]:
    plt, names = _plt(), meta["parameters"]
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.5), sharey=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        ax.scatter(table[name], table["signed_eligible"], s=8)
        ax.axhline(facts.signed, color="grey", linestyle="--")
        ax.set_xlabel(name)
    np.atleast_1d(axes)[0].set_ylabel(output_titles(facts)["signed_eligible"])
    fig.tight_layout()
    fig.savefig(out / "scatter.png", dpi=110)
    plt.close(fig)
    return ["![scatter](scatter.png)"]


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
