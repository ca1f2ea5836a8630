"""The class table of one file's view: the project's unambiguous bare class names, shared by
every file, under the file's own names (its imports and classes). Building it copies nothing
of the shared part, so a view costs the file's names, not the project's. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar, overload

from ._model import Merged, ModelInfo

_T = TypeVar("_T")


class Shared:
    """What every file's view of one project shares: the bare names no file can mistake (every
    class of that name is an ORM model with the same JSON attributes), the ORM ones among them,
    and the names of all JSON attributes a receiver's class can have."""

    __slots__ = ("bare", "json_attrs", "json_names", "orm_bare")

    def __init__(self, merged: Merged) -> None:
        self.bare: dict[str, ModelInfo] = {}
        for name, qs in merged.by_name.items():
            infos = [merged.models[q] for q in qs]
            if all(i.orm for i in infos) and len({tuple(sorted(i.json)) for i in infos}) == 1:
                self.bare[name] = infos[0]
        self.orm_bare = frozenset(n for n, i in self.bare.items() if i.orm or i.orm_mixin)
        self.json_attrs = frozenset(merged.json_attrs)
        self.json_names = self.json_attrs | frozenset(
            attr for i in merged.models.values() if i.orm or i.orm_mixin for attr in i.json
        )


class ClassTable(Mapping[str, ModelInfo]):
    """``name -> class`` for one file: ``local`` first, then the shared bare names less
    ``hidden`` (names the file imports from outside the project)."""

    __slots__ = ("_base", "_hidden", "_local", "_orm_base")

    def __init__(
        self, shared: Shared, local: dict[str, ModelInfo], hidden: frozenset[str]
    ) -> None:
        self._base = shared.bare
        self._orm_base = shared.orm_bare
        self._local = local
        self._hidden = hidden

    @overload
    def get(self, key: str, /) -> ModelInfo | None: ...
    @overload
    def get(self, key: str, default: ModelInfo | _T, /) -> ModelInfo | _T: ...

    def get(self, key: str, default: object = None, /) -> object:
        found = self._local.get(key)
        if found is not None:
            return found
        if key in self._hidden:
            return default
        return self._base.get(key, default)

    def __getitem__(self, key: str) -> ModelInfo:
        found = self._local.get(key)
        if found is None and key not in self._hidden:
            found = self._base.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (
            key in self._local or (key not in self._hidden and key in self._base)
        )

    def __iter__(self) -> Iterator[str]:
        yield from self._local
        for name in self._base:
            if name not in self._local and name not in self._hidden:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def models_named(self, words: set[str] | frozenset[str]) -> bool:
        """Whether any of ``words`` names an ORM model or mixin of this table."""
        if any(info.orm or info.orm_mixin for name, info in self._local.items() if name in words):
            return True
        return bool((self._orm_base & words) - self._hidden - self._local.keys())


def models_named(classes: Mapping[str, ModelInfo], words: set[str] | frozenset[str]) -> bool:
    """``ClassTable.models_named`` for any mapping of classes."""
    if isinstance(classes, ClassTable):
        return classes.models_named(words)
    return any(info.orm or info.orm_mixin for name, info in classes.items() if name in words)
