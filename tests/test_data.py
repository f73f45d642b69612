"""The shipped data files and the loaders that validate them."""

from __future__ import annotations

import csv
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from wcitsim.core.seeding import covariate_index
from wcitsim.core.world import build_world
from wcitsim.data import default_data_dir, load_dataset, load_facts
from wcitsim.data.schema import TIES_JOINED
from wcitsim.errors import DataError
from wcitsim.io.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_data_loads_with_the_documented_counts():
    data = load_dataset()
    assert len(data.states) == 193
    assert data.states.index.is_unique
    counts = data.record["decision"].value_counts().to_dict()
    assert counts == {"signed": 56, "not_signed": 44, "unknown": 94}
    bloc = data.record[data.record["confidence"] == "bloc_statement"]
    assert len(bloc) == 15 and set(bloc["decision"]) == {"not_signed"}
    assert (data.facts.eligible, data.facts.signed, data.facts.not_signed) == (144, 89, 55)


def test_sources_found_later_add_four_signatories():
    record = load_dataset().record
    added = record.loc[["TUR", "ARE", "IRN", "IDN"]]
    assert (added["decision"] == "signed").all()
    assert added["confidence"].tolist() == ["named", "named", "named_in_count", "named_in_count"]
    assert "BThaber" in added.at["TUR", "source"] and "The National" in added.at["ARE", "source"]
    assert (
        added["source"].loc[["IRN", "IDN"]].str.contains("Global Constitutionalism 9(2)", regex=False).all()
    )
    assert record.at["IND", "decision"] == "not_signed"
    in_count = record.index[record["confidence"] == "named_in_count"]
    assert sorted(in_count) == ["IDN", "IRN"]


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
    with pytest.raises(DataError, match="56 states signed; expected at most 39"):
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


def _ties_rows() -> dict[str, dict[str, str]]:
    with open(default_data_dir() / "country_ties_2012.csv", encoding="utf-8", newline="") as handle:
        return {row["iso3"]: row for row in csv.DictReader(handle)}


def test_ties_are_joined_onto_the_states():
    states = load_dataset().states
    # Values read by hand from country_ties_2012.csv.
    assert states.at["JPN", "us_defense_pact"] == 1.0  # the US pledge to Japan runs one way
    assert states.at["KEN", "us_defense_pact"] == 0.0
    assert states.at["PRK", "china_defense_pact"] == 1.0
    assert states.at["USA", "defense_partners"] == 65.0
    assert states.at["KEN", "trade_share_usa"] == pytest.approx(0.053887)
    assert states.at["AGO", "trade_share_china"] == pytest.approx(0.43892)
    assert states.at["ALB", "log_ratio_us_china_trade"] == pytest.approx(-1.366707)
    assert states.at["AFG", "trade_share_usa"] == 0.0  # a zero in the source is not a blank
    # Blanks stay NaN: the Holy See has no row in the datasets, a state has no pact with itself,
    # and the ratio is undefined where a share is 0.
    assert states.loc["VAT", list(TIES_JOINED)].isna().all()
    assert math.isnan(states.at["USA", "us_defense_pact"]) and math.isnan(states.at["USA", "trade_share_usa"])
    assert math.isnan(states.at["CHN", "china_defense_pact"]) and math.isnan(
        states.at["RUS", "russia_defense_pact"]
    )
    assert math.isnan(states.at["AFG", "log_ratio_us_china_trade"])
    # The file's identifiers are not joined; the states' own name is kept.
    assert {"cow_ccode", "trade_year"}.isdisjoint(states.columns)
    assert states.at["PRK", "name"] == "North Korea"


def test_every_joined_tie_equals_its_cell_in_the_file():
    states = load_dataset().states
    rows = _ties_rows()
    assert sorted(rows) == sorted(states.index)
    for iso, row in rows.items():
        for column in TIES_JOINED:
            value = states.at[iso, column]
            if row[column] == "":
                assert math.isnan(value), (iso, column)
            else:
                assert value == float(row[column]), (iso, column)
    assert int((states["us_defense_pact"] == 1).sum()) == 65
    assert sorted(states.index[states["russia_defense_pact"] == 1]) == [
        "ARM",
        "AZE",
        "BLR",
        "KAZ",
        "KGZ",
        "TJK",
        "UZB",
    ]
    assert (
        int(states["trade_share_usa"].notna().sum()) == int(states["trade_share_china"].notna().sum()) == 171
    )


def test_a_us_pact_splits_the_known_decisions_as_the_sources_say():
    data = load_dataset()
    known = data.record.index[data.record["decision"] != "unknown"]
    pact = data.states.loc[known, "us_defense_pact"]
    decision = data.record.loc[known, "decision"]
    # country_ties_sources.md: 30 of 43 allied known states did not sign; 43 of 56 non-allied signed.
    assert ((pact == 1) & (decision == "not_signed")).sum() == 30 and (pact == 1).sum() == 43
    assert ((pact == 0) & (decision == "signed")).sum() == 43 and (pact == 0).sum() == 56


def test_a_seeder_can_weight_the_ties():
    data = load_dataset()
    pact = data.states["us_defense_pact"]
    index = covariate_index(data.states, {"us_defense_pact": 1.0}, ())
    known = pact.notna().to_numpy()
    z = (pact[known] - pact[known].mean()) / pact[known].std(ddof=0)
    assert np.allclose(index[known], z) and (index[~known] == 0).all()
    scenario = load_scenario(ROOT / "scenarios" / "wcit2012.toml").replace(
        **{"seeder.covariate_weights": {"trade_share_usa": 1.0, "us_defense_pact": -1.0}}
    )
    assert np.isfinite(build_world(scenario, data).index).all()


def test_a_folder_without_the_ties_file_loads_with_blank_ties(data_copy):
    assert not (data_copy / "country_ties_2012.csv").exists()
    data = load_dataset(data_copy)
    assert data.states[list(TIES_JOINED)].isna().all().all()
    assert data.states["us_defense_pact"].dtype == np.float64
    assert int((data.record["decision"] != "unknown").sum()) == 100


@pytest.fixture
def ties_copy(data_copy: Path) -> Path:
    """The data copy with the ties file, which a test may break."""
    shutil.copy(default_data_dir() / "country_ties_2012.csv", data_copy / "country_ties_2012.csv")
    return data_copy / "country_ties_2012.csv"


@pytest.mark.parametrize(
    ("iso3", "column", "value", "expected"),
    [
        ("FRA", "iso3", "DEU", "duplicate code 'DEU'"),
        (
            "FRA",
            "trade_share_usa",
            "1.5",
            "column 'trade_share_usa': '1.5' is not valid; expected a number in [0, 1]",
        ),
        ("FRA", "us_defense_pact", "2", "column 'us_defense_pact': '2' is not valid; expected 0, 1 or blank"),
        ("FRA", "iso3", "XXK", "'XXK' is not an ITU Member State in states.csv"),
        ("FRA", "trade_year", "2011", "column 'trade_year': '2011' is not valid"),
    ],
)
def test_bad_ties_are_refused(ties_copy, iso3, column, value, expected):
    line = _line_of(ties_copy, iso3)
    _replace_cell(ties_copy, iso3, column, value)
    with pytest.raises(DataError) as err:
        load_dataset(ties_copy.parent)
    message = str(err.value)
    assert message.startswith(f"{ties_copy}: ")
    assert expected in message
    if column != "iso3" or value == "DEU":
        assert f"line {line}" in message


def test_a_states_column_named_like_a_tie_is_refused(data_copy):
    states = data_copy / "states.csv"
    lines = states.read_text(encoding="utf-8").splitlines()
    states.write_text(
        "\n".join([lines[0] + ",trade_share_usa"] + [line + ",0.5" for line in lines[1:]]) + "\n"
    )
    with pytest.raises(
        DataError, match=r"states\.csv: column 'trade_share_usa' is also a column of country_ties"
    ):
        load_dataset(data_copy)
