"""The conference in a browser, for a seminar: choose, run, step through sessions, debrief.

Served by ``wcitsim teach`` (``solara run wcitsim.teach.page``). Every number comes
from the same library functions as the command line: :func:`wcitsim.run_scenario`,
:mod:`wcitsim.teach.gametheory`, :mod:`wcitsim.teach.handout`. The page's state and
actions are in :mod:`~wcitsim.teach.page_state`, its controls in
:mod:`~wcitsim.teach.page_controls`, its panels in :mod:`~wcitsim.teach.page_panels`
and :mod:`~wcitsim.teach.page_figures`. The layout stacks on a phone (one column) and
puts the controls beside the results from 960 px up.
"""

from __future__ import annotations

import solara

from wcitsim.data import Facts
from wcitsim.teach import page_state as st
from wcitsim.teach.page_controls import ConferenceCard, DelegationCard, HandoutCard, SessionStepper
from wcitsim.teach.page_figures import DraftFigure, IssueMap, SessionFigures, SignMap
from wcitsim.teach.page_panels import Draft, GamePanel, Record

__all__ = ["CSS", "Page"]

CSS = """
.wcit-page { padding: 8px 12px; max-width: 100%; overflow-wrap: break-word; }
.wcit-page .v-card { margin: 0 0 12px 0 !important; max-width: 100%; }
.wcit-page .v-card__title { word-break: normal; }
.wcit-page .v-input__slider .v-input__slot { flex-wrap: wrap; }
.wcit-page .v-input__slider .v-input__slot > .v-label { flex: 1 0 100%; max-width: 100%; height: auto;
  white-space: normal; margin: 0 0 2px 0; }
.wcit-hint { font-size: 0.8rem; line-height: 1.3; color: rgba(0, 0, 0, 0.68); margin: -4px 0 10px 0; }
p.wcit-hint { margin: 6px 0 12px 0; }
.wcit-buttons { flex-wrap: wrap; }
.wcit-wide { width: 100%; margin: 4px 0 8px 0; }
.wcit-session { font-size: 1.15rem; margin-bottom: 8px; color: rgba(0, 0, 0, 0.87); }
.wcit-figure { margin: 8px 0 24px 0; max-width: 100%; }
.wcit-frame { position: relative; width: 100%; max-width: 760px; }
.wcit-figure img { display: block; width: 100%; height: auto; }
.wcit-mark { position: absolute; width: 0; border-left: 2px dotted #222; pointer-events: none; }
.wcit-figure figcaption { font-size: 0.85rem; color: rgba(0, 0, 0, 0.7); max-width: 760px; }
.wcit-map .wcit-frame { max-width: 1100px; }
.wcit-map-narrow, .wcit-map-phone { display: none; }
.wcit-map-narrow .wcit-frame { max-width: 680px; }
.wcit-table { max-width: 100%; overflow-x: auto; }
.wcit-table table { border-collapse: collapse; font-size: 0.9rem; margin: 4px 0 12px 0; }
.wcit-table th, .wcit-table td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left;
  vertical-align: top; }
.wcit-table td:first-child { white-space: nowrap; }
.wcit-page h1 { font-size: 1.8rem; line-height: 1.2; margin: 4px 0 8px 0; }
.wcit-page h3 { margin: 16px 0 6px 0; }
@media (min-width: 960px) { .wcit-stepper { position: sticky; top: 0; z-index: 2; } }
@media (max-width: 1263px) { .wcit-map { display: none; } .wcit-map-narrow { display: block; } }
@media (max-width: 599px) { .wcit-map-narrow { display: none; } .wcit-map-phone { display: block; } }
"""


def _introduction(facts: Facts) -> str:
    """The page's heading and first paragraph (HTML), with the record's split from ``facts``."""
    return (
        f"<h1>WCIT-12, Dubai 2012</h1><p>Of the {facts.eligible} states with signing rights, {facts.signed} signed "
        f"the revised International Telecommunication Regulations and {facts.not_signed} did not. Choose the "
        "conference's rules and run it; then step through its sessions.</p>"
    )


@solara.component
def Page():
    solara.Title("wcitsim: WCIT-12 in class")
    solara.Style(CSS)
    with solara.ColumnsResponsive(default=12, medium=[4, 8], large=[3, 9], classes=["wcit-page"]):
        with solara.Column(gap="0px"):
            ConferenceCard()
            DelegationCard()
            HandoutCard()
        with solara.Column(gap="0px"):
            solara.HTML(tag="div", unsafe_innerHTML=_introduction(st.FACTS))
            if st.error.value:
                solara.Error(st.error.value)
            r = st.result.value
            if r is None:
                solara.Info("Press “Run to the deadline”.")
                return
            Record(r)
            SessionStepper()
            with solara.ColumnsResponsive(default=12, xlarge=[5, 7], gutters_dense=True):
                Draft(r)
                DraftFigure(r)
            SessionFigures(r)
            SignMap(r)
            IssueMap(r)
            GamePanel(r)
