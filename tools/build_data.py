"""Write wcitsim's data files from the compiled reference facts.

This script documents, reproducibly, how ``wcitsim/data/`` was produced from
the reference compilation (``shared/reference/``).  The package never runs it
and never reads the reference at run time; the files it writes are committed.

It makes exactly two additions to the reference, both documented in
``wcitsim/data/SOURCES.md``:

* ``itu_region`` for the states the reference leaves blank, by the ITU's own
  geographic definition of its five administrative regions, applied only where
  geography settles it (``itu_region_basis`` says which rows are listed by a
  source and which follow the definition);
* ``apt``: membership of the Asia-Pacific Telecommunity, from the APT's list
  of its Members.

Usage:  python tools/build_data.py ../shared/reference wcitsim/data
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

# APT Members (Asia-Pacific Telecommunity, "APT Members", apt.int): 38 Members,
# of which Palau is not an ITU Member State.  Timor-Leste is left blank: its
# membership date could not be placed before or after December 2012.
APT_MEMBERS = [
    "AFG",
    "AUS",
    "BGD",
    "BTN",
    "BRN",
    "KHM",
    "CHN",
    "PRK",
    "FJI",
    "IND",
    "IDN",
    "IRN",
    "JPN",
    "KIR",
    "KOR",
    "LAO",
    "MYS",
    "MDV",
    "MHL",
    "FSM",
    "MNG",
    "MMR",
    "NRU",
    "NPL",
    "NZL",
    "PAK",
    "PNG",
    "PHL",
    "WSM",
    "SGP",
    "SLB",
    "LKA",
    "THA",
    "TON",
    "TUV",
    "VUT",
    "VNM",
]
APT_UNSETTLED = {"TLS": "APT membership date not established for December 2012"}

# ITU administrative regions (ITU Constitution/Convention practice, Council
# elections): A The Americas, B Western Europe, C Eastern Europe and Northern
# Asia, D Africa, E Asia and Australasia.  Geography settles these rows.
WESTERN_EUROPE = [
    "AUT",
    "BEL",
    "DNK",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "IRL",
    "ITA",
    "LUX",
    "NLD",
    "PRT",
    "ESP",
    "SWE",
    "GBR",
    "ISL",
    "LIE",
    "NOR",
    "CHE",
    "AND",
    "MCO",
    "SMR",
    "VAT",
    "MLT",
]
ASIA_AUSTRALASIA_EXTRA = ["IRQ", "JOR", "LBN", "SYR", "YEM", "OMN", "QAT", "TLS"]
REGION_UNSETTLED = {
    iso: "Central/Eastern European state on the Region B/C boundary "
    "(Hungary is listed in B, the Czech Republic in C); not listed by a source"
    for iso in ["ALB", "BIH", "HRV", "MKD", "MNE", "SRB", "SVK", "SVN", "EST", "LVA"]
}
REGION_UNSETTLED |= {
    "CYP": "Eastern Mediterranean state; not listed by a source",
    "ISR": "Western Asian state outside the Arab group; not listed by a source",
    "MNG": "Asia, but 'Northern Asia' belongs to Region C; not listed by a source",
}


def complete_regions(states: pd.DataFrame) -> pd.DataFrame:
    """Fill ``itu_region`` by the regions' geographic definition."""
    out = states.copy()
    listed = out["itu_region"] != ""
    out["itu_region_basis"] = listed.map({True: "listed", False: ""})
    rule = pd.Series("", index=out.index)
    rule[out["oas"] == "1"] = "A"
    rule[(out["african_union"] == "1") | (out["iso3"] == "MAR")] = "D"
    rule[out["rcc"] == "1"] = "C"
    rule[out["iso3"].isin(WESTERN_EUROPE)] = "B"
    rule[out["iso3"].isin(APT_MEMBERS + ASIA_AUSTRALASIA_EXTRA)] = "E"
    rule[out["gcc"] == "1"] = "E"
    clash = listed & (rule != "") & (rule != out["itu_region"])
    if clash.any():
        raise SystemExit(f"rule contradicts a listed region: {out.loc[clash, 'iso3'].tolist()}")
    fill = ~listed & (rule != "") & ~out["iso3"].isin(REGION_UNSETTLED)
    out.loc[fill, "itu_region"] = rule[fill]
    out.loc[fill, "itu_region_basis"] = "definition"
    left = out["itu_region"] == ""
    out.loc[left, "itu_region_basis"] = "unsettled"
    unexplained = set(out.loc[left, "iso3"]) - set(REGION_UNSETTLED)
    if unexplained:
        raise SystemExit(f"regions left blank without a reason: {sorted(unexplained)}")
    return out


def complete_apt(states: pd.DataFrame) -> pd.DataFrame:
    out = states.copy()
    out["apt"] = out["iso3"].isin(APT_MEMBERS).map({True: "1", False: "0"})
    out.loc[out["iso3"].isin(APT_UNSETTLED), "apt"] = ""
    return out


def main(reference: Path, target: Path) -> None:
    states = pd.read_csv(reference / "country_attributes.csv", dtype=str, keep_default_na=False)
    states = complete_apt(complete_regions(states))
    cols = list(states.columns)
    cols.insert(cols.index("itu_region") + 1, cols.pop(cols.index("itu_region_basis")))
    states[cols].to_csv(target / "states.csv", index=False, lineterminator="\n")

    record = pd.read_csv(reference / "wcit_record.csv", dtype=str, keep_default_na=False)
    record = record.rename(columns={"decision_14dec2012": "decision"})
    record["source"] = record["source"].replace(
        "see evidence and wcit_facts.md source tags", "see evidence; source tags in SOURCES.md"
    )
    record.to_csv(target / "wcit2012_record.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
