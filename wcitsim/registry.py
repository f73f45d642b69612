"""Registries of named components (protocols, chair policies, seeders), and the three registries.

A registry maps a name used in scenario files to an object, and refuses to
overwrite a name silently. The modules that fill it register their components when
they are imported; a registry names the package that fills it and imports it when it
is first read, so checking a scenario's names needs no import of the core beforehand
(and ``import wcitsim`` stays light). A registry also lists the names that package
registers: asking whether one of them is registered imports nothing, so a scenario
that names only such components is checked without the core (``wcitsim check``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

__all__ = ["CHAIR_POLICIES", "PROTOCOLS", "SEEDERS", "Registry"]


class Registry[T](Mapping[str, T]):
    """A name -> component mapping filled by the :meth:`register` decorator."""

    def __init__(self, kind: str, filled_by: str | None = None, names: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.filled_by = filled_by
        #: The names that ``filled_by`` registers, known before it is imported.
        self.names = frozenset(names)
        self._items: dict[str, T] = {}

    def _filled(self) -> dict[str, T]:
        """The components, after importing the package that registers them (once)."""
        if self.filled_by is not None:
            package, self.filled_by = self.filled_by, None
            importlib.import_module(package)
            missing = sorted(self.names - self._items.keys())
            if missing:
                raise ValueError(f"{self.kind} {missing[0]!r} is listed but {package} does not register it")
        return self._items

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered; for a name of :attr:`names`, without importing ``filled_by``."""
        return (self.filled_by is not None and name in self.names) or name in self._filled()

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated object under ``name``."""

        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return decorate

    def __getitem__(self, name: str) -> T:
        return self._filled()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._filled())

    def __len__(self) -> int:
        return len(self._filled())


#: The negotiation protocols (``protocol.name``), filled by :mod:`wcitsim.core.protocols`.
PROTOCOLS: Registry[type] = Registry(
    "protocol", "wcitsim.core", ("single_text", "compromise", "expected_utility", "exchange")
)
#: The chair's drafting policies (``chair.policy``), filled by :mod:`wcitsim.core.drafting`.
CHAIR_POLICIES: Registry = Registry(
    "chair policy", "wcitsim.core", ("compromise", "median", "majority", "final_acts")
)
#: The seeders (``seeder.name``), filled by :mod:`wcitsim.core.seeding`.
SEEDERS: Registry = Registry("seeder", "wcitsim.core", ("anchors", "tabled", "expert"))
