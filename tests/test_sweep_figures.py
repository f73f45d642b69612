"""The figures of a sweep and of a run: readable panels, fixed colour ranges, and the warning of wide intervals."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer

from wcitsim.data import load_facts
from wcitsim.experiments.analysis import (
    OUTPUTS,
    heatmap_figure,
    output_titles,
    precision_warning,
    wide_intervals,
)
from wcitsim.plotting import indices_figure, plot_text_by_session

FACTS = load_facts()
PARAMETERS = ["signing.conformity", "signing.lost_vote", "groups.cohesion.default"]


def _indices() -> pd.DataFrame:
    """Five outputs × three parameters; two intervals too wide, computed by hand below."""
    rows = []
    for output in OUTPUTS:
        for parameter in PARAMETERS:
            rows.append(
                {
                    "output": output,
                    "parameter": parameter,
                    "S1": 0.3,
                    "S1_conf": 0.1,
                    "ST": 0.4,
                    "ST_conf": 0.1,
                }
            )
    frame = pd.DataFrame(rows)
    first = (frame["output"] == "accuracy") & (frame["parameter"] == "signing.lost_vote")
    frame.loc[first, ["S1", "S1_conf"]] = [-0.12, 0.18]  # wider than the index
    second = (frame["output"] == "brier") & (frame["parameter"] == "groups.cohesion.default")
    frame.loc[second, ["ST", "ST_conf"]] = [0.0, 0.15]  # an index at 0 with an interval wider than 0.05
    third = (frame["output"] == "polarization") & (frame["parameter"] == "signing.conformity")
    frame.loc[third, ["S1", "S1_conf"]] = [0.01, 0.03]  # wider than the index but under 0.05: shown small
    return frame


def test_wide_intervals_and_the_samples_that_would_do_by_hand():
    wide = wide_intervals(_indices(), samples=64)
    assert wide[["output", "parameter", "index"]].values.tolist() == [
        ["accuracy", "signing.lost_vote", "S1"],
        ["brier", "groups.cohesion.default", "ST"],
    ]
    # 64 × (0.18 / 0.12)² = 144 → 256; 64 × (0.15 / 0.05)² = 576 → 1024
    assert wide["samples_needed"].tolist() == [256, 1024]
    line = precision_warning(wide, total=30, samples=64, parameters=3)
    assert line.startswith("2 of 30 Sobol confidence intervals are wider than their index")
    assert "brier, groups.cohesion.default: ST = 0.00 ± 0.15" in line  # the widest, relative to its index
    assert "N = 64 samples; about N = 1,024 would do (5,120 experiments)" in line
    assert "shrinks as 1/√N" in line and "power of two" in line
    assert precision_warning(wide.iloc[:0], total=30, samples=64, parameters=3) is None


def test_the_sobol_figure_has_a_readable_panel_per_output_with_s1_and_st():
    frame = _indices()
    wide = wide_intervals(frame, samples=64)
    note = precision_warning(wide, total=30, samples=64, parameters=3)
    fig = indices_figure(frame, output_titles(FACTS), ("S1", "ST"), wide, note)
    try:
        width, height = fig.get_size_inches()
        assert width / height <= 2.5
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.containers]
        assert len(panels) == len(OUTPUTS)
        assert len({round(ax.get_position().x0, 3) for ax in panels}) <= 3  # at most three to a row
        hatched = set()
        for ax, output in zip(panels, OUTPUTS, strict=True):
            bars = [c for c in ax.containers if isinstance(c, BarContainer)]
            assert [c.get_label() for c in bars] == ["S1", "ST"]
            assert all(c.errorbar is not None for c in bars)  # both carry their interval
            if ax.get_subplotspec().is_first_col():  # the rows share their parameters' names
                assert [t.get_text() for t in ax.get_yticklabels()] == PARAMETERS
            for container in bars:
                for parameter, bar in zip(PARAMETERS, container.patches, strict=True):
                    if bar.get_hatch():
                        hatched.add((output, parameter, container.get_label()))
        assert hatched == {
            ("accuracy", "signing.lost_vote", "S1"),
            ("brier", "groups.cohesion.default", "ST"),
        }
        texts = [t.get_text().replace("\n", " ") for ax in fig.axes for t in ax.texts]
        assert any("2 of 30 Sobol confidence intervals are wider than their index" in t for t in texts)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("output", ["accuracy", "signed_eligible"])
def test_a_heatmap_has_a_fixed_colour_range_and_every_value_in_its_cell(output):
    values = (
        [[0.86, 0.87], [0.88, 0.89], [0.87, 0.86]]
        if output == "accuracy"
        else [[86, 99], [89, 120], [92, 75]]
    )
    pivot = pd.DataFrame(
        values, index=pd.Index([0.0, 0.5, 1.0], name="a"), columns=pd.Index([1.0, 2.0], name="b")
    )
    fig = heatmap_figure(pivot, output, FACTS)
    try:
        ax = fig.axes[0]
        norm = ax.images[0].norm
        if output == "accuracy":
            assert (norm.vmin, norm.vmax) == (0, 1)  # not the three states between the lowest and the highest
            assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.2f}" for row in values for v in row)
        else:  # symmetric around the record: the record ± its non-signers
            assert (norm.vmin, norm.vmax) == (
                FACTS.signed - FACTS.not_signed,
                FACTS.signed + FACTS.not_signed,
            )
            assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.0f}" for row in values for v in row)
            assert len(ax.patches) == 3  # 86, 89, 92: within 3 of 89
        assert ax.get_xlabel() == "b" and ax.get_ylabel() == "a"
    finally:
        plt.close(fig)


def test_every_clause_of_the_text_by_session_has_its_own_panel():
    clauses = ["scope", "internet", "security", "spam", "access_right", "human_rights", "content", "charging"]
    rng = np.random.default_rng(3)
    drafts = np.round(rng.random((20, 12, 8)) * 2) / 2
    drafts[:, :, 4:] = 0.0  # half the clauses draft alike: one line over another on shared axes
    final_acts = np.array([0.5, 0.5, 0.5, 0.5, 1.0, 0.0, 0.0, np.nan])
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        plot_text_by_session(drafts, clauses, final_acts, ax)
        panels = ax.child_axes
        assert [p.get_title() for p in panels] == clauses
        for k, panel in enumerate(panels):
            (line,) = [line for line in panel.lines if line.get_label() == clauses[k]]
            np.testing.assert_allclose(line.get_ydata(), drafts[:, :, k].mean(axis=0))
            stars = [line for line in panel.lines if line.get_marker() == "*"]
            assert len(stars) == (0 if k == 7 else 1)
        fig.canvas.draw()
        boxes = [p.get_window_extent() for p in panels]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    finally:
        plt.close(fig)


def test_the_field_figure_keeps_its_legend_off_the_lines():
    from wcitsim.core.measures import FIELD_MEASURES
    from wcitsim.plotting import plot_field

    rng = np.random.default_rng(5)
    # low indices: where a legend inside the axes would sit
    field = rng.uniform(0, 0.2, (6, 13, 2, len(FIELD_MEASURES)))
    field[..., FIELD_MEASURES.index("clusters")] = 2.0
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        plot_field(field, FIELD_MEASURES, ax)
        fig.tight_layout()
        fig.canvas.draw()
        legend, axes, whole = ax.get_legend().get_window_extent(), ax.get_window_extent(), fig.bbox
        assert legend.y1 <= axes.y0  # under the axes, clear of every line
        assert whole.x0 <= legend.x0 and legend.x1 <= whole.x1 and whole.y0 <= legend.y0  # and in the figure
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[-2:] == ["poles (table)", "poles (interests)"]
    finally:
        plt.close(fig)
