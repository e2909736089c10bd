"""One registry idiom for everything a study names by key: models, datasets, scalings, schedules.

    MODELS = Registry("model", modules=("lungxray.models.simple", ...))

    @MODELS.register("simple_cnn")
    def simple_cnn(n_outputs, input_shape, ...): ...

    MODELS["simple_cnn"]  # the builder; an unknown name is a KeyError listing the known ones

The contract: an entry is registered once under a unique name (twice is a ValueError); lookup by an
unknown name is a KeyError that lists the known ones. ``modules`` (optional) names the modules whose
``@register`` decorators fill the registry; they are imported on first lookup, so a registry of
TensorFlow models can be declared (and listed in ``--help``) without importing TensorFlow, and the
registering modules import the registry, never the other way round (no import cycle).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, modules: Sequence[str] = ()) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._modules = tuple(modules)
        self._loaded = not self._modules

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@REG.register("name")`` on a function or class."""
        def deco(obj: T) -> T:
            self.add(name, obj)
            return obj
        return deco

    def add(self, name: str, obj: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[name] = obj
        return obj

    def _ensure(self) -> None:
        if not self._loaded:
            self._loaded = True
            for name in self._modules:
                importlib.import_module(name)

    def __getitem__(self, name: str) -> T:
        self._ensure()
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(self._entries) or 'none'}") from None

    def __contains__(self, name: object) -> bool:
        self._ensure()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        self._ensure()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self._ensure()
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        self._ensure()
        return list(self._entries.items())
