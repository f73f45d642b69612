"""The one atomic writer: a file appears complete or not at all, and nothing temporary is left."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from wcitsim.io.files import write_atomic, write_json_atomic, write_text_atomic, writing_atomically


def test_each_writer_writes_the_whole_file(tmp_path):
    write_text_atomic(tmp_path / "a.txt", "héllo")
    write_json_atomic(tmp_path / "b.json", {"x": np.float64(0.5), "y": np.arange(3)})
    write_atomic(tmp_path / "c.parquet", lambda tmp: pd.DataFrame({"k": [1, 2]}).to_parquet(tmp, index=False))
    with writing_atomically(tmp_path / "d.bin", "wb") as handle:
        handle.write(b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert json.loads((tmp_path / "b.json").read_text()) == {"x": 0.5, "y": [0, 1, 2]}
    assert pd.read_parquet(tmp_path / "c.parquet")["k"].tolist() == [1, 2]
    assert (tmp_path / "d.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.json", "c.parquet", "d.bin"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "t.json"
    write_json_atomic(target, {"old": 1})

    def broken(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt  # an interruption in the middle of the write

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, broken)
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]
