"""Loaders that validate wcitsim's data files and say exactly what is wrong.

A broken file stops with a :class:`~wcitsim.errors.DataError` whose message is
one line naming the file, the line and the column, the bad value and what was
expected. Blank cells mean *unknown* and are kept as NaN (numbers) or ``""``
(text); nothing is filled in.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from wcitsim.data.schema import RECORD_COLUMNS, STATES_COLUMNS, TIES_COLUMNS, TIES_JOINED, Column
from wcitsim.errors import DataError
from wcitsim.io.schema import read_text, read_toml

__all__ = [
    "Dataset",
    "Facts",
    "default_data_dir",
    "load_dataset",
    "load_facts",
    "load_record",
    "load_states",
    "load_ties",
    "read_table",
]

STATES_FILE = "states.csv"
RECORD_FILE = "wcit2012_record.csv"
FACTS_FILE = "facts.toml"
TIES_FILE = "country_ties_2012.csv"
_ISO3 = re.compile(r"^[A-Z]{3}$")


def default_data_dir() -> Path:
    """The folder of data files shipped inside the package."""
    return Path(str(resources.files("wcitsim.data")))


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a CSV file as (header, [(line number, fields)]), checking its shape."""
    text = read_text(path, DataError, "a CSV file")
    if not text.strip():
        raise DataError(f"{path}: file is empty; expected a CSV header and rows")
    reader = csv.reader(text.splitlines())
    try:
        rows = [(reader.line_num, fields) for fields in reader]
    except csv.Error as err:
        raise DataError(f"{path}: line {reader.line_num}: {err}") from None
    (_, header), body = rows[0], [(n, f) for n, f in rows[1:] if any(c.strip() for c in f)]
    for number, fields in body:
        if len(fields) != len(header):
            raise DataError(
                f"{path}: line {number}: {len(fields)} fields, expected {len(header)} "
                "(a truncated or malformed row)"
            )
    return header, body


def _check_header(path: Path, header: list[str], columns: tuple[Column, ...]) -> None:
    for column in columns:
        if column.name not in header:
            raise DataError(f"{path}: missing column '{column.name}'; expected {column.expected()}")
    duplicated = {h for h in header if header.count(h) > 1}
    if duplicated:
        raise DataError(f"{path}: column '{sorted(duplicated)[0]}' appears more than once")


def _parse_cell(path: Path, line: int, column: Column, raw: str) -> object:
    """Convert one cell, or raise a DataError naming it."""
    value = raw.strip()

    def bad() -> DataError:
        return DataError(
            f"{path}: line {line}, column '{column.name}': {raw!r} is not valid; expected {column.expected()}"
        )

    if value == "":
        if column.required:
            raise DataError(
                f"{path}: line {line}, column '{column.name}': blank, expected {column.expected()}"
            )
        return math.nan if column.kind in ("number", "binary") else ""
    if column.kind == "iso3":
        if not _ISO3.match(value):
            raise bad()
        return value
    if column.kind == "category":
        if value not in column.choices:
            raise bad()
        return value
    if column.kind in ("number", "binary"):
        try:
            number = float(value)
        except ValueError:
            raise bad() from None
        if column.kind == "binary" and number not in (0.0, 1.0):
            raise bad()
        if not math.isfinite(number) or not column.lo <= number <= column.hi:
            raise bad()
        return number
    return value


def read_table(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    """Read and validate a CSV file against ``columns``; index it by ISO3 code.

    Extra columns are kept as text. Raises :class:`DataError` on the first
    problem: a missing or duplicated column, a truncated row, a bad value, a
    duplicate ISO3 code.
    """
    path = Path(path)
    header, body = _read_rows(path)
    _check_header(path, header, columns)
    if not body:
        raise DataError(f"{path}: no data rows; expected one row per state")
    spec = {c.name: c for c in columns}
    data: dict[str, list[object]] = {name: [] for name in header}
    seen: dict[str, int] = {}
    for line, fields in body:
        for name, raw in zip(header, fields, strict=True):
            column = spec.get(name, Column(name, "text"))
            data[name].append(_parse_cell(path, line, column, raw))
        iso = data["iso3"][-1]
        if iso in seen:
            raise DataError(
                f"{path}: line {line}, column 'iso3': duplicate code {iso!r} (first on line {seen[iso]}); "
                "expected each state once"
            )
        seen[iso] = line
    frame = pd.DataFrame(data)
    for column in columns:
        if column.kind in ("number", "binary"):
            frame[column.name] = frame[column.name].astype(np.float64)
    return frame.set_index("iso3", drop=False)


@dataclass(frozen=True)
class Facts:
    """The firm facts of ``facts.toml``: membership, the signing totals, votes."""

    itu_member_states: int
    record_non_members: tuple[str, ...]
    eligible: int
    signed: int
    not_signed: int
    votes: dict

    @property
    def no_signing_right(self) -> int:
        """Member States without the right to sign (absent or without credentials)."""
        return self.itu_member_states - self.eligible


def _get(path: Path, table: dict, key: str, kind: type, where: str) -> object:
    if key not in table:
        raise DataError(f"{path}: missing key '{where}{key}'; expected {kind.__name__}")
    value = table[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise DataError(f"{path}: key '{where}{key}': {value!r}; expected a non-negative integer")
    if kind is list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise DataError(f"{path}: key '{where}{key}': {value!r}; expected a list of ISO3 codes")
    return value


def load_facts(path: Path | None = None) -> Facts:
    """Load and check ``facts.toml`` (the totals must add up)."""
    path = Path(path) if path else default_data_dir() / FACTS_FILE
    raw = read_toml(path, DataError, "the facts file (TOML)")
    membership = raw.get("membership", {})
    signing = raw.get("signing", {})
    facts = Facts(
        itu_member_states=_get(path, membership, "itu_member_states", int, "membership."),
        record_non_members=tuple(_get(path, membership, "record_non_members", list, "membership.")),
        eligible=_get(path, signing, "eligible", int, "signing."),
        signed=_get(path, signing, "signed", int, "signing."),
        not_signed=_get(path, signing, "not_signed", int, "signing."),
        votes=raw.get("votes", {}),
    )
    if facts.signed + facts.not_signed != facts.eligible:
        raise DataError(
            f"{path}: signing.signed + signing.not_signed = {facts.signed + facts.not_signed}; "
            f"expected signing.eligible = {facts.eligible}"
        )
    if facts.eligible > facts.itu_member_states:
        raise DataError(f"{path}: signing.eligible = {facts.eligible} exceeds membership.itu_member_states")
    return facts


def load_states(path: Path | None = None, facts: Facts | None = None) -> pd.DataFrame:
    """Load ``states.csv``: one validated row per ITU Member State, indexed by ISO3."""
    path = Path(path) if path else default_data_dir() / STATES_FILE
    states = read_table(path, STATES_COLUMNS)
    if facts is not None and len(states) != facts.itu_member_states:
        raise DataError(
            f"{path}: {len(states)} states; expected {facts.itu_member_states} (facts.toml, itu_member_states)"
        )
    return states


def load_record(path: Path | None, states: pd.DataFrame, facts: Facts) -> pd.DataFrame:
    """Load the per-state record and check it against the states and the totals."""
    path = Path(path) if path else default_data_dir() / RECORD_FILE
    record = read_table(path, RECORD_COLUMNS)
    allowed = set(states.index) | set(facts.record_non_members)
    for iso in record.index:
        if iso not in allowed:
            raise DataError(
                f"{path}: column 'iso3': {iso!r} is not an ITU Member State in states.csv; "
                "expected a code from states.csv"
            )
    missing = sorted(set(states.index) - set(record.index))
    if missing:
        raise DataError(f"{path}: no row for {missing[0]}; expected one row per state in states.csv")
    known = record["decision"] != "unknown"
    inconsistent = record.index[known != (record["confidence"] != "")]
    if len(inconsistent):
        iso = inconsistent[0]
        raise DataError(
            f"{path}: row {iso}, column 'confidence': {record.at[iso, 'confidence']!r} with decision "
            f"{record.at[iso, 'decision']!r}; expected a confidence exactly when the decision is known"
        )
    for status, total in (("signed", facts.signed), ("not_signed", facts.not_signed)):
        count = int((record["decision"] == status).sum())
        if count > total:
            raise DataError(
                f"{path}: column 'decision': {count} states {status}; expected at most {total} (facts.toml)"
            )
    return record


def load_ties(path: Path | None, states: pd.DataFrame) -> pd.DataFrame:
    """Load ``country_ties_2012.csv``: each Member State's defence pacts and trade shares in 2012.

    Returns the columns of :data:`~wcitsim.data.schema.TIES_JOINED` indexed like
    ``states``; a state without a row is NaN throughout.
    """
    path = Path(path) if path else default_data_dir() / TIES_FILE
    ties = read_table(path, TIES_COLUMNS)
    for iso in ties.index:
        if iso not in states.index:
            raise DataError(
                f"{path}: column 'iso3': {iso!r} is not an ITU Member State in states.csv; "
                "expected a code from states.csv"
            )
    return ties.loc[:, list(TIES_JOINED)].reindex(states.index)


@dataclass(frozen=True)
class Dataset:
    """States (with their ties), the record of 14 December 2012 and the firm facts, validated together."""

    states: pd.DataFrame
    record: pd.DataFrame
    facts: Facts
    directory: Path


def load_dataset(directory: Path | None = None) -> Dataset:
    """Load and cross-check the data files of ``directory`` (default: the package's).

    The columns of ``country_ties_2012.csv`` are joined onto ``states``; a folder
    without that file loads with those columns all NaN.
    """
    directory = Path(directory) if directory else default_data_dir()
    if not directory.is_dir():
        raise DataError(
            f"{directory}: not a folder; expected a folder with {STATES_FILE}, {RECORD_FILE}, {FACTS_FILE}"
        )
    facts = load_facts(directory / FACTS_FILE)
    states = load_states(directory / STATES_FILE, facts)
    record = load_record(directory / RECORD_FILE, states, facts)
    ties_path = directory / TIES_FILE
    clash = sorted(set(TIES_JOINED) & set(states.columns))
    if clash:
        raise DataError(
            f"{directory / STATES_FILE}: column '{clash[0]}' is also a column of {TIES_FILE}; "
            "expected it only there"
        )
    if os.path.lexists(ties_path):  # a dangling link or a loop is refused by the reader, not skipped
        ties = load_ties(ties_path, states)
    else:
        ties = pd.DataFrame(np.nan, index=states.index, columns=list(TIES_JOINED))
    states = states.join(ties)
    return Dataset(states=states, record=record, facts=facts, directory=directory)
