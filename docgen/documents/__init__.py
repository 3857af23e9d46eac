"""Document types are plug-ins: one module per dokumentart in this package.

Each module exposes ``DOCUMENT``, a :class:`DocumentType` naming its schema and
template, its domain rules and how it builds the render context. The pipeline
looks them up by the input's ``dokumentart`` and knows none of them by name, so
a new type is one module, one schema and one template.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from docgen.errors import InvalidInput, Problem
from docgen.model import DocumentType

__all__ = ["DocumentType", "get", "names", "registry"]


@cache
def registry() -> dict[str, DocumentType]:
    """All document types found in this package, by dokumentart."""
    found: dict[str, DocumentType] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        doc = getattr(module, "DOCUMENT", None)
        if isinstance(doc, DocumentType):
            found[doc.name] = doc
    return dict(sorted(found.items()))


def names() -> list[str]:
    return list(registry())


def get(name: str) -> DocumentType | None:
    """The document type called ``name``, or None.

    A type lives in the module of its name as a rule; that module alone is imported first
    (``docgen validate`` of one file need not load every plug-in), the whole registry otherwise.
    """
    if name.isidentifier() and not name.startswith("_") and registry.cache_info().currsize == 0:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            module = None
        doc = getattr(module, "DOCUMENT", None)
        if isinstance(doc, DocumentType) and doc.name == name:
            return doc
    return registry().get(name)


def require(name: str) -> DocumentType:
    """The document type called ``name``; an unknown name is an input error naming the known ones."""
    doc = get(name)
    if doc is None:
        known = ", ".join(names())
        raise InvalidInput(name, [Problem("", f"unbekannte Dokumentart. Bekannt sind: {known}.", "dokumentart")])
    return doc
