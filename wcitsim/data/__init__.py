"""wcitsim's data: the ITU Member States of 2012, the record of 14 December 2012, the firm facts.

The CSV and TOML files in this folder carry a source for every fact (``SOURCES.md``).
"""

from wcitsim.data.loaders import (
    Dataset,
    Facts,
    default_data_dir,
    load_dataset,
    load_facts,
    load_record,
    load_states,
    read_table,
)

__all__ = [
    "Dataset",
    "Facts",
    "default_data_dir",
    "load_dataset",
    "load_facts",
    "load_record",
    "load_states",
    "read_table",
]
