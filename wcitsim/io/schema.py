"""Read users' files safely and build frozen dataclasses from parsed TOML, naming the key path of every mistake.

:func:`read_text` is the one way wcitsim reads a file a user names (scenarios, sweep
specs, data tables, expert positions): regular files only, at most :data:`MAX_BYTES`,
UTF-8, not empty. :func:`read_toml` adds TOML, nested at most :data:`MAX_DEPTH` deep;
:func:`read_extending` a chain of at most :data:`MAX_EXTENDS` files that ``extends`` others.

Each dataclass field may carry ``metadata`` with ``lo``/``hi`` bounds (numbers),
``choices`` (strings), ``pattern`` (a :class:`Pattern` strings must match), ``unique``
(no list item twice) and ``doc`` (what it means). :func:`build` checks unknown keys,
types, ranges, choices, patterns and repeats, and raises
:class:`~wcitsim.errors.ScenarioError` with one line: ``FILE: KEY.PATH: BAD VALUE; expected WHAT``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
import stat
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, NamedTuple

from wcitsim.errors import ScenarioError, WcitsimError

__all__ = [
    "FOLDER_NAME",
    "IDENTIFIER",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXTENDS",
    "Pattern",
    "Population",
    "build",
    "fail",
    "read_extending",
    "read_json",
    "read_text",
    "read_toml",
    "shown",
    "spec",
]

#: The largest file wcitsim reads from a user: every shipped file is under 64 KiB.
MAX_BYTES = 8 * 2**20
#: The deepest nesting of tables and lists a TOML file may have (a scenario needs 4).
MAX_DEPTH = 16
#: The most files one chain of ``extends`` may hold (the shipped scenarios hold at most 4).
MAX_EXTENDS = 32


class Pattern(NamedTuple):
    """What a string field must look like: a regular expression (matched whole) and its description."""

    regex: str
    expected: str


#: A name that becomes a folder (``meta.name``, ``sweep.name``): one plain path component.
FOLDER_NAME = Pattern(
    r"\w[\w.-]{0,99}",
    "a plain name for a folder: letters, digits, '_', '-' and '.', starting with a letter or digit, "
    "at most 100 characters (no '/', '..' or absolute path)",
)
#: A name that becomes an HTML attribute and a column name (a clause id).
IDENTIFIER = Pattern(
    r"[A-Za-z_][A-Za-z0-9_]{0,63}",
    "a plain identifier: letters, digits and '_', starting with a letter or '_', at most 64 characters",
)


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n:,} bytes"


def read_text(path: Path, error: type[WcitsimError], expected: str, limit: int = MAX_BYTES) -> str:
    """A user's file as text; each way reading it can fail is one line naming the file and ``expected``.

    Only a regular file is read (a FIFO, a device or a socket is refused at once,
    never waited on), and only up to ``limit`` bytes; it must be UTF-8 (a leading
    byte-order mark is dropped) and hold more than white space. Line ends become ``\\n``.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: file not found; expected {expected}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder; expected {expected}") from None
    except OSError as err:
        raise error(f"{path}: cannot be read ({err.strerror}); expected {expected}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise error(f"{path}: is a folder; expected {expected}")
        if not stat.S_ISREG(mode):
            raise error(f"{path}: is not a regular file (a device, FIFO or socket); expected {expected}")
        with open(fd, "rb", closefd=False) as handle:  # reads until ``limit + 1`` bytes or the end
            data = handle.read(limit + 1)
    except OSError as err:
        raise error(f"{path}: cannot be read ({err.strerror}); expected {expected}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(f"{path}: larger than {_size(limit)}; expected {expected} of at most {_size(limit)}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line, column = data.count(b"\n", 0, err.start) + 1, err.start - data.rfind(b"\n", 0, err.start)
        raise error(
            f"{path}: line {line}, column {column}: byte 0x{data[err.start]:02x} is not UTF-8; "
            f"expected {expected} in UTF-8"
        ) from None
    if not text.strip():
        raise error(f"{path}: file is empty; expected {expected}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _depth(data: Any) -> int:
    """How deeply tables and lists nest in ``data`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth + 1)
            if depth + 1 <= MAX_DEPTH:
                stack.extend(
                    (child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)
                )
    return deepest


def read_toml(path: Path, error: type[WcitsimError], expected: str) -> dict:
    """A user's TOML file as a dict, every failure one line (see :func:`read_text`), nested at most :data:`MAX_DEPTH`."""
    text = read_text(path, error, expected)
    deep = f"expected tables and lists nested at most {MAX_DEPTH} deep"
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise error(f"{path}: nested too deeply to parse; {deep}") from None
    except ValueError as err:  # TOMLDecodeError, or an integer of more digits than Python converts
        raise error(f"{path}: not valid TOML ({err})") from None
    if _depth(data) > MAX_DEPTH:
        raise error(f"{path}: nested more than {MAX_DEPTH} deep; {deep}")
    return data


def read_json(path: Path, error: type[WcitsimError], expected: str) -> dict:
    """A user's JSON object as a dict, every failure one line (see :func:`read_text`)."""
    text = read_text(path, error, expected)
    try:
        data = json.loads(text)
    except RecursionError:
        raise error(f"{path}: nested too deeply to parse; expected {expected}") from None
    except ValueError as err:
        raise error(f"{path}: not valid JSON ({err}); expected {expected}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: holds a JSON {type(data).__name__}, not an object; expected {expected}")
    return data


def _merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_extending(path: Path, error: type[WcitsimError], expected: str) -> dict:
    """A TOML file merged over the chain of files it ``extends``: tables merge key by key, lists replace.

    Each ``extends`` is a path relative to the file that names it. The chain is read
    in a loop, not by recursion; one that loops back, or holds more than
    :data:`MAX_EXTENDS` files, is refused in one line, as is any file of it that
    :func:`read_toml` refuses (named after the file that extends it).
    """
    path, chain, layers = Path(path).resolve(), [], []
    while True:
        if path in chain:
            raise error(f"{path}: extends: the chain of files loops back to this file")
        if len(chain) == MAX_EXTENDS:
            raise error(
                f"{chain[0]}: extends: more than {MAX_EXTENDS} files in the chain (the next is {path}); "
                f"expected at most {MAX_EXTENDS}"
            )
        try:
            data = read_toml(path, error, expected)
        except WcitsimError as err:
            raise error(f"{chain[-1]}: extends: {err}" if chain else str(err)) from None
        parent = data.pop("extends", None)
        chain.append(path)
        layers.append(data)
        if parent is None:
            break
        if not isinstance(parent, str) or "\x00" in parent:
            raise error(f"{path}: extends: {shown(parent)}; expected the path of {expected}")
        path = (path.parent / parent).resolve()
    merged = layers.pop()
    while layers:
        merged = _merge(merged, layers.pop())
    return merged


def spec(
    default: Any = dataclasses.MISSING,
    *,
    lo=None,
    hi=None,
    choices=None,
    pattern: Pattern | None = None,
    unique: bool = False,
    doc: str = "",
    factory=None,
):
    """A dataclass field with validation metadata (``unique``: a list may not hold an item twice)."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "pattern": pattern, "unique": unique, "doc": doc}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def fail(source: str, path: str, message: str) -> typing.NoReturn:
    """Raise the one-line error for ``path`` in ``source``."""
    where = f"{source}: {path}: " if path else f"{source}: "
    raise ScenarioError(where + message)


def shown(value: Any, width: int = 80) -> str:
    """``repr(value)``, cut to ``width`` characters: a message quotes a bad value, never a whole file."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if kind is float:
        return "a number"
    if kind is int:
        return "an integer"
    if kind is bool:
        return "true or false"
    if kind is str:
        return "a string"
    if origin in (typing.Union, types.UnionType):
        *first, last = [_describe(k) for k in typing.get_args(kind) if k is not type(None)]
        return f"{', '.join(first)} or {last}" if first else last
    if origin is tuple:
        return f"a list of {_plural(_describe(typing.get_args(kind)[0]))}"
    if origin is dict:
        return f"a table of {_plural(_describe(typing.get_args(kind)[1]))}"
    if dataclasses.is_dataclass(kind):
        return "a table"
    return str(kind)


def _plural(described: str) -> str:
    """'a string' → 'strings', 'a table of numbers' → 'tables of numbers'; 'true or false' stays as it is."""
    for article in ("a ", "an "):
        if described.startswith(article) and " or " not in described:
            head, of, rest = described.removeprefix(article).partition(" of ")
            return f"{head}s{of}{rest}"
    return described


def _number(value: Any, kind: type, meta: dict, source: str, path: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(source, path, f"{shown(value)}; expected {_describe(kind)}{_range(meta)}")
    if kind is int and not isinstance(value, int):
        fail(source, path, f"{shown(value)}; expected an integer{_range(meta)}")
    if isinstance(value, float) and not math.isfinite(value):
        fail(source, path, f"{shown(value)}; expected a finite number{_range(meta)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fail(source, path, f"{shown(value)} is out of range; expected{_range(meta)}")
    if kind is float:
        try:
            return float(value)
        except OverflowError:  # an integer beyond the largest float
            fail(source, path, f"{shown(value)}; expected a finite number{_range(meta)}")
    return value


def _range(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f" in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f" ≥ {lo:g}"
    if hi is not None:
        return f" ≤ {hi:g}"
    return ""


def _string(value: Any, meta: dict, source: str, path: str) -> str:
    if not isinstance(value, str):
        fail(source, path, f"{shown(value)}; expected a string")
    choices, pattern = meta.get("choices"), meta.get("pattern")
    if choices and value not in choices:
        fail(source, path, f"{shown(value)} is not known; expected one of {', '.join(choices)}")
    if pattern and not re.fullmatch(pattern.regex, value):
        fail(source, path, f"{shown(value)}; expected {pattern.expected}")
    return value


def _convert(value: Any, kind: Any, meta: dict, source: str, path: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value is None:
            return None
        for option in options[:-1]:  # the first type that accepts the value
            try:
                return _convert(value, option, meta, source, path)
            except ScenarioError:
                continue
        if len(options) == 1:
            return _convert(value, options[0], meta, source, path)
        try:
            return _convert(value, options[-1], meta, source, path)
        except ScenarioError:
            fail(source, path, f"{shown(value)}; expected {_describe(kind)}")
    if kind in (float, int):
        return _number(value, kind, meta, source, path)
    if kind is bool:
        if not isinstance(value, bool):
            fail(source, path, f"{shown(value)}; expected true or false")
        return value
    if kind is str:
        return _string(value, meta, source, path)
    if origin is tuple:
        if not isinstance(value, list):
            fail(source, path, f"{shown(value)}; expected {_describe(kind)}")
        item = typing.get_args(kind)[0]
        items = tuple(_convert(v, item, meta, source, f"{path}[{i}]") for i, v in enumerate(value))
        if meta.get("unique"):
            first: dict = {}
            for i, v in enumerate(items):
                if first.setdefault(v, i) != i:
                    fail(
                        source,
                        f"{path}[{i}]",
                        f"{shown(v)} is listed twice (first at [{first[v]}]); expected each once",
                    )
        return items
    if origin is dict:
        if not isinstance(value, dict):
            fail(source, path, f"{shown(value)}; expected {_describe(kind)}")
        _, item = typing.get_args(kind)
        return {k: _convert(v, item, meta, source, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return build(kind, value, source, path)
    raise TypeError(f"unsupported field type {kind!r}")  # a programming error, not the user's


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """The field types of dataclass ``cls``, resolved once (resolving string annotations is slow)."""
    return typing.get_type_hints(cls)


def build(cls: type, data: Any, source: str, path: str = "") -> Any:
    """Build dataclass ``cls`` from ``data`` (a dict from TOML), validating every key."""
    if not isinstance(data, dict):
        fail(source, path, f"{shown(data)}; expected a table")
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            known = f"one of {', '.join(sorted(fields))}" if fields else "no key here"
            fail(source, f"{path}.{key}" if path else key, f"unknown key; expected {known}")
    values = {}
    for name, field in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in data:
            values[name] = _convert(data[name], hints[name], dict(field.metadata), source, sub)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            fail(source, sub, f"missing; expected {_describe(hints[name])}")
    return cls(**values)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Population:
    """``[population]``: a synthetic conference cloned from the seated states (docs/model.md, "Synthetic populations")."""

    size: int | None = spec(
        None,
        lo=1,
        hi=100_000,
        doc="delegations at the table, cloned from the seated states (absent: the seated states themselves)",
    )
    seed: int = spec(0, lo=0, hi=2**63 - 1, doc="seed of the draw of the states the delegations clone")
