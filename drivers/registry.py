"""A registry mapping a config `type` string to the class that implements it.

Entries are import paths ("package.module:Class"), resolved only when that type is
actually configured: a kiosk with a simulated printer never imports python-escpos or
pyserial, and start-up stays fast.  Each layer owns its registries (printer/,
cardreader/, drivers/transports/); this module is only the mechanism.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownType(LookupError):
    def __init__(self, registry: str, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {registry} type {name!r}; known types: {', '.join(known)}")
        self.registry, self.name, self.known = registry, name, known


class Registry(Generic[T]):
    # `base` is typed type[Any], not type[T]: driver bases are abstract, and mypy refuses
    # an abstract class where type[T] is expected. Declare the registry's T instead:
    # `PRINTERS: Registry[ReceiptPrinter] = Registry("receipt printer", ReceiptPrinter)`.
    def __init__(self, what: str, base: type[Any]) -> None:
        self.what = what
        self._base = base
        self._paths: dict[str, str] = {}

    def register(self, type_name: str, import_path: str) -> None:
        if type_name in self._paths and self._paths[type_name] != import_path:
            raise ValueError(f"{self.what} type {type_name!r} is already registered")
        self._paths[type_name] = import_path

    def names(self) -> list[str]:
        return sorted(self._paths)

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def resolve(self, type_name: str) -> type[T]:
        try:
            path = self._paths[type_name]
        except KeyError:
            raise UnknownType(self.what, type_name, self.names()) from None
        module_name, _, attr = path.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        if not (isinstance(cls, type) and issubclass(cls, self._base)):
            raise TypeError(f"{path} is not a {self._base.__name__}")
        return cls
