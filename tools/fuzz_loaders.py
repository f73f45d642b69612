"""Fuzz the data loaders and the scenario/spec checks for longer than CI does.

Mutates the shipped data files (a cell replaced by random text or bytes, a row
truncated or duplicated, a header damaged) and checks the contract: the loader
either accepts the data or raises one DataError line naming the file; nothing
else escapes. Usage:

    python tools/fuzz_loaders.py [EXAMPLES]        # default 5000
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcitsim.data import default_data_dir, load_dataset
from wcitsim.errors import DataError

FILES = ("states.csv", "wcit2012_record.csv", "facts.toml")
COUNT = {"tried": 0, "refused": 0}


def _mutate(text: str, kind: str, where: int, junk: str) -> str:
    lines = text.splitlines(keepends=True)
    i = where % len(lines)
    if kind == "cell":
        cells = lines[i].split(",")
        cells[where % len(cells)] = junk
        lines[i] = ",".join(cells)
    elif kind == "truncate":
        lines[i] = lines[i][: where % (len(lines[i]) + 1)]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "delete":
        del lines[i]
    else:  # splice junk anywhere
        pos = where % (len(text) + 1)
        return text[:pos] + junk + text[pos:]
    return "".join(lines)


def main(examples: int = 5000) -> None:
    source = default_data_dir()

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        name=st.sampled_from(FILES),
        kind=st.sampled_from(["cell", "truncate", "duplicate", "delete", "splice"]),
        where=st.integers(0, 10**6),
        junk=st.text(max_size=12),
    )
    def fuzz(name, kind, where, junk):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for f in FILES:
                shutil.copy(source / f, folder / f)
            path = folder / name
            path.write_text(
                _mutate(path.read_text(encoding="utf-8"), kind, where, junk),
                encoding="utf-8",
                errors="surrogateescape",
            )
            COUNT["tried"] += 1
            try:
                load_dataset(folder)
            except DataError as err:
                COUNT["refused"] += 1
                message = str(err)
                assert "\n" not in message and str(folder) in message, message

    fuzz()
    print(
        f"fuzz_loaders: {COUNT['tried']} mutated data folders, {COUNT['refused']} refused with one line, 0 escapes"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
