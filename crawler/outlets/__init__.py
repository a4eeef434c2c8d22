"""Outlet registry: one module per outlet with its page parsers (see ``base.py``)."""

from __future__ import annotations

from importlib import import_module
from typing import cast
from urllib.parse import urlsplit

from crawler.outlets.base import OutletModule

OUTLET_NAMES: tuple[str, ...] = ("mofa", "jiji", "nhk", "reuters")


class UnknownOutlet(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown outlet {self.name!r}; choose one of: {', '.join(OUTLET_NAMES)}"


def get_outlet(name: str) -> OutletModule:
    if name not in OUTLET_NAMES:
        raise UnknownOutlet(name)
    return cast(OutletModule, import_module(f"crawler.outlets.{name}"))


def outlet_for_url(url: str) -> OutletModule | None:
    """The outlet whose hosts serve ``url`` (``None`` for other sites)."""
    host = (urlsplit(url).hostname or "").lower()
    for name in OUTLET_NAMES:
        module = get_outlet(name)
        if host in module.OUTLET.hosts:
            return module
    return None
