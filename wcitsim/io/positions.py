"""Expert-coded positions (the DEU practice): a CSV of ``iso3, clause, position, salience`` rows."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING

from wcitsim.errors import ScenarioError
from wcitsim.io.schema import read_text, shown

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "read_expert_positions", "read_expert_rows"]

COLUMNS = ("iso3", "clause", "position", "salience")
#: The numeric columns and their ranges: a position on [0, 1], a salience ≥ 0.
RANGES = {"position": (0.0, 1.0), "salience": (0.0, math.inf)}
EXPECTED = "a CSV of expert positions with columns " + ", ".join(COLUMNS)


def _number(path: Path, line: int, column: str, raw: str) -> float:
    lo, hi = RANGES[column]
    expected = f"a number in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f"a number ≥ {lo:g}"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not lo <= value <= hi:  # NaN, text and numbers out of range alike
        raise ScenarioError(f"{path}: line {line}, column '{column}': {shown(raw)}; expected {expected}")
    return value


def read_expert_positions(path: Path, source: str) -> pd.DataFrame:
    """The expert positions file that scenario ``source`` names as a table (:func:`read_expert_rows`)."""
    import pandas as pd

    return pd.DataFrame(read_expert_rows(path, source))


def read_expert_rows(path: Path, source: str) -> dict[str, list]:
    """Read the expert positions file that scenario ``source`` names, column by column; refuse it in one line
    when it is wrong.

    A file that cannot be read is named with the scenario's key; a wrong row by its
    line and column. Blank rows are skipped.
    """
    path = Path(path)
    try:
        text = read_text(path, ScenarioError, EXPECTED)
    except ScenarioError as err:
        raise ScenarioError(f"{source}: seeder.positions_file: {err}") from None
    reader = csv.reader(text.splitlines())
    try:
        rows = [(reader.line_num, [cell.strip() for cell in fields]) for fields in reader]
    except csv.Error as err:
        raise ScenarioError(f"{path}: line {reader.line_num}: {err}; expected {EXPECTED}") from None
    (_, header), body = rows[0], [(n, f) for n, f in rows[1:] if any(f)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ScenarioError(f"{path}: line 1: missing column(s) {', '.join(missing)}; expected {EXPECTED}")
    if not body:
        raise ScenarioError(f"{path}: no rows after the header; expected {EXPECTED}")
    at = {c: header.index(c) for c in COLUMNS}
    table = {c: [] for c in COLUMNS}
    seen: dict[tuple[str, str], int] = {}
    for line, fields in body:
        if len(fields) != len(header):
            raise ScenarioError(f"{path}: line {line}: {len(fields)} fields; expected {len(header)}")
        key = (fields[at["iso3"]], fields[at["clause"]])
        if key in seen:
            raise ScenarioError(
                f"{path}: line {line}: {key[0]} on {key[1]} again (first on line {seen[key]}); "
                "expected each state and clause once"
            )
        seen[key] = line
        for column in ("iso3", "clause"):
            table[column].append(fields[at[column]])
        for column in RANGES:
            table[column].append(_number(path, line, column, fields[at[column]]))
    return table
