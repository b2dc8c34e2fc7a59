"""A registry: named entries, kept in the order registered, each name once.

The report sections (`reports.sections`), the data-quality checks (`quality.checks`) and the
plan-target rules (`targets.rules`) are registries. The apps above this one fill them from one
module each, their `reports.py`, by decorating named module-level functions: a number on a page
leads, by name, to the function that counts it.
"""

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured


class Named(Protocol):
    key: str


E = TypeVar("E", bound=Named)


class Registry(Generic[E]):
    """Entries by their `key`; registering a key a second time is a configuration error."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, E] = {}

    def __repr__(self):
        return f"<Registry of {self.kind}: {', '.join(self._entries)}>"

    def __contains__(self, key) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: E) -> E:
        existing = self._entries.get(entry.key)
        if existing is not None:
            raise ImproperlyConfigured(f"{self.kind} {entry.key!r} is already registered: {existing!r}.")
        self._entries[entry.key] = entry
        return entry

    def get(self, key: str) -> E | None:
        return self._entries.get(key)

    def copy(self) -> "Registry[E]":
        """A registry with the same entries, for a test to add to and throw away."""
        copied = Registry(self.kind)
        copied._entries = dict(self._entries)
        return copied
