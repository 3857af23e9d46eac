"""German formatting for documents (DIN 5008), built on Babel.

These functions are the Jinja filters templates use: ``{{ vorlage.datum|datum }}``
gives ``28.11.2024``, ``|datum_lang`` gives ``28. November 2024``, ``|euro``
gives ``1.234,56 €`` and ``|prozent`` gives ``60,00 %``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "de_DE"
CENT = Decimal("0.01")
NBSP = "\u00a0"


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def datum(value: Any) -> str:
    """``2024-11-28`` → ``28.11.2024`` (DIN 5008, numeric with leading zeros)."""
    if value is None or value == "":
        return ""
    return format_date(to_date(value), format="dd.MM.yyyy", locale=LOCALE)


def datum_lang(value: Any) -> str:
    """``2024-11-28`` → ``28. November 2024`` (for running text)."""
    if value is None or value == "":
        return ""
    return format_date(to_date(value), format="d. MMMM yyyy", locale=LOCALE)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def cent(value: Any) -> Decimal:
    """Round half-up to cents."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def zahl(value: Any, stellen: int = 2) -> str:
    """``1234.5`` → ``1.234,50``."""
    pattern = "#,##0" + ("." + "0" * stellen if stellen else "")
    # Babel rounds half-even; German administrative practice rounds half-up.
    rounded = to_decimal(value).quantize(Decimal(1).scaleb(-stellen), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, format=pattern, locale=LOCALE, decimal_quantization=True)


def euro(value: Any, stellen: int = 2) -> str:
    """``1234.5`` → ``1.234,50 €`` (no-break space before the sign)."""
    if value is None or value == "":
        return ""
    return f"{zahl(cent(value) if stellen == 2 else value, stellen)}{NBSP}€"


def prozent(value: Any, stellen: int = 2) -> str:
    """``60`` → ``60,00 %`` (the value is already in percent)."""
    if value is None or value == "":
        return ""
    return f"{zahl(value, stellen)}{NBSP}%"


FILTERS = {"datum": datum, "datum_lang": datum_lang, "euro": euro, "prozent": prozent, "zahl": zahl}
