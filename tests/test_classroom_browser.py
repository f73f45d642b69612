"""A class role play in real browsers: a teacher and three delegations (one a team of two), offline.

Playwright drives Debian's Chromium with one browser context per person, every
host but 127.0.0.1 unresolvable. They join, claim, negotiate two sessions, vote,
sign and debrief; a student reloads and keeps the seat; the teacher frees a seat; a
forged request for another delegation is refused. Screenshots go to results/test-artifacts/
(class-1-teacher.png, class-2-student.png, class-3-debrief.png).

Then the pages at a phone's 390 px and 1000, 1440 and 1920 px: the teacher's desk, a
student's page and the debrief page fit the width (no sideways scrolling, of the page or of a
table in its card), name each delegation once, mark the current session, explain their terms,
and come back on their own after the server is killed and resumed, the turn's clock as it was;
no console error, no failed request.
Screenshots: results/screenshots/class_<page>_<width>.png.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from wcitsim.teach.classroom.drill import ClassServer

pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "results" / "test-artifacts"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "results" / "screenshots"
WIDTHS = (390, 1000, 1440, 1920)
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]  # fmt: skip


def test_a_teacher_and_three_delegations_play_a_short_conference(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = ClassServer(tmp_path, "--sessions", "2", "--time-limit", "600")
    outside, failed, keyed = [], [], []
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

            def person():
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.on(
                    "request",
                    lambda r: outside.append(r.url) if not r.url.startswith(server.address) else None,
                )
                page.on(
                    "requestfailed",
                    lambda r: None if "ERR_ABORTED" in (r.failure or "") else failed.append(r.url),
                )
                page.on("request", lambda r: keyed.append(r.url) if server.key in r.url else None)
                return page

            teacher = person()
            teacher.goto(f"{server.address}teacher?key={server.key}")
            teacher.get_by_text(server.code, exact=True).wait_for()
            assert teacher.url == f"{server.address}teacher"  # the key left the address bar for a cookie
            # everyone here is on this one machine: let it claim the four delegations below
            teacher.get_by_label("Delegations one device may claim").fill("4")
            teacher.locator("#set-per-device").click()
            teacher.wait_for_function(
                "async () => (await (await fetch('/api/teacher')).json()).per_device === 4"
            )

            students = {}
            for iso in ("USA", "CHN", "KEN"):
                page = person()
                page.goto(server.address)
                page.get_by_label("join code").fill(server.code)
                page.get_by_role("button", name="Show delegations").click()
                page.get_by_label("find a delegation").fill(iso)
                page.get_by_role("button", name=f"Claim {iso}").click()
                page.get_by_role("heading", name="Briefing card: your capital's instructions").wait_for()
                students[iso] = page
            # a taken delegation cannot be claimed twice
            late = person()
            late.goto(server.address)
            late.get_by_label("join code").fill(server.code)
            late.get_by_role("button", name="Show delegations").click()
            late.get_by_label("find a delegation").fill("USA")
            assert late.get_by_role("button", name="Claim USA").count() == 0
            # a student who leaves: the teacher frees the seat and the page falls back to joining
            late.get_by_label("find a delegation").fill("BRA")
            late.get_by_role("button", name="Claim BRA").click()
            late.get_by_role("heading", name="Briefing card: your capital's instructions").wait_for()
            teacher.get_by_text("Delegations played by students (4)").wait_for()
            teacher.get_by_role("button", name="Free BRA").click()
            late.get_by_text("unknown seat code").wait_for()
            late.get_by_role("button", name="Join the team").wait_for()
            # ... but a teammate can share one with its seat code
            seat_line = students["KEN"].locator("#seatline").inner_text()
            ken_seat = seat_line.split("Seat code ")[1].split()[0]
            late.get_by_label("seat code").fill(ken_seat)
            late.get_by_role("button", name="Join the team").click()
            late.locator("#title", has_text="Kenya (KEN)").wait_for()
            late.locator("#briefing th", has_text="ATU position").wait_for()  # Kenya's card, not Brazil's
            teacher.get_by_text("Delegations played by students (3)").wait_for()
            # a team of two on one machine: a device counts once, however often it joins
            # (devices of their own count: test_classroom_server.py)
            teacher.locator("#seats tr", has_text="Kenya (KEN)").get_by_text("1", exact=True).wait_for()

            teacher.get_by_role("button", name="Start the conference").click()
            for page in students.values():
                page.get_by_role("heading", name="Session 1 of 2: the chair's draft").wait_for()
            students["USA"].get_by_label("position on internet").select_option("0")
            students["CHN"].get_by_label("position on internet").select_option("2")
            late.get_by_label("position on security").select_option("2")  # the KEN teammate acts
            for page in (students["USA"], students["CHN"], late):
                page.get_by_role("button", name="Submit positions").click()
                page.get_by_text("submitted (8 clauses)").wait_for()
            students["KEN"].get_by_text("submitted (8 clauses)").wait_for()  # the team sees it
            # a reload keeps the seat and the submission
            students["USA"].reload()
            students["USA"].get_by_text("submitted (8 clauses)").wait_for()
            assert students["USA"].get_by_label("position on internet").input_value() == "0"
            # the page's own request, forged for another delegation, is refused
            forged = students["USA"].evaluate(
                """async () => { const seat = localStorage.getItem("wcitsim-seat");
                   const r = await fetch("/api/move", {method: "POST", body: JSON.stringify({seat, iso3: "CHN", positions: {internet: 1}})});
                   return [r.status, (await r.json()).error]; }"""
            )
            assert forged[0] == 403 and "cannot act for 'CHN'" in forged[1]
            teacher.locator("#seats td", has_text="✓").first.wait_for()
            teacher.screenshot(path=str(ARTIFACTS / "class-1-teacher.png"), full_page=True)

            teacher.get_by_role("button", name="Close this session").click()
            students["USA"].get_by_role("heading", name="Session 2 of 2: the chair's draft").wait_for()
            students["USA"].get_by_role(
                "button", name="Submit positions"
            ).click()  # the others fall back to the model
            students["USA"].get_by_text("submitted (8 clauses)").wait_for()
            students["USA"].screenshot(path=str(ARTIFACTS / "class-2-student.png"), full_page=True)
            teacher.get_by_role("button", name="Close this session").click()

            for iso, page in students.items():
                page.get_by_role("heading", name="The vote: clauses without consensus").wait_for()
                vote = page.locator("select[id^=vote-]").first
                vote.select_option("no" if iso == "USA" else "yes")
                page.get_by_role("button", name="Submit votes").click()
                page.get_by_text(re.compile(r"submitted \(\d+ clauses?\)")).wait_for()
            teacher.get_by_role("button", name="Close the vote").click()

            for iso, page in students.items():
                page.get_by_role(
                    "heading", name="The Final Acts: sign, or stay under the 1988 rules?"
                ).wait_for()
                page.get_by_role(
                    "button", name="Do not sign" if iso == "USA" else "Sign the Final Acts"
                ).click()
                page.get_by_text("submitted: " + ("do not sign" if iso == "USA" else "sign")).wait_for()
            teacher.get_by_role("button", name="Close the signing").click()

            teacher.get_by_role(
                "heading", name="Debrief: the class, the model alone (same seed) and history"
            ).wait_for()
            teacher.get_by_role("button", name="Show the debrief to students").click()
            for iso, page in students.items():
                page.get_by_role(
                    "heading", name="Debrief: the class, the model alone (same seed) and history"
                ).wait_for()
                page.get_by_text(
                    f"Your delegation {'did not sign' if iso == 'USA' else 'signed'} the Final Acts."
                ).wait_for()
            rows = students["CHN"].locator("#debrief tr").all_inner_texts()
            usa = next(r for r in rows if r.startswith("United States (USA)"))
            assert "did not sign" in usa.split("\t")[6]  # the class column: the student's decision
            students["CHN"].locator("img[alt='debrief figure']").wait_for()
            teacher.screenshot(path=str(ARTIFACTS / "class-3-debrief.png"), full_page=True)
            for page in [teacher, late, *students.values()]:
                assert "Traceback" not in page.inner_text("body")
            handout = browser.new_page()  # the saved debrief page works on its own, from a file
            handout.goto((tmp_path / server.code / "debrief.html").as_uri())
            handout.get_by_role("heading", name="Student delegations").wait_for()
            assert handout.locator("svg").count() >= 1
            browser.close()
    finally:
        server.stop()
    assert not outside, outside[:5]
    assert keyed == [f"{server.address}teacher?key={server.key}"], (
        keyed
    )  # only the address the teacher opened
    assert not failed, failed[:5]
    saved = json.loads((tmp_path / server.code / "class.json").read_text())
    assert [r["step"] for r in saved["history"]] == ["session", "session", "vote", "sign"]
    assert saved["history"][-1]["signatures"] == {"USA": False, "CHN": True, "KEN": True}
    assert (tmp_path / server.code / "delegations.csv").exists()


def _fits(page, width: int, what: str) -> None:
    """``page`` at ``width`` px: nothing wider than the window, no table wider than its card (no scrolling)."""
    page.set_viewport_size({"width": width, "height": 900})
    wide, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, f"{what} at {width} px is {wide} px wide"
    scrolled = page.evaluate(
        """() => [...document.querySelectorAll(".scroll")]
             .filter((e) => e.offsetParent && e.scrollWidth > e.clientWidth)
             .map((e) => `${e.closest("section").querySelector("h2").textContent}: ${e.scrollWidth} > ${e.clientWidth}`)"""
    )
    assert not scrolled, f"{what} at {width} px: tables wider than their cards: {scrolled}"


def test_the_class_pages_fit_every_width_and_come_back_after_a_crash(tmp_path):
    from wcitsim.teach.classroom.glossary import GLOSSARY
    from wcitsim.teach.classroom.server import HEARTBEAT_SECONDS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    server = ClassServer(tmp_path, "--sessions", "2", "--time-limit", "600")
    problems, down = [], [False]  # console errors and failed requests; while the server is down, expected

    def watch(page):
        def note(text: str) -> None:
            if not down[0]:
                problems.append(text)

        page.on("console", lambda m: note(f"console {m.text} at {m.location}") if m.type == "error" else None)
        page.on("requestfailed", lambda r: note(f"failed {r.url} {r.failure}"))
        page.on("response", lambda r: note(f"{r.status} {r.url}") if r.status >= 400 else None)
        return page

    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            teacher = watch(browser.new_context(viewport={"width": 1440, "height": 900}).new_page())
            teacher.goto(f"{server.address}teacher?key={server.key}")
            teacher.get_by_text(server.code, exact=True).wait_for()
            student = watch(browser.new_context(viewport={"width": 1440, "height": 900}).new_page())
            student.goto(server.address)
            student.get_by_label("join code").fill(server.code)
            student.get_by_role("button", name="Show delegations").click()
            student.get_by_label("find a delegation").fill("USA")
            student.get_by_role("button", name="Claim USA").click()
            student.locator("#title", has_text="United States (USA)").wait_for()
            # the same device, on a phone, asks for a second delegation: Find leaves one row, and the refusal
            # stays on the page above the list drawn again, which keeps what was typed in Find
            again = student.context.new_page()  # not watched: its 409 is the point
            again.set_viewport_size({"width": 390, "height": 800})
            again.goto(server.address)
            again.evaluate("localStorage.removeItem('wcitsim-seat')")
            again.reload()
            again.get_by_label("join code").fill(server.code)
            again.get_by_role("button", name="Show delegations").click()
            again.get_by_label("find a delegation").fill("kenya")
            assert again.locator("#delegations tr[data-find]:visible").count() == 1
            again.get_by_role("button", name="Claim KEN").click()
            again.locator("#message", has_text="this device already claimed USA").wait_for()
            assert again.locator("#delegations tr[data-find]:visible").count() == 1
            again.close()
            teacher.get_by_role("button", name="Start the conference").click()
            student.get_by_role("heading", name="Session 1 of 2: the chair's draft").wait_for()
            teacher.locator("#seats", has_text="United States (USA)").wait_for()
            student.locator("#signatures dt").first.wait_for()

            # the briefing card explains itself: names, the glossary, the group by its chance of signing
            assert student.locator("#title").inner_text() == "United States (USA)"
            assert "USA USA" not in teacher.inner_text("body") and "USA (USA)" not in student.inner_text(
                "body"
            )
            art5a = student.locator("#briefing abbr", has_text="Art. 5A").first.get_attribute("title")
            assert art5a.startswith("The new article on the security and robustness of networks")
            assert (
                student.locator("#briefing th abbr", has_text="CITEL")
                .get_attribute("title")
                .startswith("The Inter-American Telecommunication Commission")
            )
            assert student.locator("#terms dt").count() == len(GLOSSARY)
            groups = student.locator("#signatures dt").all_inner_texts()
            assert [g.split(" (")[0] for g in groups] == ["Likely to sign", "Undecided", "Unlikely to sign"]
            assert "United States (USA)" in student.inner_text("#signatures")
            for width in WIDTHS:
                for name, page in (("teacher", teacher), ("student", student)):
                    _fits(page, width, name)
                    assert page.locator("#track [aria-current=step]").inner_text() == "1"  # session 1 of 2
                    page.screenshot(path=str(SCREENSHOTS / f"class_{name}_{width}.png"), full_page=True)

            # a crash: the pages say the server cannot be reached, then pick up where they were
            left = "async () => (await (await fetch('/api/public')).json()).time_left"
            asked = time.monotonic()
            before = student.evaluate(left)
            down[0] = True
            server.kill()
            killed = time.monotonic()
            saved = json.loads((tmp_path / server.code / "class.json").read_text())["remaining"]
            for page in (teacher, student):
                page.locator("#offline").wait_for(state="visible")
            time.sleep(max(0.0, killed + 2.0 - time.monotonic()))  # down long enough to show a running clock
            resumed = time.monotonic()
            server = ClassServer(tmp_path, "--resume", server.code, port=server.port)
            for page in (teacher, student):
                page.locator("#offline").wait_for(state="hidden")
            down[0] = False
            assert student.locator("#track [aria-current=step]").inner_text() == "1"
            after, up = student.evaluate(left), time.monotonic() - resumed
            # the class file held the time left at the kill, give or take a heartbeat; the resumed clock runs
            # on from it only since the server is up again (``up``, the pages' next polls included): a clock
            # that ran on while the server was down would show 2 s less
            assert before - (killed - asked) - 0.05 <= saved <= before + HEARTBEAT_SECONDS + 0.5, before
            assert saved - up - 0.05 <= after <= saved + 0.05, (saved, after, up)

            # the end: the debrief on the desk, on the student's page and as the page to hand out
            teacher.evaluate(
                """async () => { for (let i = 0; i < 6; i++) {
                     const r = await (await fetch("/api/teacher/advance", {method: "POST", body: "{}"})).json();
                     if (r.phase === "done") return; } }"""
            )
            teacher.get_by_role("heading", name="Student delegations").wait_for()
            teacher.get_by_role("button", name="Show the debrief to students").click()
            student.get_by_role("heading", name="Student delegations").wait_for()
            assert student.get_by_text("The debrief appears here when the teacher opens it").count() == 0
            for width in WIDTHS:
                for name, page in (("teacher", teacher), ("student", student)):
                    _fits(page, width, f"{name} (debrief)")
                    assert page.locator("#track [aria-current=step]").inner_text() == "Debrief"
            assert "won / lost (utility)" in teacher.inner_text("#debrief")
            handout = watch(browser.new_page())
            handout.goto((tmp_path / server.code / "debrief.html").as_uri())
            handout.get_by_role("heading", name="Student delegations").wait_for()
            assert handout.locator("#debrief abbr[title]").count() > 0  # the glossary travels with the page
            for width in WIDTHS:
                _fits(handout, width, "debrief page")
                handout.screenshot(path=str(SCREENSHOTS / f"class_debrief_{width}.png"), full_page=True)
            browser.close()
    finally:
        server.stop()
    assert not problems, problems[:5]
    stopped = [line for line in server.output if "stopped" in line]  # a finished class needs no resuming
    assert stopped == [f"wcitsim class {server.code} stopped after the signing (the conference is over); "
                       f"saved in {tmp_path / server.code}\n"], server.output  # fmt: skip
