"""The teaching page: rendered without a browser, and served by `wcitsim teach` without outside assets."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from conftest import free_port, kill_all, still_running_after

solara = pytest.importorskip("solara")
v = pytest.importorskip("ipyvuetify")
HTML = solara.widgets.HTML  # solara.HTML's widget

ROOT = Path(__file__).resolve().parents[1]


TOY = ROOT / "tests" / "data" / "toy.toml"


@pytest.fixture
def toy_page(tmp_path, monkeypatch):
    """The page's state on the toy conference (six states, two sessions), writing under ``tmp_path``."""
    from wcitsim.teach import page_state as st

    other = tmp_path / "toy_consensus.toml"
    other.write_text(f'extends = "{TOY.as_posix()}"\n[meta]\nname = "toy_consensus"\ntitle = "Consensus"\n'
                     '[voting]\nrule = "consensus"\n')  # fmt: skip
    monkeypatch.setattr(st, "ROOT", tmp_path)
    for name, path in (("toy", TOY), ("toy_consensus", other), ("toy_again", TOY)):
        monkeypatch.setitem(st.SCENARIOS, name, path)
    st.choose_scenario("toy")
    st.replications.value, st.result.value, st.compare.value = 5, None, []
    st.handout_path.value = st.handout_message.value = ""
    yield st
    st.choose_scenario("wcit2012")
    st.result.value, st.delegate.value, st.compare.value, st.handout_path.value = None, "", [], ""


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def _downloads(rc) -> list[str]:
    """The labels of the page's download buttons (an icon, then the label)."""
    return [
        w.children[-1] for w in rc.find(v.Btn).widgets if w.children and "mdi-download" in str(w.children[0])
    ]


def _tagged(rc, **attributes):
    """The one HTML element whose attributes include ``attributes``."""
    found = [w for w in rc.find(HTML).widgets if attributes.items() <= w.attributes.items()]
    assert len(found) == 1, (attributes, len(found))
    return found[0]


def test_a_seminar_on_the_page_steps_says_why_it_stops_and_offers_the_handout(toy_page, monkeypatch):
    from wcitsim.teach import handout, page

    monkeypatch.setattr(handout.shutil, "which", lambda _: None)  # the HTML only: no PDF converter to start
    st = toy_page
    st.delegate.value = "KEN"
    _, rc = solara.render(page.Page(), handle_error=False)
    _button(rc, "Run to the deadline").click()
    total = st.result.value.world.sessions
    assert total == 2 and st.session.value == 2  # the run opens at the deadline
    _tagged(rc, **{"data-testid": "session", "data-session": "2", "data-sessions": "2"})
    assert _button(rc, "Step ▶").disabled and not _button(rc, "◀ Previous").disabled
    reason = _tagged(rc, **{"data-testid": "step-reason"})
    assert "Step is off: session 2 is the last before the deadline" in reason.unsafe_innerHTML
    st.step(1)
    assert st.session.value == 2  # nothing past the deadline
    _button(rc, "◀ Previous").click()
    assert st.session.value == 1 and _button(rc, "◀ Previous").disabled and not _button(rc, "Step ▶").disabled
    _tagged(rc, **{"data-testid": "session", "data-session": "1", "data-sessions": "2"})
    assert (
        "after session 1 of 2"
        in _tagged(rc, **{"data-testid": "draft", "data-session": "1"}).unsafe_innerHTML
    )
    marked = [
        f.attributes for f in rc.find(v.Html, tag="figure").widgets if "data-session-marker" in f.attributes
    ]
    assert sorted(m["data-figure"] for m in marked) == ["draft", "field", "signatures"]
    assert {m["data-session-marker"] for m in marked} == {"1"}
    marks = [
        w.attributes["style"] for w in rc.find(HTML).widgets if "wcit-mark" in w.attributes.get("class", "")
    ]
    assert (
        len(marks) == 3 + 1 + 1
    )  # a line on each clause's panel of the draft, on the field, on the signatures
    _button(rc, "Step ▶").click()
    assert st.session.value == 2
    st.go_to(99)
    assert st.session.value == 2
    st.go_to(-3)
    assert st.session.value == 1
    payoff = _tagged(
        rc, **{"data-testid": "payoff"}
    ).unsafe_innerHTML  # the chosen delegation's, with its scale
    assert "payoff of the final text" in payoff and "from −1 to +1" in payoff
    # the handout: at most two counterfactuals, as the menu says; a third is refused with a message
    st.choose_counterfactuals(["toy_consensus", "toy_again"])
    assert st.compare.value == ["toy_consensus", "toy_again"] and not st.handout_message.value
    st.choose_counterfactuals(["toy_consensus", "toy_again", "wcit2012"])
    assert st.compare.value == ["toy_consensus", "toy_again"]
    assert st.handout_message.value.startswith(
        "At most 2 counterfactuals: remove one of toy_consensus, toy_again"
    )
    assert rc.find(v.Select, label="counterfactuals (at most 2)").widget.v_model == [
        "toy_consensus",
        "toy_again",
    ]
    st.choose_counterfactuals(["toy_consensus"])
    st.choose_counterfactuals(["toy_consensus", "toy_again", "wcit2012"])  # refused again ...
    _button(rc, "Write the handout").click()
    assert not st.handout_message.value  # ... and the refusal's message goes with the handout written
    written = Path(st.handout_path.value)
    assert written.parent == st.ROOT / "results" / "handout" and "Consensus" in written.read_text(
        encoding="utf-8"
    )
    assert _downloads(rc) == ["HTML"]  # no PDF: no converter
    _button(rc, "Run to the deadline").click()  # a new run: the handout of the last one is no longer offered
    assert not _downloads(rc)


def test_controls_start_at_the_scenario_values_and_show_their_values(toy_page):
    from wcitsim.io.scenario import load_scenario
    from wcitsim.teach import page_controls

    st = toy_page
    base = load_scenario(st.SCENARIOS["wcit2012"])
    st.choose_scenario("wcit2012")
    mine = st.configured()  # untouched controls reproduce the scenario, as `wcitsim run` does
    assert (mine.protocol.concession, mine.groups.cohesion, mine.chair.policy) == (
        base.protocol.concession, base.groups.cohesion, base.chair.policy,
    )  # fmt: skip
    st.cohesion.value, st.concession.value, st.replications.value = 0.45, 0.3, 40
    _, rc = solara.render(page_controls.ConferenceCard(), handle_error=False)
    labels = {w.label for w in rc.find(v.Slider).widgets}
    assert labels == {"group cohesion: 0.45", "deadline pressure: 0.30", "replications: 40 runs"}
    _, rc = solara.render(page_controls.DelegationCard(), handle_error=False)
    assert {w.label for w in rc.find(v.Slider).widgets} == {"its position: 0.50"}
    items = page_controls.delegation_items()
    assert len(items) == 193 and {"text": "Kenya (KEN)", "value": "KEN"} in items
    assert [i["text"] for i in items] == sorted(i["text"] for i in items)
    menu = rc.find(v.Autocomplete, attributes={"data-testid": "delegation"}).widget
    assert menu.items == items  # a searchable menu of names with their codes


def test_teach_serves_the_page_with_local_assets_only(teach_server):
    with urllib.request.urlopen(teach_server, timeout=10) as response:
        html = response.read().decode()
    assert "solara" in html.lower()
    # every script and stylesheet is served from this machine (solara-assets): no CDN
    for marker in ("cdn.jsdelivr.net", "unpkg.com", "fonts.googleapis.com"):
        assert marker not in html, marker


def test_every_control_changes_the_scenario():
    from wcitsim.teach import page_state as page

    page.choose_scenario("wcit2012")
    page.policy.value, page.cohesion.value, page.concession.value = "majority", 0.7, 0.9
    page.dropped.value = ["internet"]
    page.delegate.value, page.delegate_clause.value, page.delegate_position.value = "USA", "security", 0.5
    scenario = page.configured()
    assert scenario.chair.policy == "majority"
    assert scenario.groups.cohesion["default"] == 0.7 and scenario.protocol.concession == 0.9
    assert "internet" not in [c.id for c in scenario.agenda.active]
    assert scenario.overrides["USA"].position == {"security": 0.5}
    page.choose_scenario("consensus_rule")
    assert page.configured().voting.rule == "consensus"
    page.delegate.value, page.dropped.value = "", []
    page.choose_scenario("wcit2012")


def _answers(address: str) -> bool:
    try:
        urllib.request.urlopen(address, timeout=5).close()
        return True
    except OSError:
        return False


def _solara_children(pid: int) -> list[int]:
    """The processes under ``pid`` whose command line names solara."""
    return [c.pid for c in psutil.Process(pid).children(recursive=True) if "solara" in " ".join(c.cmdline())]


def test_sigterm_of_teach_stops_its_solara_child(tmp_path):
    port = free_port()
    address = f"http://127.0.0.1:{port}/"
    with (tmp_path / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wcitsim", "teach", "--no-open", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    children: list[int] = []
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not _answers(address):
            time.sleep(0.5)
        children = _solara_children(proc.pid)
        assert children, "wcitsim teach started no solara child"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 143
        assert not still_running_after(children, 5), "the solara child outlived wcitsim teach"
        assert "Traceback" not in (tmp_path / "stderr.txt").read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_all(children)


def test_each_per_session_figure_marks_the_session_on_its_own_axes():
    from matplotlib.figure import Figure

    from wcitsim.experiments.runner import run_scenario
    from wcitsim.io.scenario import load_scenario
    from wcitsim.teach import page_figures

    fig = Figure(figsize=(8, 4))  # known answer: axes from 10 % to 90 % of the width, sessions 0 … 10
    ax = fig.add_axes((0.1, 0.2, 0.8, 0.5))
    ax.set_xlim(0, 10)
    marks = page_figures.session_marks(fig, [ax], [0, 5, 10])
    assert marks[0][0] == pytest.approx((10.0, 30.0, 50.0)) and marks[5][0][0] == pytest.approx(50.0)
    assert marks[10][0][0] == pytest.approx(90.0)
    r = run_scenario(load_scenario(TOY), 3)
    for build, panels, first in (
        (page_figures.draft_figure, 3, 1), (page_figures.field_figure, 1, 0), (page_figures.signatures_figure, 1, 0)
    ):  # fmt: skip
        fig, targets = build(r)
        assert len(targets) == panels  # the draft: one panel per clause
        marks = page_figures.session_marks(fig, targets, range(first, 3))
        for t in range(first, 3):
            for (left, top, height), target in zip(marks[t], targets, strict=True):
                lo, hi = target.get_xlim()
                box = target.get_position()  # figure fraction, bottom-up
                assert 100 * box.x0 <= left <= 100 * box.x1 and lo <= t <= hi
                assert top == pytest.approx(100 * (1 - box.y1)) and height == pytest.approx(100 * box.height)
        assert all(
            a[0] < b[0] for a, b in zip(marks[first], marks[2], strict=True)
        )  # later sessions lie right


def _countries():
    """Every state of the shipped data with a P(sign) drawn at random and its recorded decision."""
    import numpy as np
    import pandas as pd

    from wcitsim.data import load_dataset

    data = load_dataset()
    states = data.states
    return pd.DataFrame(
        {
            "iso3": states.index,
            "itu_region": states["itu_region"].to_numpy(),
            "p_sign": np.random.default_rng(1).uniform(0, 1, len(states)),
            "record": data.record["decision"].reindex(states.index).to_numpy(),
        }
    ), states


def test_every_state_sits_in_the_panel_of_its_region():
    from wcitsim.plotting_maps import PLACED, map_panels, tile_grid

    countries, states = _countries()
    panels = map_panels(countries).set_index("iso3")
    assert set(panels["panel"]) == set("ABCDE")  # no "unassigned" panel
    unsettled = set(states.index[states["itu_region_basis"] == "unsettled"])
    assert set(panels.index[panels["placed"]]) == unsettled == set(PLACED)  # the map places exactly those
    settled = states["itu_region"] != ""
    assert (panels.loc[settled[settled].index, "panel"] == states.loc[settled, "itu_region"]).all()
    for shape in ({}, {"columns": 7, "across": 2}):
        tiles, _ = tile_grid(countries, **shape)
        assert (
            len(tiles) == len(states) and not tiles.duplicated(["x", "y"]).any()
        )  # one tile each, none shared


def test_the_map_is_readable_at_its_size_and_its_title_whole():
    from matplotlib.figure import Figure

    from wcitsim.plotting_maps import LABEL_BOX, fit, outline, plot_sign_map, sign_map_figure, tile_grid

    countries, _ = _countries()
    tiles, _ = tile_grid(countries)
    scale = fit(tiles["iso3"], LABEL_BOX, bold=True)
    for row in tiles.itertuples():  # every code inside its own tile: none can print over another
        _, (x0, y0, x1, y1) = outline(row.iso3, (row.x, row.y + 0.14), scale, bold=True)
        assert row.x - 0.47 <= x0 < x1 <= row.x + 0.47 and row.y - 0.47 <= y0 < y1 <= row.y + 0.47
    cli = Figure(figsize=(12, 5))  # the run folder's sign_map.png
    plot_sign_map(countries, cli.subplots())
    cli.tight_layout()
    # a laptop's, a small laptop's, a phone's
    figures = [sign_map_figure(countries, across=across) for across in (6, 2, 1)]
    for fig in (*figures, cli):
        fig.draw_without_rendering()
        ax = fig.axes[0]
        title, whole = ax.title.get_window_extent(), fig.bbox
        assert whole.x0 <= title.x0 and title.x1 <= whole.x1 and whole.y0 <= title.y0 and title.y1 <= whole.y1
        for part in fig.axes:  # the map and its colour bar, with its ticks and label, inside the figure
            box = part.get_tightbbox()
            assert whole.x0 - 1 <= box.x0 and box.x1 <= whole.x1 + 1 and whole.y0 - 1 <= box.y0, (part, box)
        assert "by ITU region" in ax.title.get_text() and "A The Americas" in ax.title.get_text()
        tile_points = (ax.transData.transform((1, 0)) - ax.transData.transform((0, 0)))[0] * 72 / fig.dpi
        assert tile_points * LABEL_BOX[1] >= 6  # the codes' capitals at least 6 pt high, as a 8–9 pt font's
