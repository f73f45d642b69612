"""A whole seminar in a real browser (Playwright driving Debian's Chromium), with the outside network blocked.

One server, one run, four screen widths (a phone, a small laptop, a laptop, a projector's full HD).
At each width: the document never scrolls sideways, nothing but the tables' own boxes does, the session
shown is marked in words and on every per-session figure, the sliders show their values, the map drawn for
the width (five regions side by side, two to a row, one to a row on a phone) and its caption are whole, and no
console error or failed request has happened yet. Step scrolls nothing sideways. Screenshots of each width are
saved as results/screenshots/seminar_<width>.png.
"""

from __future__ import annotations

import re
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
SCREENSHOTS = ROOT / "results" / "screenshots"
WIDTHS = (390, 1000, 1440, 1920)

#: Per width: what scrolls sideways (the document, or a box other than a table's own), which figures show
#: and where their session lines stand, whether the map and the texts are whole, and the slider labels.
LAYOUT = """() => {
  const sideways = [];
  for (const e of document.querySelectorAll('*')) {
    const overflow = getComputedStyle(e).overflowX;
    if (['auto', 'scroll'].includes(overflow) && e.scrollWidth > e.clientWidth + 1 && !e.closest('.wcit-table'))
      sideways.push(e.tagName + '.' + String(e.className).slice(0, 40) + ' ' + e.scrollWidth + '>' + e.clientWidth);
  }
  const shown = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  const figures = [...document.querySelectorAll('figure[data-figure]')].filter(shown).map(f => {
    const img = f.querySelector('img'), box = img.getBoundingClientRect(), cap = f.querySelector('figcaption');
    const marks = [...f.querySelectorAll('.wcit-mark')].map(m => {
      const r = m.getBoundingClientRect();
      return [(r.left - box.left) / box.width, r.top >= box.top - 1 && r.bottom <= box.bottom + 1];
    });
    return {kind: f.dataset.figure, session: f.dataset.sessionMarker || null, marks,
            whole: box.left >= 0 && box.right <= innerWidth + 0.5 && img.naturalWidth > 0
                   && Math.abs(box.height / box.width - img.naturalHeight / img.naturalWidth) < 0.02,
            caption: cap ? cap.scrollWidth <= cap.clientWidth + 1 && cap.getBoundingClientRect().right <= innerWidth
                         : null};
  });
  const clipped = [...document.querySelectorAll('h1, h3, .wcit-session, .wcit-hint, .v-label')].filter(shown)
    .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth + 0.5)
    .map(e => e.textContent.slice(0, 40));
  const spill = [...document.querySelectorAll('.v-card .v-btn, .v-card .v-input, .v-card .wcit-hint')].filter(shown)
    .filter(e => e.getBoundingClientRect().right > e.closest('.v-card').getBoundingClientRect().right + 0.5)
    .map(e => e.textContent.slice(0, 40));
  const labels = [...document.querySelectorAll('.v-input__slider .v-label')].filter(shown).map(e => e.textContent);
  const scrolled = [...document.querySelectorAll('*')].filter(e => e.scrollLeft > 0)
    .map(e => e.tagName + '.' + String(e.className).slice(0, 40) + ' ' + e.scrollLeft);
  return {scroll: document.documentElement.scrollWidth, inner: innerWidth, sideways, scrolled, figures, clipped, spill,
          labels, left: scrollX,
          height: Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))};
}"""


def _launch(p):
    return p.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ],
    )  # fmt: skip


def _session(page) -> tuple[str, str]:
    stepper = page.get_by_test_id("session")
    return stepper.get_attribute("data-session"), stepper.get_attribute("data-sessions")


def test_a_whole_seminar_offline(teach_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    outside, failed, errors = [], [], []
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)  # fmt: skip
        page.on(
            "requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else failed.append(r.url)
        )
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(teach_server)
        page.get_by_role("button", name="Run to the deadline").wait_for(timeout=60_000)
        page.get_by_text("median", exact=True).first.click()  # a parameter: the chair's drafting policy
        page.locator(".v-menu__content").get_by_text("compromise", exact=True).click()
        page.get_by_role("slider").nth(2).focus()  # replications: the fewest, 5, keep the test quick
        page.keyboard.press("Home")
        page.get_by_text("replications: 5 runs").wait_for()
        page.get_by_role("button", name="Run to the deadline").click()
        page.get_by_text("At the deadline, against the record").wait_for(timeout=90_000)
        page.get_by_text("Game theory").wait_for(timeout=30_000)
        # at the deadline: session S of S, Step off with its reason
        first, total = _session(page)
        assert first == total and int(total) > 2
        assert page.get_by_role("button", name="Step").is_disabled()
        assert (
            page.get_by_test_id("step-reason")
            .inner_text()
            .startswith(f"Step is off: session {total} is the last")
        )
        page.get_by_role("button", name="Previous").click()
        page.get_by_text(f"after session {int(total) - 1} of {total}").wait_for(timeout=30_000)
        assert _session(page) == (str(int(total) - 1), total)
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"after session {total} of {total}").wait_for(timeout=30_000)
        stepped = page.evaluate(LAYOUT)
        assert not stepped["scrolled"] and stepped["left"] == 0, stepped["scrolled"]  # nothing sideways
        # the handout, as a download: one counterfactual
        page.get_by_text("counterfactuals (at most 2)").click()
        page.locator(".v-menu__content").get_by_text("consensus_rule", exact=True).click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Write the handout").click()
        with page.expect_download(timeout=90_000) as download:
            page.get_by_role("button", name="HTML").click()
        assert "Consensus instead of votes" in Path(download.value.path()).read_text(encoding="utf-8")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(400)
            layout = page.evaluate(LAYOUT)
            assert not errors and not failed, (width, errors[:3], failed[:3])  # nothing went wrong so far
            assert layout["scroll"] <= layout["inner"], (width, layout["scroll"])
            assert not layout["sideways"], (width, layout["sideways"])
            assert not layout["scrolled"] and layout["left"] == 0, (width, layout["scrolled"])
            assert not layout["clipped"], (width, layout["clipped"])
            assert not layout["spill"], (width, layout["spill"])  # nothing sticks out of its card
            shown = {f["kind"]: f for f in layout["figures"]}
            assert {"draft", "field", "signatures", "issues"} <= set(shown), (width, set(shown))
            maps = {"map", "map-narrow", "map-phone"} & set(shown)  # one map, the one drawn for the width
            drawn = "map-phone" if width < 600 else "map-narrow" if width < 1264 else "map"
            assert maps == {drawn}, (width, maps)
            for f in layout["figures"]:
                assert f["whole"] and f["caption"], (
                    width,
                    f,
                )  # the image (its title with it) and its caption
            for kind, panels in (("draft", 8), ("field", 1), ("signatures", 1)):
                marks = shown[kind]["marks"]
                assert shown[kind]["session"] == total and len(marks) == panels, (width, kind, shown[kind])
                assert all(0 < x < 1 and inside for x, inside in marks), (width, kind, marks)
            assert {"replications: 5 runs", "its position: 0.50", f"session: {total} (1 to {total})"} <= set(
                layout["labels"]
            )
            assert any(re.fullmatch(r"group cohesion: \d\.\d\d", label) for label in layout["labels"])
            assert any(re.fullmatch(r"deadline pressure: \d\.\d\d", label) for label in layout["labels"])
            page.set_viewport_size({"width": width, "height": min(layout["height"], 12_000)})
            page.wait_for_timeout(300)
            page.screenshot(path=str(SCREENSHOTS / f"seminar_{width}.png"), full_page=True)
        assert "Traceback (most recent call last)" not in page.inner_text("body")
        browser.close()
    assert not outside, outside[:5]
    assert not failed, failed[:5]
    assert not errors, errors[:5]
