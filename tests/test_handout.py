"""The debrief handout."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from wcitsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy.toml"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def test_handout_is_one_self_contained_page(tmp_path, capsys):
    other = tmp_path / "consensus.toml"
    other.write_text(
        f'extends = "{TOY.as_posix()}"\n[meta]\nname = "toy_consensus"\ntitle = "Consensus"\n[voting]\nrule = "consensus"\n'
    )
    out = tmp_path / "handout.html"
    assert main(["handout", str(TOY), "--counterfactual", str(other), "--reps", "4", "--out", str(out)]) == 0
    assert "handout" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(text)
    assert parser.tags.count("table") == 3
    assert len(parser.images) == 3 and all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert "this session" in text and "Consensus" in text and "89 of the 144" in text
    assert "and with one other way it could have gone" in text  # as many as were chosen, not "two"
    assert "http://" not in text and "https://" not in text  # nothing to fetch: works offline


def test_the_handout_draws_the_map_the_page_and_the_run_folder_draw(tmp_path):
    """The handout's map is :func:`sign_map_figure`, at 110 dpi: one readable map everywhere."""
    import base64
    import struct

    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.plotting_maps import sign_map_figure
    from wcitsim.teach.handout import handout_html

    result = run_scenario(load_scenario(TOY), 3)
    parser = _Collect()
    page = handout_html(result, [])
    assert "other way" not in page and "counterfactuals" not in page  # none chosen: none promised
    parser.feed(page)
    png = base64.b64decode(parser.images[-1].split(",", 1)[1])
    size = struct.unpack(">II", png[16:24])  # the PNG header's width and height
    expected = sign_map_figure(result.countries()).get_size_inches() * 110
    assert size == pytest.approx(tuple(expected), abs=1)
