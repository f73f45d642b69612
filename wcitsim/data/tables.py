"""The data files read and cross-checked into plain Python: the one validation of wcitsim's data.

Every check of the data files lives here, in pure Python (no pandas, no numpy),
so that ``wcitsim check`` validates a data folder without loading the table
libraries, and :func:`wcitsim.data.load_dataset` makes its tables from what these
functions accepted. A broken file stops with a :class:`~wcitsim.errors.DataError`
whose message is one line naming the file, the line and the column, the bad value
and what was expected. Blank cells mean *unknown* and are kept as NaN (numbers)
or ``""`` (text); nothing is filled in.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from wcitsim.data.schema import (
    NUMERIC_KINDS,
    RECORD_COLUMNS,
    STATES_COLUMNS,
    TIES_COLUMNS,
    TIES_JOINED,
    Column,
)
from wcitsim.errors import DataError
from wcitsim.io.schema import read_text, read_toml

__all__ = [
    "FACTS_FILE",
    "RECORD_FILE",
    "STATES_FILE",
    "TIES_FILE",
    "Facts",
    "Table",
    "Tables",
    "check_record",
    "check_states",
    "check_ties",
    "default_data_dir",
    "load_facts",
    "load_tables",
    "read_columns",
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


def _bad(path: Path, line: int, column: Column, raw: str) -> DataError:
    return DataError(
        f"{path}: line {line}, column '{column.name}': {raw!r} is not valid; expected {column.expected()}"
    )


def _parse_cell(path: Path, line: int, column: Column, raw: str) -> object:
    """Convert one cell, or raise a DataError naming it."""
    value = raw.strip()
    if value == "":
        if column.required:
            raise DataError(
                f"{path}: line {line}, column '{column.name}': blank, expected {column.expected()}"
            )
        return math.nan if column.kind in NUMERIC_KINDS else ""
    if column.kind == "iso3":
        if not _ISO3.match(value):
            raise _bad(path, line, column, raw)
        return value
    if column.kind == "category":
        if value not in column.choices:
            raise _bad(path, line, column, raw)
        return value
    if column.kind in NUMERIC_KINDS:
        try:
            number = float(value)
        except ValueError:
            raise _bad(path, line, column, raw) from None
        if column.kind == "binary" and number not in (0.0, 1.0):
            raise _bad(path, line, column, raw)
        if not math.isfinite(number) or not column.lo <= number <= column.hi:
            raise _bad(path, line, column, raw)
        return number
    return value


@dataclass(frozen=True)
class Table:
    """A validated CSV file as columns of plain values (floats, NaN for unknown; text), rows in file order.

    Attributes:
        path: the file read.
        header: its columns, in the file's order.
        columns: each column's values by name.
        numeric: the columns that hold numbers (their schema's kind is ``number`` or ``binary``).
    """

    path: Path
    header: tuple[str, ...]
    columns: dict[str, list[object]]
    numeric: tuple[str, ...]

    @property
    def index(self) -> list[str]:
        """The rows' ISO3 codes, in the file's order."""
        return self.columns["iso3"]

    def __len__(self) -> int:
        return len(self.index)


def read_columns(path: Path, columns: tuple[Column, ...]) -> Table:
    """Read and validate a CSV file against ``columns``.

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
    kinds = [spec.get(name) or Column(name, "text") for name in header]
    data: dict[str, list[object]] = {name: [] for name in header}
    seen: dict[str, int] = {}
    values = [data[name] for name in header]
    for line, fields in body:
        for column, raw, out in zip(kinds, fields, values, strict=True):
            out.append(_parse_cell(path, line, column, raw))
        iso = data["iso3"][-1]
        if iso in seen:
            raise DataError(
                f"{path}: line {line}, column 'iso3': duplicate code {iso!r} (first on line {seen[iso]}); "
                "expected each state once"
            )
        seen[iso] = line
    numeric = tuple(name for name in header if name in spec and spec[name].kind in NUMERIC_KINDS)
    return Table(path, tuple(header), data, numeric)


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


def check_states(path: Path, count: int, facts: Facts | None) -> None:
    """``states.csv`` holds one row per ITU Member State of ``facts``."""
    if facts is not None and count != facts.itu_member_states:
        raise DataError(
            f"{path}: {count} states; expected {facts.itu_member_states} (facts.toml, itu_member_states)"
        )


def check_record(path: Path, record: Table, states: Collection[str], facts: Facts) -> None:
    """The record against the states (``states``: their ISO3 codes) and the totals of ``facts``."""
    allowed = set(states) | set(facts.record_non_members)
    for iso in record.index:
        if iso not in allowed:
            raise DataError(
                f"{path}: column 'iso3': {iso!r} is not an ITU Member State in states.csv; "
                "expected a code from states.csv"
            )
    missing = sorted(set(states) - set(record.index))
    if missing:
        raise DataError(f"{path}: no row for {missing[0]}; expected one row per state in states.csv")
    decision, confidence = record.columns["decision"], record.columns["confidence"]
    for iso, status, conf in zip(record.index, decision, confidence, strict=True):
        if (status != "unknown") != (conf != ""):
            raise DataError(
                f"{path}: row {iso}, column 'confidence': {conf!r} with decision "
                f"{status!r}; expected a confidence exactly when the decision is known"
            )
    for status, total in (("signed", facts.signed), ("not_signed", facts.not_signed)):
        count = decision.count(status)
        if count > total:
            raise DataError(
                f"{path}: column 'decision': {count} states {status}; expected at most {total} (facts.toml)"
            )


def check_ties(path: Path, ties: Table, states: Collection[str]) -> None:
    """Every row of ``country_ties_2012.csv`` is a Member State of ``states`` (their ISO3 codes)."""
    known = set(states)
    for iso in ties.index:
        if iso not in known:
            raise DataError(
                f"{path}: column 'iso3': {iso!r} is not an ITU Member State in states.csv; "
                "expected a code from states.csv"
            )


@dataclass(frozen=True)
class Tables:
    """A data folder's files, validated together: states, the record, the ties (None without the file), the facts."""

    states: Table
    record: Table
    ties: Table | None
    facts: Facts
    directory: Path

    @property
    def codes(self) -> list[str]:
        """The Member States' ISO3 codes, in the order of ``states.csv``."""
        return self.states.index

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the states' table: those of ``states.csv``, then the ties' (:data:`TIES_JOINED`)."""
        return (*self.states.header, *TIES_JOINED)

    @property
    def numeric(self) -> tuple[str, ...]:
        """The columns of the states' table that hold numbers, in the order of :attr:`columns`."""
        return (*self.states.numeric, *TIES_JOINED)


def _check_directory(directory: Path) -> None:
    if not directory.is_dir():
        raise DataError(
            f"{directory}: not a folder; expected a folder with {STATES_FILE}, {RECORD_FILE}, {FACTS_FILE}"
        )


def _check_clash(directory: Path, header: Sequence[str]) -> None:
    clash = sorted(set(TIES_JOINED) & set(header))
    if clash:
        raise DataError(
            f"{directory / STATES_FILE}: column '{clash[0]}' is also a column of {TIES_FILE}; "
            "expected it only there"
        )


def load_tables(directory: Path | None = None) -> Tables:
    """Read and cross-check the data files of ``directory`` (default: the package's), in plain Python.

    A folder without ``country_ties_2012.csv`` is accepted (its columns are unknown).
    """
    directory = Path(directory) if directory else default_data_dir()
    _check_directory(directory)
    facts = load_facts(directory / FACTS_FILE)
    states = read_columns(directory / STATES_FILE, STATES_COLUMNS)
    check_states(states.path, len(states), facts)
    record = read_columns(directory / RECORD_FILE, RECORD_COLUMNS)
    check_record(record.path, record, states.index, facts)
    _check_clash(directory, states.header)
    ties_path = directory / TIES_FILE
    ties = None
    if os.path.lexists(ties_path):  # a dangling link or a loop is refused by the reader, not skipped
        ties = read_columns(ties_path, TIES_COLUMNS)
        check_ties(ties_path, ties, states.index)
    return Tables(states=states, record=record, ties=ties, facts=facts, directory=directory)
