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

    __slots__ = (
        "bare",
        "json_attrs",
        "json_names",
        "merged",
        "orm_bare",
        "orm_modules",
        "returns_by_name",
    )

    def __init__(self, merged: Merged) -> None:
        self.merged = merged
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
        # every dotted part of a module holding an ORM class (`models`, `app.models`, `app`):
        # what an import of it, or of its package, can be written as
        modules: set[str] = set()
        for q, info in merged.models.items():
            if info.orm or info.orm_mixin:
                parts = q.split(".")[:-1]
                for i in range(len(parts)):
                    modules.update(".".join(parts[i:j]) for j in range(i + 1, len(parts) + 1))
        self.orm_modules = frozenset(modules)
        self.returns_by_name: dict[str, list[str]] = {}
        for q in merged.returns:
            self.returns_by_name.setdefault(q.rpartition(".")[2], []).append(q)

    def returned(self, target: str, exact: bool) -> tuple[ModelInfo, bool] | None:
        """(model, a collection of it) that the function ``target`` (a qualname, or with
        ``exact`` False a dotted import target that may lack the qualname's head) returns."""
        found = self.merged.returns.get(target)
        if found is None and not exact:
            hits = [
                q
                for q in self.returns_by_name.get(target.rpartition(".")[2], [])
                if q.endswith("." + target)
            ]
            found = self.merged.returns[hits[0]] if len(hits) == 1 else None
        if found is None:
            return None
        info = self.merged.models.get(found[0])
        return None if info is None else (info, found[1])


class ReturnTable:
    """What the functions one file can call return, by the name the file calls them
    (``get_trace``, ``crud.get_trace``, ``Trace.by_id``): the ORM model their return
    annotation names."""

    __slots__ = ("_imports", "_module", "_shared", "typed")

    def __init__(self, shared: Shared, module: str, imports: Mapping[str, str]) -> None:
        self._shared = shared
        self._module = module
        self._imports = imports
        self.typed = bool(shared.merged.typed)  # whether any TypedDict holds a model

    def item(self, typed: ModelInfo, key: str) -> ModelInfo | None:
        """The ORM model the key ``key`` of the TypedDict ``typed`` holds, or None."""
        found = self._shared.merged.typed.get(typed.qualname, {}).get(key)
        return None if found is None else self._shared.merged.models.get(found)

    def named(self, words: set[str] | frozenset[str]) -> bool:
        """Whether any of ``words`` names a function of the project that returns a model."""
        return not words.isdisjoint(self._shared.returns_by_name)

    def get(self, name: str) -> tuple[ModelInfo, bool] | None:
        """(class, a collection of it) the function ``name`` returns: an ORM model, or a
        TypedDict with a key that holds one (``item``)."""
        if name.rpartition(".")[2] not in self._shared.returns_by_name:
            return None  # no function of that name returns a model
        head, _, rest = name.partition(".")
        target = self._imports.get(head)
        if target is None:
            return self._shared.returned(f"{self._module}.{name}" if self._module else name, True)
        return self._shared.returned(f"{target}.{rest}" if rest else target, False)


class ClassTable(Mapping[str, ModelInfo]):
    """``name -> class`` for one file: ``local`` first, then the shared bare names less
    ``hidden`` (names the file imports from outside the project)."""

    __slots__ = ("_base", "_hidden", "_local", "_modules", "_orm_base", "_shared")

    def __init__(
        self,
        shared: Shared,
        local: dict[str, ModelInfo],
        hidden: frozenset[str],
        modules: Mapping[str, str] | None = None,
    ) -> None:
        self._shared = shared
        self._base = shared.bare
        self._orm_base = shared.orm_bare
        self._local = local
        self._hidden = hidden
        self._modules = modules or {}  # a name the file imports a module of models as

    def with_local(self, extra: Mapping[str, ModelInfo]) -> ClassTable:
        """This table with ``extra`` names added (or replacing the file's own)."""
        return ClassTable(self._shared, {**self._local, **extra}, self._hidden, self._modules)

    def _qualified(self, key: str) -> ModelInfo | None:
        """``models.Trace`` where the file imports ``models``, a module of the project."""
        head, _, rest = key.partition(".")
        target = self._modules.get(head)
        if target is None or not rest:
            return None
        q = self._shared.merged.lookup(f"{target}.{rest}")
        return None if q is None else self._shared.merged.models.get(q)

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
        if self._modules and "." in key:
            dotted = self._qualified(key)
            return default if dotted is None else dotted
        return self._base.get(key, default)

    def __getitem__(self, key: str) -> ModelInfo:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

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
        if self._modules and not words.isdisjoint(self._modules):
            return True  # `models.Trace` may name one
        return bool((self._orm_base & words) - self._hidden - self._local.keys())


def models_named(classes: Mapping[str, ModelInfo], words: set[str] | frozenset[str]) -> bool:
    """``ClassTable.models_named`` for any mapping of classes."""
    if isinstance(classes, ClassTable):
        return classes.models_named(words)
    return any(info.orm or info.orm_mixin for name, info in classes.items() if name in words)
