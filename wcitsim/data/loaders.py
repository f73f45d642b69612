"""Loaders that give wcitsim's data files as tables, after :mod:`wcitsim.data.tables` validated them.

The checks are those of :mod:`wcitsim.data.tables`, made once in plain Python; this
module turns what they accepted into pandas tables indexed by ISO3 code. A broken
file stops with a :class:`~wcitsim.errors.DataError` whose message is one line
naming the file, the line and the column, the bad value and what was expected.
Blank cells mean *unknown* and are kept as NaN (numbers) or ``""`` (text); nothing
is filled in. pandas is imported when a table is made, not with this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wcitsim.data.schema import RECORD_COLUMNS, STATES_COLUMNS, TIES_COLUMNS, TIES_JOINED, Column
from wcitsim.data.tables import (
    FACTS_FILE,
    RECORD_FILE,
    STATES_FILE,
    TIES_FILE,
    Facts,
    Table,
    Tables,
    check_record,
    check_states,
    check_ties,
    default_data_dir,
    load_facts,
    load_tables,
    read_columns,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FACTS_FILE",
    "RECORD_FILE",
    "STATES_FILE",
    "TIES_FILE",
    "Dataset",
    "Facts",
    "dataset_of",
    "default_data_dir",
    "load_dataset",
    "load_facts",
    "load_record",
    "load_states",
    "load_ties",
    "read_table",
]


def _frame(table: Table) -> pd.DataFrame:
    """A validated table as a DataFrame indexed by ISO3 code (numbers as float64)."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(table.columns)
    for name in table.numeric:
        frame[name] = frame[name].astype(np.float64)
    return frame.set_index("iso3", drop=False)


def read_table(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    """Read and validate a CSV file against ``columns``; index it by ISO3 code.

    Extra columns are kept as text. Raises :class:`DataError` on the first
    problem: a missing or duplicated column, a truncated row, a bad value, a
    duplicate ISO3 code (:func:`wcitsim.data.tables.read_columns`).
    """
    return _frame(read_columns(path, columns))


def load_states(path: Path | None = None, facts: Facts | None = None) -> pd.DataFrame:
    """Load ``states.csv``: one validated row per ITU Member State, indexed by ISO3."""
    path = Path(path) if path else default_data_dir() / STATES_FILE
    states = read_columns(path, STATES_COLUMNS)
    check_states(path, len(states), facts)
    return _frame(states)


def load_record(path: Path | None, states: pd.DataFrame, facts: Facts) -> pd.DataFrame:
    """Load the per-state record and check it against the states and the totals."""
    path = Path(path) if path else default_data_dir() / RECORD_FILE
    record = read_columns(path, RECORD_COLUMNS)
    check_record(path, record, list(states.index), facts)
    return _frame(record)


def _joined_ties(ties: Table | None, states: pd.DataFrame) -> pd.DataFrame:
    """The columns of :data:`TIES_JOINED` indexed like ``states``; NaN throughout for a state without a row."""
    import numpy as np
    import pandas as pd

    if ties is None:
        return pd.DataFrame(np.nan, index=states.index, columns=list(TIES_JOINED))
    return _frame(ties).loc[:, list(TIES_JOINED)].reindex(states.index)


def load_ties(path: Path | None, states: pd.DataFrame) -> pd.DataFrame:
    """Load ``country_ties_2012.csv``: each Member State's defence pacts and trade shares in 2012.

    Returns the columns of :data:`~wcitsim.data.schema.TIES_JOINED` indexed like
    ``states``; a state without a row is NaN throughout.
    """
    path = Path(path) if path else default_data_dir() / TIES_FILE
    ties = read_columns(path, TIES_COLUMNS)
    check_ties(path, ties, list(states.index))
    return _joined_ties(ties, states)


@dataclass(frozen=True)
class Dataset:
    """States (with their ties), the record of 14 December 2012 and the firm facts, validated together."""

    states: pd.DataFrame
    record: pd.DataFrame
    facts: Facts
    directory: Path


def dataset_of(tables: Tables) -> Dataset:
    """The :class:`Dataset` of data files that :func:`wcitsim.data.tables.load_tables` validated."""
    states = _frame(tables.states)
    states = states.join(_joined_ties(tables.ties, states))
    return Dataset(
        states=states, record=_frame(tables.record), facts=tables.facts, directory=tables.directory
    )


def load_dataset(directory: Path | None = None) -> Dataset:
    """Load and cross-check the data files of ``directory`` (default: the package's).

    The columns of ``country_ties_2012.csv`` are joined onto ``states``; a folder
    without that file loads with those columns all NaN.
    """
    return dataset_of(load_tables(directory))
