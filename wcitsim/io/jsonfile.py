"""Reading a JSON output a user gives back (a run's summary, a validation's metrics.json), key by key.

Each read names what it wants (a table, a number in a range, a list of a length);
anything else is refused in one line with the key path, the value and what was
expected (exit status 2), never a traceback.
"""

from __future__ import annotations

import math
from typing import NoReturn

from wcitsim.errors import UsageError
from wcitsim.io.schema import shown

__all__ = ["JsonFile"]


class JsonFile:
    """A user's JSON object, read key by key: a missing key, a value of the wrong type or out of its range
    is refused in one line naming the file, the key path, the value and what was expected."""

    def __init__(self, name: str, data: dict, expected: str) -> None:
        self.name, self.data, self.expected = name, data, expected

    def fail(self, path: tuple, message: str) -> NoReturn:
        """Refuse the value at ``path``: ``message`` says what it is and what was expected."""
        where = "".join(
            f"[{k!r}]" if not isinstance(k, str) or not k.isidentifier() else f".{k}" for k in path
        )
        raise UsageError(f"{self.name}: {where.lstrip('.')}: {message}")

    def get(self, *path, kind: type | tuple[type, ...] = object, optional: bool = False):
        """The value at ``path`` (keys and list indices), of type ``kind`` (true and false only where ``kind``
        names bool); None where ``optional`` and the last key is absent."""
        kinds = kind if isinstance(kind, tuple) else (kind,)
        node = self.data
        for i, key in enumerate(path):
            inside = isinstance(node, dict) and isinstance(key, str) and key in node
            inside = inside or (
                isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node)
            )
            if not inside:
                if optional and i == len(path) - 1:
                    return None
                self.fail(path[: i + 1], f"missing; {self.expected}")
            node = node[key]
        if not isinstance(node, kinds) or (isinstance(node, bool) and bool not in kinds):
            self.fail(path, f"{shown(node)}; expected {_kind_name(kinds)}")
        return node

    def number(self, *path, lo: float, hi: float, whole: bool = False) -> float:
        """The finite number (a whole one where ``whole``) at ``path``, from ``lo`` to ``hi``, as a float."""
        value = self.get(*path, kind=int if whole else (int, float))
        if not (isinstance(value, int) or math.isfinite(value)) or not lo <= value <= hi:
            self.fail(
                path,
                f"{shown(value)}; expected {'a whole number' if whole else 'a number'} from {lo:g} to {hi:g}",
            )
        return float(value)

    def numbers(self, *path, length: int, lo: float, hi: float) -> list[float]:
        """The list of ``length`` numbers at ``path``, each from ``lo`` to ``hi``."""
        values = self.get(*path, kind=list)
        if len(values) != length:
            self.fail(path, f"{len(values)} values; expected {length}")
        return [self.number(*path, i, lo=lo, hi=hi) for i in range(length)]

    def shares(self, *path) -> dict[int, float]:
        """The distribution at ``path`` over counts (of poles, say), {count: share}: whole-number keys from 1
        to 100 written in ASCII digits, shares from 0 to 1 summing to 1."""
        table = self.get(*path, kind=dict)
        out: dict[int, float] = {}
        for key in table:
            if not (key.isascii() and key.isdecimal() and 1 <= int(key) <= 100) or int(key) in out:
                self.fail((*path, key), f"a count {key!r}; expected a whole number from 1, once")
            out[int(key)] = self.number(*path, key, lo=0.0, hi=1.0)
        if not out or abs(sum(out.values()) - 1.0) > 1e-6:
            self.fail(
                path,
                f"shares summing to {sum(out.values()):g}; expected shares summing to 1",
            )
        return out


def _kind_name(kinds: tuple[type, ...]) -> str:
    """What a value of one of ``kinds`` is called in a message ('a number or null')."""
    names = {dict: "a table", list: "a list", str: "a string", int: "a whole number", bool: "true or false"}
    names |= {float: "a number", type(None): "null", object: "a value"}
    if int in kinds and float in kinds:
        kinds = tuple(k for k in kinds if k is not int)
    return " or ".join(names.get(k, k.__name__) for k in kinds)
