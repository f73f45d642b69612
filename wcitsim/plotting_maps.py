"""The sign-probability map: every state a tile, in the panel of its ITU region, readable at any size.

One function draws it everywhere (the run folder's ``sign_map.png``, the validation
report, the seminar page, the handout): :func:`plot_sign_map` on an axes, or
:func:`sign_map_figure` for a figure sized to the grid. The tiles' labels are outlines
in data units, fitted into their tiles: they scale with the tiles and never overlap,
whatever the figure's size; the title is wrapped to the map's width.
"""

from __future__ import annotations

import functools
import textwrap

import numpy as np
import pandas as pd

__all__ = ["PLACED", "map_panels", "plot_sign_map", "sign_map_figure", "tile_grid", "title_text"]

REGIONS = ("A", "B", "C", "D", "E")
REGION_NAMES = {
    "A": "The Americas",
    "B": "Western Europe",
    "C": "Eastern Europe and Northern Asia",
    "D": "Africa",
    "E": "Asia and Australasia",
    "?": "region unknown",
}

#: The panel of each state whose ITU region the data leave unsettled (``itu_region_basis =
#: unsettled`` in states.csv, see data/SOURCES.md). The map places them, drawn with a dashed
#: edge; the data, the model and the scores by region keep them unassigned.
#: - C: the CEPT members of the UN's Eastern European Group, with their settled neighbours
#:   Bulgaria, the Czech Republic, Lithuania, Poland and Romania (C); Hungary (B) is the exception.
#: - B: Cyprus, a member of the EU and CEPT, with Greece and Malta (B); Israel, a member of the
#:   UN's Western European and Others Group.
#: - E: Mongolia, a member of the APT, whose members the data's own rule puts in E.
PLACED = {
    **dict.fromkeys(("ALB", "BIH", "EST", "HRV", "LVA", "MKD", "MNE", "SRB", "SVK", "SVN"), "C"),
    "CYP": "B",
    "ISR": "B",
    "MNG": "E",
}
TILE_INCHES = 0.32  # a tile's side in sign_map_figure: an ISO3 code about 8 pt high
TITLE_POINTS = 8.0  # the title's size
ROWS = 10  # tiles per column of a panel, side by side: the panels are as deep as the largest needs
LABEL_BOX = (0.8, 0.34)  # the box of a tile's ISO3 code, in tiles (width, height)
MARK_BOX = (0.26, 0.26)  # the box of its mark
KEY = (
    "● signed, ✕ did not sign on 14 Dec 2012, unmarked: decision unknown; "
    "a dashed edge: a region the data leave open, placed by the map."
)


def map_panels(countries: pd.DataFrame) -> pd.DataFrame:
    """``countries`` with ``panel`` (A–E, ``?`` where the region is unknown) and ``placed`` (by :data:`PLACED`)."""
    region = countries["itu_region"].fillna("").astype(str)
    placed = (region == "") & countries["iso3"].isin(list(PLACED))
    panel = region.where(region != "", countries["iso3"].map(PLACED)).fillna("?")
    return countries.assign(panel=panel.to_numpy(), placed=placed.to_numpy())


def tile_grid(
    countries: pd.DataFrame, rows: int = ROWS, columns: int | None = None, across: int = 6
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where each tile goes: the states and the panels, in tile units (a tile is 1 × 1).

    The panels stand side by side, each as wide as ``rows`` tiles per column need;
    or, with ``columns``, each ``columns`` wide, ``across`` to a row of panels.
    Returns ``countries`` (from :func:`map_panels`) with ``x``, ``y`` (the tile's
    centre), and the panels: ``panel``, ``x`` and ``y`` (its header's centre).
    """
    states = map_panels(countries)
    tiles, heads = [], []
    x0, top, depth = 0, 0.0, 0.0
    for panel in (*REGIONS, "?"):
        block = states[states["panel"] == panel].sort_values("iso3")
        if not len(block):
            continue
        if heads and len(heads) % across == 0:  # a new row of panels, under the deepest of the last row
            x0, top = 0, -depth - 0.6
        wide = columns or max(2, -(-len(block) // rows))
        i = np.arange(len(block))
        tiles.append(block.assign(x=x0 + i % wide + 0.5, y=top - i // wide - 0.5))
        heads.append({"panel": panel, "x": x0 + wide / 2, "y": top + 0.55})
        depth = max(depth, -top + 1.1 + -(-len(block) // wide))
        x0 += wide + 1
    return pd.concat(tiles), pd.DataFrame(heads)


@functools.cache
def _glyphs(text: str, bold: bool):
    """``text`` as a path of size 1 (DejaVu Sans), and the box of its control points (x0, y0, x1, y1)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath(
        (0, 0), text, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold" if bold else None)
    )
    return path, (*path.vertices.min(axis=0), *path.vertices.max(axis=0))


def fit(texts, box: tuple[float, float], bold: bool = False) -> float:
    """The one scale at which every text of ``texts`` fits into ``box`` (width, height), in tiles."""
    sizes = [_glyphs(t, bold)[1] for t in texts]
    return min(min(box[0] / (x1 - x0), box[1] / (y1 - y0)) for x0, y0, x1, y1 in sizes)


def outline(text: str, centre: tuple[float, float], scale: float, bold: bool = False):
    """``text`` as a path in data units, ``scale`` high, centred on ``centre``; and its box (x0, y0, x1, y1)."""
    from matplotlib.transforms import Affine2D

    path, (x0, y0, x1, y1) = _glyphs(text, bold)
    cx, cy = centre
    move = Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2).scale(scale).translate(cx, cy)
    half_w, half_h = (x1 - x0) * scale / 2, (y1 - y0) * scale / 2
    return move.transform_path(path), (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def _ink(rgba) -> str:
    """Black or white, whichever reads better on ``rgba`` (relative luminance)."""
    r, g, b = rgba[:3]
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


def title_text(title: str | None, panels: list[str], width: float) -> str:
    """The title, the key and the regions' names, each wrapped to ``width`` inches, as measured in DejaVu Sans.

    ``width``: the map's own (the title is centred over the map, not over its colour bar).
    """
    regions = " · ".join(f"{p} {REGION_NAMES[p]}" for p in panels)
    lines = [title or "P(sign): the model's probability that each state signs, by ITU region", KEY, regions]
    wrapped = []
    for line in lines:
        x0, _, x1, _ = _glyphs(line, False)[1]
        per_char = 1.05 * TITLE_POINTS * (x1 - x0) / len(line)  # mean width in points, 5 % spare
        wrapped.append(textwrap.fill(line, max(int(width * 72 / per_char), 20)))
    return "\n".join(wrapped)


def plot_sign_map(
    countries: pd.DataFrame,
    ax,
    title: str | None = None,
    rows: int = ROWS,
    columns: int | None = None,
    across: int = 6,
    bar=None,
):
    """A tile grid by ITU region: each tile a state, coloured by P(sign); the record as a mark.

    ``countries`` needs ``iso3``, ``itu_region``, ``p_sign`` and ``record``. A dot
    marks a recorded signature, a cross a recorded refusal; unknown stays unmarked.
    A state the data leave without a region sits in the panel :data:`PLACED` gives
    it, with a dashed edge. ``rows``, ``columns``, ``across``: as in :func:`tile_grid`
    (a narrow map: ``columns=7, across=2``; a phone's: ``across=1``). ``title`` replaces the first
    line of the title, which is wrapped to the width of ``ax``. ``bar``: the axes of the colour bar (horizontal
    if wider than tall); by default it takes its room from ``ax``.
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import Normalize
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path

    cmap, norm = colormaps["RdYlBu"], Normalize(0, 1)
    tiles, heads = tile_grid(countries, rows, columns, across)
    p = tiles["p_sign"].to_numpy(dtype=float)
    colours = np.where(np.isfinite(p)[:, None], cmap(norm(np.nan_to_num(p))), (0.85, 0.85, 0.85, 1.0))
    boxes = [Rectangle((x - 0.47, y - 0.47), 0.94, 0.94) for x, y in zip(tiles["x"], tiles["y"], strict=True)]
    ax.add_collection(PatchCollection(boxes, facecolors=colours, edgecolors="none", gid="tiles"))
    placed = [b for b, is_placed in zip(boxes, tiles["placed"], strict=True) if is_placed]
    if placed:
        ax.add_collection(PatchCollection([Rectangle(b.get_xy(), 0.94, 0.94) for b in placed], facecolors="none",
                                          edgecolors="0.15", linestyles="--", linewidths=0.8, gid="placed"))  # fmt: skip
    labels = fit(tiles["iso3"], LABEL_BOX, bold=True)
    marks = fit(["●", "✕"], MARK_BOX)
    ink: dict[str, list] = {"black": [], "white": []}
    for row, colour in zip(tiles.itertuples(), colours, strict=True):
        pen = ink[_ink(colour)]
        pen.append(outline(row.iso3, (row.x, row.y + 0.14), labels, bold=True)[0])
        if row.record in ("signed", "not_signed"):
            pen.append(outline("●" if row.record == "signed" else "✕", (row.x, row.y - 0.24), marks)[0])
    for head in heads.itertuples():
        ink["0.2"] = [*ink.get("0.2", []), outline(head.panel, (head.x, head.y), 0.6, bold=True)[0]]
    for colour, paths in ink.items():
        if paths:  # one patch per colour: the map draws in a fraction of a second
            ax.add_artist(PathPatch(Path.make_compound_path(*paths), facecolor=colour, linewidth=0,
                                    transform=ax.transData, gid=f"labels-{colour}"))  # fmt: skip
    ax.set_xlim(tiles["x"].min() - 0.7, tiles["x"].max() + 0.7)
    ax.set_ylim(tiles["y"].min() - 0.7, heads["y"].max() + 0.55)
    ax.set_aspect("equal")
    ax.axis("off")
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    if bar is None:
        scale = ax.figure.colorbar(mappable, ax=ax, fraction=0.025, pad=0.01, shrink=0.9)
    else:
        box = bar.get_position()
        across_page = box.width * ax.figure.get_figwidth() > box.height * ax.figure.get_figheight()
        scale = ax.figure.colorbar(mappable, cax=bar, orientation="horizontal" if across_page else "vertical")
    scale.set_label("P(sign), 0 to 1")
    width = ax.get_position().width * ax.figure.get_figwidth()
    ax.set_title(title_text(title, list(heads["panel"]), width), fontsize=TITLE_POINTS, loc="center")
    return ax


def sign_map_figure(countries: pd.DataFrame, title: str | None = None, across: int = 6):
    """A new figure (not pyplot's) holding :func:`plot_sign_map`, sized so that a tile is 0.32 in.

    ``across``: the panels to a row, seven tiles wide each when fewer than five (2 for a small laptop,
    1 for a phone, with the colour bar under the map); the default puts all five side by side. The
    layout is computed, not searched: the map's axes exactly as wide and deep as its tiles, the title's
    wrapped lines above it, the colour bar beside or under it.
    """
    from matplotlib.figure import Figure

    shape = {"columns": 7, "across": across} if across < len(REGIONS) else {}
    tiles, heads = tile_grid(countries, **shape)
    wide = (tiles["x"].max() - tiles["x"].min() + 1.4) * TILE_INCHES  # the limits plot_sign_map sets
    deep = (heads["y"].max() - tiles["y"].min() + 1.25) * TILE_INCHES
    lines = title_text(title, list(heads["panel"]), wide).count("\n") + 1
    head = lines * TITLE_POINTS * 1.25 / 72 + 0.15  # the title's lines and its pad, in inches
    under = across == 1
    left, bottom = (0.15, 0.75) if under else (0.05, 0.05)
    width, height = left + wide + (0.15 if under else 1.05), bottom + deep + head
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / width, bottom / height, wide / width, deep / height))
    if under:
        bar = fig.add_axes(((left + 0.1 * wide) / width, 0.5 / height, 0.8 * wide / width, 0.1 / height))
    else:
        bar = fig.add_axes(((left + wide + 0.1) / width, (bottom + 0.05 * deep) / height, 0.12 / width,
                            0.8 * deep / height))  # fmt: skip
    plot_sign_map(countries, ax, title=title, bar=bar, **shape)
    return fig
