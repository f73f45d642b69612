"""The coverage report's numbers, computed independently from the files."""

from __future__ import annotations

import csv

from wcitsim.data import default_data_dir, load_dataset
from wcitsim.data.coverage import coverage_report


def _rows(name: str) -> list[dict[str, str]]:
    with open(default_data_dir() / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_report_counts_match_a_plain_reading_of_the_files():
    report = coverage_report(load_dataset())
    record = _rows("wcit2012_record.csv")
    states = _rows("states.csv")
    assert report["states"] == len(states) == 193
    assert report["record_rows"] == len(record)
    for status in ("signed", "not_signed", "unknown"):
        assert report["decisions"][status] == sum(r["decision"] == status for r in record)
    region = {s["iso3"]: s["itu_region"] or "unassigned" for s in states}
    for key, counts in report["by_region"].items():
        members = [r for r in record if region.get(r["iso3"], "not_a_member") == key]
        assert sum(counts.values()) == len(members)


def test_report_relates_known_decisions_to_the_totals():
    t = coverage_report(load_dataset())["totals"]
    assert (t["known_signed"], t["known_not_signed"], t["known"]) == (56, 44, 100)
    assert (t["unknown_signed"], t["unknown_not_signed"]) == (33, 11)
    assert t["no_signing_right"] == 193 - 144
    # The unknown rows are the unplaced signatories and non-signatories, the
    # Member States without signing rights and the non-member rows.
    unknown = t["unknown_member_states"] + t["unknown_non_members"]
    assert unknown == t["unknown_signed"] + t["unknown_not_signed"] + t["no_signing_right"] + 1


def test_report_confidence_and_region_fill():
    report = coverage_report(load_dataset())
    assert report["by_confidence"]["bloc_statement"] == {"not_signed": 15}
    assert report["by_confidence"]["named"] == {"signed": 54, "not_signed": 29}
    region = report["itu_region"]
    assert region["filled"] + len(region["blank"]) == 193
    assert sum(region["by_basis"].values()) == 193
    assert region["why_blank"]


def test_missing_lists_name_the_states_left_blank():
    missing = coverage_report(load_dataset())["missing"]
    assert missing["internet_users_pct_2012"] == ["LKA", "NRU", "SDN", "SMR", "SSD", "VAT"]
    assert "sco_status" not in missing  # a blank there means "not in the SCO"
