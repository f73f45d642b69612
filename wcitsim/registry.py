"""Registries of named components (protocols, chair policies, seeders), and the three registries.

A registry maps a name used in scenario files to an object, and refuses to
overwrite a name silently. The modules that fill it register their components when
they are imported; a registry names the package that fills it and imports it when it
is first read, so checking a scenario's names needs no import of the core beforehand
(and ``import wcitsim`` stays light).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

__all__ = ["CHAIR_POLICIES", "PROTOCOLS", "SEEDERS", "Registry"]


class Registry[T](Mapping[str, T]):
    """A name -> component mapping filled by the :meth:`register` decorator."""

    def __init__(self, kind: str, filled_by: str | None = None) -> None:
        self.kind = kind
        self.filled_by = filled_by
        self._items: dict[str, T] = {}

    def _filled(self) -> dict[str, T]:
        """The components, after importing the package that registers them (once)."""
        if self.filled_by is not None:
            package, self.filled_by = self.filled_by, None
            importlib.import_module(package)
        return self._items

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
PROTOCOLS: Registry[type] = Registry("protocol", "wcitsim.core")
#: The chair's drafting policies (``chair.policy``), filled by :mod:`wcitsim.core.drafting`.
CHAIR_POLICIES: Registry = Registry("chair policy", "wcitsim.core")
#: The seeders (``seeder.name``), filled by :mod:`wcitsim.core.seeding`.
SEEDERS: Registry = Registry("seeder", "wcitsim.core")
