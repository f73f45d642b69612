"""Writing results atomically: a file, JSON, a table, or a whole folder appears complete or not at all.

Every writer puts the data in a temporary file beside the target, flushes and
fsyncs it, then renames it into place (``os.replace`` is atomic on one file
system). On any error, or an interruption, the temporary file is removed and the
target is left as it was. A folder is staged the same way (:func:`staged_folder`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from wcitsim.errors import UsageError

__all__ = [
    "json_default",
    "staged_folder",
    "write_atomic",
    "write_json_atomic",
    "write_text_atomic",
    "writing_atomically",
]


@contextmanager
def _beside(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; when the block ends without error it is synced and renamed to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def writing_atomically(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it is synced and renamed to ``path``.

    ``mode`` is ``"w"`` (text, UTF-8) or ``"wb"``.
    """
    encoding = None if "b" in mode else "utf-8"
    with _beside(path) as tmp, open(tmp, mode, encoding=encoding) as handle:
        yield handle


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Have ``write(tmp_path)`` write the file (e.g. ``frame.to_parquet``), then sync and rename it to ``path``."""
    with _beside(path) as tmp:
        write(tmp)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with writing_atomically(path) as handle:
        handle.write(text)


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write ``payload`` as indented JSON to ``path`` atomically (numpy values become plain numbers and lists)."""
    with writing_atomically(path) as handle:
        json.dump(payload, handle, indent=2, default=json_default)


def json_default(value):
    """``json.dump``'s fallback: numpy scalars and arrays as plain values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@contextmanager
def staged_folder(final: Path, out: Path) -> Iterator[Path]:
    """Yield a staging folder beside ``final``; when the block ends without error, rename it into place.

    An older ``final`` is replaced in two renames; on any error (or interruption)
    the staging folder is removed and ``final`` is left as it was. ``out`` is the
    folder the user named, for the message when nothing can be written there.
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".tmp-{final.name}-"))
        staging.chmod(0o755)
    except OSError as err:
        raise UsageError(
            f"{out}: cannot write results here ({err.strerror}); expected a writable folder"
        ) from None
    try:
        yield staging
        if final.exists():
            trash = final.with_name(f".tmp-old-{final.name}")
            os.replace(final, trash)
            os.replace(staging, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
