"""Registries of named components (protocols, chair policies, seeders), and the three registries.

A registry maps a name used in scenario files to an object, and refuses to
overwrite a name silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

__all__ = ["CHAIR_POLICIES", "PROTOCOLS", "SEEDERS", "Registry"]


class Registry[T](Mapping[str, T]):
    """A name -> component mapping filled by the :meth:`register` decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated object under ``name``."""

        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return decorate

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


#: The negotiation protocols (``protocol.name``), filled by :mod:`wcitsim.core.protocols`.
PROTOCOLS: Registry[type] = Registry("protocol")
#: The chair's drafting policies (``chair.policy``), filled by :mod:`wcitsim.core.drafting`.
CHAIR_POLICIES: Registry = Registry("chair policy")
#: The seeders (``seeder.name``), filled by :mod:`wcitsim.core.seeding`.
SEEDERS: Registry = Registry("seeder")
