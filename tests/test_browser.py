"""A whole seminar in a real browser (Playwright driving Debian's Chromium), with the outside network blocked.

Screenshots are saved under results/test-artifacts/ (seminar-1-run.png, seminar-2-debrief.png).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("solara")
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "results" / "test-artifacts"


def test_a_whole_seminar_offline(teach_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside, failed = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on(
            "request",
            lambda r: (
                outside.append(r.url) if "127.0.0.1" not in r.url and not r.url.startswith("data:") else None
            ),
        )
        page.on(
            "requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else failed.append(r.url)
        )
        page.goto(teach_server)
        page.get_by_role("button", name="Run to the deadline").wait_for(timeout=60_000)
        # change a parameter: the chair's drafting policy
        page.get_by_text("median", exact=True).first.click()
        page.locator(".v-menu__content").get_by_text("compromise", exact=True).click()
        page.get_by_role("button", name="Run to the deadline").click()
        page.get_by_text("Against the record").wait_for(timeout=90_000)
        page.get_by_text("Game theory").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "seminar-1-run.png"), full_page=True)
        page.get_by_role("button", name="Session 1").click()
        page.get_by_text("after session 1 of").wait_for(timeout=30_000)
        page.get_by_role("button", name="Step", exact=True).click()
        page.get_by_text("after session 2 of").wait_for(timeout=30_000)
        page.get_by_role("button", name="Debrief handout").click()
        page.get_by_text("Handout written to").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "seminar-2-debrief.png"), full_page=True)
        assert "Traceback (most recent call last)" not in page.inner_text("body")
        browser.close()
    assert not outside, outside[:5]
    assert not failed, failed[:5]
