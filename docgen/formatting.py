"""German formatting for documents (DIN 5008), built on Babel.

These functions are the Jinja filters templates use: ``{{ vorlage.datum|datum }}``
gives ``28.11.2024``, ``|datum_lang`` gives ``28. November 2024``; the number
filters ``|euro`` (``1.234,56 €``), ``|prozent`` (``60,00 %``) and ``|zahl``
come from :mod:`docgen.numbers`, the one place numbers are rounded and printed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date

from docgen.numbers import LOCALE, euro, prozent, zahl


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


FILTERS = {"datum": datum, "datum_lang": datum_lang, "euro": euro, "prozent": prozent, "zahl": zahl}
