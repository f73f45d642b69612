"""Build frozen dataclasses from parsed TOML, naming the key path of every mistake.

Each dataclass field may carry ``metadata`` with ``lo``/``hi`` bounds (numbers),
``choices`` (strings) and ``doc`` (what it means). :func:`build` checks unknown
keys, types, ranges and choices, and raises :class:`~wcitsim.errors.ScenarioError`
with one line: ``FILE: KEY.PATH: BAD VALUE; expected WHAT``.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from wcitsim.errors import ScenarioError, WcitsimError

__all__ = ["build", "fail", "read_text", "read_toml", "spec"]


def read_text(path: Path, error: type[WcitsimError], expected: str) -> str:
    """A user's file as text; each way reading it can fail is one line naming the file and ``expected``."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found; expected {expected}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder; expected {expected}") from None
    except UnicodeDecodeError as err:
        raise error(f"{path}: byte {err.start} is not UTF-8; expected {expected} in UTF-8") from None
    except OSError as err:
        raise error(f"{path}: cannot be read ({err.strerror}); expected {expected}") from None


def read_toml(path: Path, error: type[WcitsimError], expected: str) -> dict:
    """A user's TOML file as a dict, every failure one line (see :func:`read_text`)."""
    text = read_text(path, error, expected)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: not valid TOML ({err})") from None


def spec(default: Any = dataclasses.MISSING, *, lo=None, hi=None, choices=None, doc: str = "", factory=None):
    """A dataclass field with validation metadata."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "doc": doc}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def fail(source: str, path: str, message: str) -> typing.NoReturn:
    """Raise the one-line error for ``path`` in ``source``."""
    where = f"{source}: {path}: " if path else f"{source}: "
    raise ScenarioError(where + message)


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
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(kind)[0])}s"
    if origin is dict:
        return f"a table of {_describe(typing.get_args(kind)[1])}s"
    if dataclasses.is_dataclass(kind):
        return "a table"
    return str(kind)


def _number(value: Any, kind: type, meta: dict, source: str, path: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(source, path, f"{value!r}; expected {_describe(kind)}{_range(meta)}")
    if kind is int and not isinstance(value, int):
        fail(source, path, f"{value!r}; expected an integer{_range(meta)}")
    if not math.isfinite(value):
        fail(source, path, f"{value!r}; expected a finite number{_range(meta)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fail(source, path, f"{value!r} is out of range; expected{_range(meta)}")
    return float(value) if kind is float else value


def _range(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f" in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f" ≥ {lo:g}"
    if hi is not None:
        return f" ≤ {hi:g}"
    return ""


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
        return _convert(value, options[-1], meta, source, path)
    if kind in (float, int):
        return _number(value, kind, meta, source, path)
    if kind is bool:
        if not isinstance(value, bool):
            fail(source, path, f"{value!r}; expected true or false")
        return value
    if kind is str:
        if not isinstance(value, str):
            fail(source, path, f"{value!r}; expected a string")
        choices = meta.get("choices")
        if choices and value not in choices:
            fail(source, path, f"{value!r} is not known; expected one of {', '.join(choices)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            fail(source, path, f"{value!r}; expected {_describe(kind)}")
        item = typing.get_args(kind)[0]
        return tuple(_convert(v, item, meta, source, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            fail(source, path, f"{value!r}; expected {_describe(kind)}")
        _, item = typing.get_args(kind)
        return {k: _convert(v, item, meta, source, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return build(kind, value, source, path)
    raise TypeError(f"unsupported field type {kind!r}")  # a programming error, not the user's


def build(cls: type, data: Any, source: str, path: str = "") -> Any:
    """Build dataclass ``cls`` from ``data`` (a dict from TOML), validating every key."""
    if not isinstance(data, dict):
        fail(source, path, f"{data!r}; expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            fail(source, f"{path}.{key}" if path else key, f"unknown key; expected one of {known}")
    values = {}
    for name, field in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in data:
            values[name] = _convert(data[name], hints[name], dict(field.metadata), source, sub)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            fail(source, sub, f"missing; expected {_describe(hints[name])}")
    return cls(**values)
