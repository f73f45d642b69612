"""WcitModel in Mesa's own browser view (SolaraViz): step the conference session by session.

    solara run wcitsim.teach.mesa_view

This is the view a Mesa user expects: the model's controls (step, play, reset),
its parameters, and plots of its DataCollector. The seminar page
(:mod:`wcitsim.teach.page`, ``wcitsim teach``) stays a page of its own: it
compares 200 replications with the record, draws the map and the game-theory
panel and writes the handout, which a single stepped model cannot show; it uses
matplotlib only, so it works offline in a classroom.
"""

from __future__ import annotations

from mesa.visualization import SolaraViz, make_plot_component

from wcitsim.io.scenario import shipped_scenarios
from wcitsim.model import WcitModel

__all__ = ["make_page", "page"]

MODEL_PARAMS = {
    "scenario": {
        "type": "Select",
        "value": "wcit2012",
        "values": sorted(shipped_scenarios()),
        "label": "scenario",
    },
    "rng": {"type": "InputText", "value": 1, "label": "seed"},
    "protocol.concession": {
        "type": "SliderFloat",
        "value": 0.3,
        "min": 0.0,
        "max": 1.0,
        "step": 0.05,
        "label": "deadline pressure (concession)",
    },
}


def make_page(model: WcitModel | None = None):
    """SolaraViz of ``model`` (default: the baseline, seed 1): projected signatories, polarization, cohesion."""
    model = model or WcitModel(scenario="wcit2012", rng=1)
    components = [
        make_plot_component(["projected"], backend="matplotlib"),
        make_plot_component(["bipolarity_table", "er_groups_table", "cohesion_table"], backend="matplotlib"),
    ]
    return SolaraViz(model, components=components, model_params=MODEL_PARAMS, name="WCIT-12, Dubai 2012")


page = make_page()
