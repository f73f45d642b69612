"""Writing results atomically: a file, JSON, a table, or a whole folder appears complete or not at all.

Every writer puts the data in a temporary file beside the target, flushes and
fsyncs it, then renames it into place (``os.replace`` is atomic on one file
system). On any error, or an interruption, the temporary file is removed and the
target is left as it was. A folder is staged the same way (:func:`staged_folder`).

A process that is killed cannot remove its temporaries, so each writer holds an
exclusive ``flock`` on its temporary file or folder while it exists; the kernel
releases it when the writer ends, however it ends. A temporary that nobody holds
is abandoned, and :func:`remove_abandoned` (called by :func:`staged_folder` for
the folder it writes) removes it. A write the file system refuses (a full disk, a
read-only folder, a file where a folder belongs) is a :class:`CannotWrite`: one
line naming the place and the reason.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from wcitsim.errors import UsageError

__all__ = [
    "CannotWrite",
    "json_default",
    "json_text",
    "machine_cores",
    "machine_memory",
    "remove_abandoned",
    "staged_folder",
    "write_atomic",
    "write_json_atomic",
    "write_text_atomic",
    "writing_atomically",
]

#: The file system's answers that mean "no room": the fix is free space, not another folder.
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class CannotWrite(UsageError):
    """The file system refused a write under ``where`` for ``reason`` (the system's words for its error number)."""

    def __init__(self, where: Path | str, err: OSError | CannotWrite) -> None:
        if isinstance(err, CannotWrite):
            self.reason, self.expected = err.reason, err.expected
        else:
            self.reason = os.strerror(err.errno) if err.errno else str(err)
            self.expected = "free space on its disk" if err.errno in NO_ROOM else "a writable folder"
        self.where = where
        super().__init__(f"{where}: cannot write results here ({self.reason}); expected {self.expected}")


def _hold(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting; False when another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held (BlockingIOError), or a file system without locks: nothing is abandoned there
        return False
    return True


def _remove_unheld(paths: Iterable[Path]) -> None:
    """Remove each temporary in ``paths`` that no process holds (its writer has ended)."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # gone already, or a link: not ours to remove
        try:
            if _hold(fd):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        finally:
            os.close(fd)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (waiting for it), so that no two writers clean it at once."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a file system without locks: proceed unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _abandoned(folder: Path, name: str | None) -> None:
    """:func:`remove_abandoned` in a folder this process has locked."""
    patterns = [".*.tmp", ".tmp-*"]
    if name is not None:
        name = glob.escape(name)
        patterns = [f".{name}.*.tmp", f".tmp-{name}-*", f".tmp-old-{name}*"]
    _remove_unheld([path for pattern in patterns for path in folder.glob(pattern)])


def remove_abandoned(folder: Path, name: str | None = None) -> None:
    """Remove the abandoned temporaries of the writers above in ``folder``: ``.*.tmp`` files and ``.tmp-*``
    folders, or only those of the file or folder ``name`` when given."""
    folder = Path(folder)
    with _locked(folder):
        _abandoned(folder, name)


@contextmanager
def _beside(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, held while it exists; when the block ends without error it is
    synced and renamed to ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise CannotWrite(path, err) from None
    _hold(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise CannotWrite(path, err) from None
        raise
    finally:
        os.close(fd)


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


def machine_cores() -> int:
    """The cores this process may use: its CPU affinity where the system has one (``os.process_cpu_count``
    from Python 3.13), else every core; at least 1."""
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1  # novermin (guarded: Python 3.13 and newer)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def machine_memory() -> int:
    """This machine's physical memory in bytes (0 where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write ``payload`` as standard JSON to ``path`` atomically (:func:`json_text`)."""
    with writing_atomically(path) as handle:
        handle.write(json_text(payload))


def json_text(payload) -> str:
    """``payload`` as indented, standard JSON: numpy values as plain ones, NaN and infinities as null.

    ``JSON.parse`` and other strict readers reject the ``NaN`` that ``json.dumps`` writes by default.
    """
    plain = json.loads(json.dumps(payload, default=json_default))  # numpy scalars and arrays as plain values
    return json.dumps(_finite(plain), indent=2, allow_nan=False)


def _finite(value):
    """``value`` with every NaN and infinity (unknown or undefined) as None, which JSON writes as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def json_default(value):
    """``json.dump``'s fallback: numpy scalars and arrays as plain values."""
    import numpy as np  # only a value json cannot write comes here, and only numpy makes one

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _stage(final: Path) -> tuple[Path, int]:
    """A new staging folder for ``final``, held by this process, after removing the abandoned ones of ``final``.

    The parent folder is locked meanwhile, so no other writer can take a staging
    folder for abandoned between its creation and its lock.
    """
    with _locked(final.parent):
        _abandoned(final.parent, final.name)
        staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".tmp-{final.name}-"))
        fd = os.open(staging, os.O_RDONLY)
        _hold(fd)
    return staging, fd


@contextmanager
def staged_folder(final: Path, out: Path) -> Iterator[Path]:
    """Yield a staging folder beside ``final``; when the block ends without error, rename it into place.

    An older ``final`` is replaced in two renames (if the second fails, the first is
    undone); on any error (or interruption) the staging folder is removed and
    ``final`` is left as it was. What a killed write leaves (``.tmp-<name>-*`` and
    ``.tmp-old-<name>-*``) is removed by the next write of ``final``; a failed write
    also removes the empty folders it made. ``out`` is the folder the user named, for
    the message when the file system refuses.
    """
    final = Path(final)
    made = [folder for folder in (final.parent, *final.parent.parents) if not folder.exists()]
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging, fd = _stage(final)
        staging.chmod(0o755)
    except OSError as err:
        _remove_empty(made)
        raise CannotWrite(out, err) from None
    try:
        yield staging
        if final.exists() or final.is_symlink():
            if final.is_symlink() or not final.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(final))
            trash = staging.with_name(f".tmp-old-{staging.name.removeprefix('.tmp-')}")
            os.replace(final, trash)
            try:
                os.replace(staging, final)
            except BaseException:
                os.replace(trash, final)
                raise
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(made)
        if isinstance(err, (OSError, CannotWrite)):
            raise CannotWrite(out, err) from None
        raise
    finally:
        os.close(fd)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed write made for its target (deepest first), those still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()
