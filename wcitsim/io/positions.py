"""Expert-coded positions (the DEU practice): a CSV of ``iso3, clause, position, salience`` rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wcitsim.errors import ScenarioError

__all__ = ["COLUMNS", "read_expert_positions"]

COLUMNS = ("iso3", "clause", "position", "salience")


def read_expert_positions(path: Path, source: str) -> pd.DataFrame:
    """Read an expert positions file named by scenario ``source``; refuse it in one line when it is unreadable."""
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as err:
        raise ScenarioError(f"{source}: seeder.positions_file: cannot read {path} ({err})") from None
    missing = set(COLUMNS) - set(table.columns)
    if missing:
        raise ScenarioError(f"{path}: missing column(s) {sorted(missing)}; expected {', '.join(COLUMNS)}")
    return table
