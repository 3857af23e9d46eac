"""JSON text with exact numbers: ``Decimal`` is written as it is, never through a binary float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def parse(text: str | bytes) -> Any:
    """Parse JSON the way the library does: numbers with a fraction become ``Decimal``."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, indent: int = 2, _level: int = 0) -> str:
    """Like ``json.dumps(..., ensure_ascii=False, indent=2)``, but a Decimal keeps its digits."""
    pad = " " * (indent * (_level + 1))
    end = " " * (indent * _level)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent, _level + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(pad + dumps(v, indent, _level + 1) for v in value) + "\n" + end + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN/Infinity ist kein JSON")
        return str(value) if "E" not in str(value) else format(value, "f")
    return json.dumps(value, ensure_ascii=False)
