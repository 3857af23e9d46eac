"""Where docgen finds what it ships: Word templates, JSON Schemas and example inputs.

An installed docgen carries them as package data in ``docgen/_data/`` (the wheel
maps the repository's top-level ``templates/``, ``schemas/`` and ``examples/``
there). Run from a source checkout, they are read from the checkout itself, so an
edit to a template is seen at once.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
KINDS = ("templates", "schemas", "examples")


def data_root() -> Path:
    """The folder that holds ``templates/``, ``schemas/`` and ``examples/``."""
    packaged = _PACKAGE / "_data"
    if (packaged / "schemas").is_dir():
        return packaged
    return _PACKAGE.parent  # a source checkout: the repository root


def templates_dir() -> Path:
    return data_root() / "templates"


def schemas_dir() -> Path:
    return data_root() / "schemas"


def examples_dir() -> Path:
    return data_root() / "examples"
