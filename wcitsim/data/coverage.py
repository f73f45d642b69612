"""What the data cover: decisions known by status, confidence and region; missing covariates.

Pure functions over a :class:`~wcitsim.data.Dataset`; the CLI prints the result.
"""

from __future__ import annotations

import math

import pandas as pd

from wcitsim.data import Dataset
from wcitsim.data.schema import STATES_COLUMNS

__all__ = ["UNASSIGNED", "coverage_report"]

UNASSIGNED = "unassigned"
STATUSES = ("signed", "not_signed", "unknown")


def _counts(values: pd.Series, keys: tuple[str, ...] = STATUSES) -> dict[str, int]:
    return {key: int((values == key).sum()) for key in keys}


def _missing(states: pd.DataFrame) -> dict[str, list[str]]:
    out = {}
    details = {c.name for c in STATES_COLUMNS if c.detail}
    for column in states.columns.drop(list(details), errors="ignore"):
        blank = states[column].map(lambda v: v == "" or (isinstance(v, float) and math.isnan(v)))
        if blank.any():
            out[column] = sorted(states.index[blank])
    return out


def coverage_report(data: Dataset) -> dict:
    """Summarise what the data cover, as a JSON-ready dict.

    Keys: ``states``, ``record_rows``, ``decisions`` (by status), ``by_confidence``
    (status counts per confidence), ``by_region`` (status counts per ITU region,
    ``unassigned`` for a blank region, ``not_a_member`` for record rows outside
    the Member States), ``itu_region`` (filled, by basis, blank), ``apt``,
    ``missing`` (per covariate, the ISO3 codes left blank) and ``totals`` (how
    the known decisions relate to the firm totals).
    """
    states, record, facts = data.states, data.record, data.facts
    region = states["itu_region"].replace("", UNASSIGNED).reindex(record.index).fillna("not_a_member")
    by_region = {
        key: _counts(record.loc[region == key, "decision"])
        for key in sorted(region.unique(), key=lambda r: (len(r) > 1, r))
    }
    known = record[record["decision"] != "unknown"]
    by_confidence = {
        conf: {k: v for k, v in _counts(known.loc[known["confidence"] == conf, "decision"]).items() if v}
        for conf in sorted(known["confidence"].unique())
    }
    decisions = _counts(record["decision"])
    non_members = [iso for iso in record.index if iso not in states.index]
    unknown_members = decisions["unknown"] - sum(record.loc[non_members, "decision"] == "unknown")
    totals = {
        "itu_member_states": facts.itu_member_states,
        "eligible": facts.eligible,
        "signed": facts.signed,
        "not_signed": facts.not_signed,
        "no_signing_right": facts.no_signing_right,
        "known_signed": decisions["signed"],
        "known_not_signed": decisions["not_signed"],
        "known": decisions["signed"] + decisions["not_signed"],
        "unknown_signed": facts.signed - decisions["signed"],
        "unknown_not_signed": facts.not_signed - decisions["not_signed"],
        "unknown_member_states": int(unknown_members),
        "unknown_non_members": len(non_members),
    }
    basis = states["itu_region_basis"]
    return {
        "data_dir": str(data.directory),
        "states": len(states),
        "record_rows": len(record),
        "record_non_members": non_members,
        "decisions": decisions,
        "by_confidence": by_confidence,
        "by_region": by_region,
        "itu_region": {
            "filled": int((states["itu_region"] != "").sum()),
            "by_basis": {b: int((basis == b).sum()) for b in ("listed", "definition", "unsettled")},
            "blank": sorted(states.index[states["itu_region"] == ""]),
            "why_blank": "neither an ITU election source nor the regions' geographic definition "
            "places these states (SOURCES.md, 'ITU administrative region')",
        },
        "apt": {
            "members": int((states["apt"] == 1).sum()),
            "blank": sorted(states.index[states["apt"].isna()]),
        },
        "missing": _missing(states),
        "totals": totals,
    }
