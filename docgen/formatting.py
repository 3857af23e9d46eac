"""German formatting for documents (DIN 5008), built on Babel.

These functions are the Jinja filters templates use: ``{{ vorlage.datum|datum }}``
gives ``28.11.2024``, ``|datum_lang`` gives ``28. November 2024``; the number
filters ``|euro`` (``1.234,56 €``), ``|prozent`` (``60,00 %``) and ``|zahl``
come from :mod:`docgen.numbers`, the one place numbers are rounded and printed.

Times an operator or clerk sees (``docgen status``, the inbox lock, docgen web) are stored in UTC
and shown in the setting ``zeitzone``: :func:`zeit_iso` for JSON (ISO 8601 with the zone's offset),
:func:`zeitpunkt` for text (``02.12.2024, 14:05 Uhr``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

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


def zeit_in_zone(value: str | dt.datetime, zone: str) -> dt.datetime | None:
    """A stored time (ISO 8601 text or datetime; without offset it is UTC) in the time zone ``zone``;
    ``None`` when it is no time."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (OverflowError, ValueError):  # 9999-12-31T23:59:59Z ("no expiry") has no later hour to move to
        return None


def zeit_iso(value: str | dt.datetime | None, zone: str) -> str | None:
    """``2024-12-02T13:05:00+00:00`` → ``2024-12-02T14:05:00+01:00`` (in ``zone``); text that is no time
    stays as it is."""
    if value is None or value == "":
        return None if value is None else ""
    moment = zeit_in_zone(value, zone)
    return moment.isoformat(timespec="seconds") if moment is not None else str(value)


def zeitpunkt(value: str | dt.datetime | None, zone: str, *, sekunden: bool = False) -> str:
    """``2024-12-02T13:05:00+00:00`` → ``02.12.2024, 14:05 Uhr`` (in ``zone``, e.g. Europe/Berlin);
    text that is no time stays as it is."""
    if value is None or value == "":
        return ""
    moment = zeit_in_zone(value, zone)
    if moment is None:
        return str(value)
    return moment.strftime("%d.%m.%Y, %H:%M:%S Uhr" if sekunden else "%d.%m.%Y, %H:%M Uhr")


FILTERS = {"datum": datum, "datum_lang": datum_lang, "euro": euro, "prozent": prozent, "zahl": zahl}
