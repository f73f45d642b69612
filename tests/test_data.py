"""The shipped data files and the loaders that validate them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wcitsim.data import load_dataset, load_facts
from wcitsim.errors import DataError


def test_shipped_data_loads_with_the_documented_counts():
    data = load_dataset()
    assert len(data.states) == 193
    assert data.states.index.is_unique
    counts = data.record["decision"].value_counts().to_dict()
    assert counts == {"signed": 52, "not_signed": 44, "unknown": 98}
    bloc = data.record[data.record["confidence"] == "bloc_statement"]
    assert len(bloc) == 15 and set(bloc["decision"]) == {"not_signed"}
    assert (data.facts.eligible, data.facts.signed, data.facts.not_signed) == (144, 89, 55)


def test_every_known_decision_carries_evidence_and_a_source():
    record = load_dataset().record
    known = record[record["decision"] != "unknown"]
    assert (known["evidence"].str.len() > 0).all()
    assert (known["source"].str.len() > 0).all()


def test_region_is_blank_only_where_the_basis_says_unsettled():
    states = load_dataset().states
    blank = states["itu_region"] == ""
    assert (states.loc[blank, "itu_region_basis"] == "unsettled").all()
    assert (states.loc[~blank, "itu_region_basis"] != "unsettled").all()
    # Listed regions come from sources: spot-check a few documented ones.
    assert states.loc[["USA", "DEU", "RUS", "KEN", "CHN"], "itu_region"].tolist() == list("ABCDE")


def test_every_column_is_documented_in_sources():
    data = load_dataset()
    sources = (data.directory / "SOURCES.md").read_text(encoding="utf-8")
    for column in list(data.states.columns) + list(data.record.columns):
        assert f"`{column}`" in sources, column


def _replace_cell(path: Path, iso3: str, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for i, line in enumerate(lines):
        if line.startswith(iso3 + ","):
            cells = line.split(",")
            cells[header.index(column)] = value
            lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _line_of(path: Path, iso3: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(iso3 + ","):
            return number
    raise AssertionError(iso3)


def test_text_in_a_numeric_column_names_file_line_and_column(data_copy):
    states = data_copy / "states.csv"
    _replace_cell(states, "FRA", "internet_users_pct_2012", "lots")
    with pytest.raises(DataError) as err:
        load_dataset(data_copy)
    message = str(err.value)
    assert str(states) in message
    assert f"line {_line_of(states, 'FRA')}" in message
    assert "internet_users_pct_2012" in message and "'lots'" in message and "number" in message


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("internet_users_pct_2012", "140", "in [0, 100]"),
        ("internet_users_pct_2012", "nan", "in [0, 100]"),
        ("eu", "2", "0, 1"),
        ("itu_region", "F", "one of A, B, C, D, E"),
        ("fh_status", "free", "one of F, PF, NF"),
        ("iso3", "fr", "ISO3"),
    ],
)
def test_bad_values_are_refused(data_copy, column, value, expected):
    _replace_cell(data_copy / "states.csv", "FRA", column, value)
    with pytest.raises(DataError, match=re.escape(expected)):
        load_dataset(data_copy)


def test_duplicate_iso3_is_refused(data_copy):
    states = data_copy / "states.csv"
    _replace_cell(states, "FRA", "iso3", "DEU")
    with pytest.raises(DataError, match="duplicate code 'DEU'"):
        load_dataset(data_copy)


def test_unknown_status_is_refused(data_copy):
    record = data_copy / "wcit2012_record.csv"
    _replace_cell(record, "FRA", "decision", "maybe")
    with pytest.raises(DataError, match=r"column 'decision': 'maybe'.*signed, not_signed, unknown"):
        load_dataset(data_copy)


def test_missing_column_is_refused(data_copy):
    states = data_copy / "states.csv"
    lines = states.read_text(encoding="utf-8").splitlines()
    cut = [",".join(line.split(",")[:-1]) for line in lines]  # drops foc_2012
    states.write_text("\n".join(cut) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column 'foc_2012'"):
        load_dataset(data_copy)


def test_truncated_row_is_refused(data_copy):
    states = data_copy / "states.csv"
    text = states.read_text(encoding="utf-8")
    states.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataError, match="truncated"):
        load_dataset(data_copy)


def test_bad_encoding_and_empty_files_are_refused(data_copy):
    (data_copy / "states.csv").write_bytes(b"iso3,name\n\xff\xfe,\n")
    with pytest.raises(DataError, match="not UTF-8"):
        load_dataset(data_copy)
    (data_copy / "states.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        load_dataset(data_copy)


def test_missing_file_is_refused(data_copy):
    (data_copy / "wcit2012_record.csv").unlink()
    with pytest.raises(DataError, match="file not found"):
        load_dataset(data_copy)


def test_known_decisions_may_not_exceed_the_totals(data_copy):
    facts = data_copy / "facts.toml"
    text = facts.read_text(encoding="utf-8")
    text = text.replace("eligible = 144", "eligible = 94").replace("signed = 89", "signed = 39")
    facts.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="52 states signed; expected at most 39"):
        load_dataset(data_copy)


def test_totals_must_add_up(data_copy):
    facts = data_copy / "facts.toml"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace("signed = 89", "signed = 88"), encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"expected signing\.eligible = 144"):
        load_facts(facts)


def test_record_codes_must_be_member_states(data_copy):
    _replace_cell(data_copy / "wcit2012_record.csv", "FRA", "iso3", "XXX")
    with pytest.raises(DataError, match="'XXX' is not an ITU Member State"):
        load_dataset(data_copy)


def test_confidence_goes_with_a_known_decision(data_copy):
    _replace_cell(data_copy / "wcit2012_record.csv", "ALB", "confidence", "named")
    with pytest.raises(DataError, match="expected a confidence exactly when the decision is known"):
        load_dataset(data_copy)
