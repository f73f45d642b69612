"""The one atomic writer: a file appears complete or not at all, nothing temporary is left, and what a killed
writer left is removed by the next write (never a live writer's)."""

from __future__ import annotations

import errno
import fcntl
import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wcitsim.io.files import (
    CannotWrite,
    remove_abandoned,
    staged_folder,
    write_atomic,
    write_json_atomic,
    write_text_atomic,
    writing_atomically,
)


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


def _leftovers(parent, name):
    """What killed writes of ``parent/name`` leave: a staging folder, a trash folder (both naming schemes)."""
    made = []
    for left in (f".tmp-{name}-k1ll3d00", f".tmp-old-{name}-k1ll3d00", f".tmp-old-{name}"):
        (parent / left).mkdir(parents=True)
        (parent / left / "countries.parquet").write_bytes(b"half")
        made.append(parent / left)
    return made


def _held(path):
    """Hold ``path`` as a live writer does (a separate open file description: flock conflicts within a process)."""
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_what_a_killed_rerun_leaves_never_blocks_the_next_write(tmp_path):
    """The `.tmp-old-<run>` of a rerun killed between its two renames made every later rerun fail (Errno 39)."""
    final = tmp_path / "toy" / "run"
    for content in ("old", "new"):
        _leftovers(final.parent, final.name)
        if content == "new":
            final.mkdir(exist_ok=True)
        with staged_folder(final, tmp_path) as staging:
            (staging / "summary.json").write_text(content)
        assert [p.name for p in final.parent.iterdir()] == ["run"]
        assert (final / "summary.json").read_text() == content


def test_a_live_writers_staging_folder_is_kept(tmp_path):
    final = tmp_path / "run"
    live = tmp_path / ".tmp-run-l1ve0000"
    live.mkdir()
    fd = _held(live)
    try:
        _leftovers(tmp_path, "run")
        with staged_folder(final, tmp_path) as staging:
            (staging / "a").write_text("1")
        assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-run-l1ve0000", "run"]
    finally:
        os.close(fd)
    with staged_folder(final, tmp_path):
        pass  # the writer has ended: its staging folder is abandoned now
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@given(held=st.lists(st.booleans(), max_size=6), files=st.lists(st.booleans(), max_size=6))
@settings(max_examples=30, deadline=None)
def test_remove_abandoned_removes_exactly_the_temporaries_nobody_holds(tmp_path_factory, held, files):
    folder = tmp_path_factory.mktemp("parts")
    (folder / "outcomes-00000.parquet").write_bytes(b"done")
    keep, fds = {"outcomes-00000.parquet"}, []
    for i, hold in enumerate(held):
        path = folder / f".tmp-x-{i}"
        path.mkdir()
        if hold:
            fds.append(_held(path))
            keep.add(path.name)
    for i, hold in enumerate(files):
        path = folder / f".states-{i:05d}.parquet.abc.tmp"
        path.write_bytes(b"half")
        if hold:
            fds.append(_held(path))
            keep.add(path.name)
    try:
        remove_abandoned(folder)
        assert {p.name for p in folder.iterdir()} == keep
    finally:
        for fd in fds:
            os.close(fd)


def test_a_full_disk_is_one_line_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "t.json"
    write_json_atomic(target, {"old": 1})

    def full(tmp):
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    with pytest.raises(CannotWrite) as err:
        write_atomic(target, full)
    assert str(err.value) == (
        f"{target}: cannot write results here (No space left on device); expected free space on its disk"
    )
    assert json.loads(target.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_a_refused_folder_write_removes_its_staging_and_the_folders_it_made(tmp_path):
    out = tmp_path / "results"
    refused = pytest.raises(
        CannotWrite, match=r"results: cannot write results here \(Read-only file system\)"
    )
    with refused, staged_folder(out / "toy" / "run", out) as staging:
        (staging / "a").write_text("1")
        raise OSError(errno.EROFS, "read-only")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_second_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    final = tmp_path / "run"
    final.mkdir()
    (final / "summary.json").write_text("old")
    renames = []
    real = os.replace

    def second_fails(src, dst):
        renames.append(dst)
        if len(renames) == 2:
            raise OSError(errno.EIO, "I/O error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(CannotWrite, match="Input/output error"), staged_folder(final, tmp_path) as staging:
        (staging / "summary.json").write_text("new")
    assert (final / "summary.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_the_cores_counted_on_python_3_12_are_the_affinity(monkeypatch):
    """``os.process_cpu_count`` is new in Python 3.13; before it the CPU affinity stands in, then the cores."""
    from wcitsim.io.files import machine_cores

    monkeypatch.setattr(os, "process_cpu_count", lambda: 5, raising=False)
    assert machine_cores() == 5
    monkeypatch.delattr(os, "process_cpu_count")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert machine_cores() == 3
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert machine_cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert machine_cores() == 1
