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

ROOT = Path(__file__).resolve().parents[1]


def test_page_runs_steps_and_writes_a_debrief(tmp_path, monkeypatch):
    from wcitsim.teach import page

    monkeypatch.setattr(page, "ROOT", tmp_path)
    page.replications.value = 5
    page.result.value = None
    _, rc = solara.render(page.Page(), handle_error=False)
    rc.find(v.Btn, children=["Run to the deadline"]).widget.click()
    assert page.result.value is not None and page.session.value == page.result.value.world.sessions
    rc.find(v.Btn, children=["Session 1"]).widget.click()
    assert page.session.value == 1
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert page.session.value == 2
    page.compare.value = ["consensus_rule", "us_concedes"]
    rc.find(v.Btn, children=["Debrief handout"]).widget.click()
    handout = Path(page.handout_path.value).read_text(encoding="utf-8")
    assert "Consensus instead of votes" in handout and "The US concedes on security and spam" in handout


def test_teach_serves_the_page_with_local_assets_only(teach_server):
    with urllib.request.urlopen(teach_server, timeout=10) as response:
        html = response.read().decode()
    assert "solara" in html.lower()
    # every script and stylesheet is served from this machine (solara-assets): no CDN
    for marker in ("cdn.jsdelivr.net", "unpkg.com", "fonts.googleapis.com"):
        assert marker not in html, marker


def test_every_control_changes_the_scenario():
    from wcitsim.teach import page

    page.scenario_name.value = "wcit2012"
    page.policy.value, page.cohesion.value, page.concession.value = "majority", 0.7, 0.9
    page.dropped.value = ["internet"]
    page.delegate.value, page.delegate_clause.value, page.delegate_position.value = "USA", "security", 0.5
    scenario = page.configured()
    assert scenario.chair.policy == "majority"
    assert scenario.groups.cohesion["default"] == 0.7 and scenario.protocol.concession == 0.9
    assert "internet" not in [c.id for c in scenario.agenda.active]
    assert scenario.overrides["USA"].position == {"security": 0.5}
    page.scenario_name.value = "consensus_rule"
    assert page.configured().voting.rule == "consensus"
    page.delegate.value, page.dropped.value, page.policy.value = "", [], "median"


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
