"""German formatting filters (Babel): DIN 5008 dates, money, percent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docgen.formatting import datum, datum_lang
from docgen.numbers import NBSP, cent, euro, prozent, zahl


@pytest.mark.parametrize(("value", "short", "long"), [
    ("2024-11-28", "28.11.2024", "28. November 2024"),
    ("2025-03-05", "05.03.2025", "5. März 2025"),
    (dt.date(2026, 1, 1), "01.01.2026", "1. Januar 2026"),
])
def test_dates(value: object, short: str, long: str) -> None:
    assert datum(value) == short
    assert datum_lang(value) == long


@pytest.mark.parametrize(("value", "text"), [
    ("1234.56", f"1.234,56{NBSP}€"),
    (Decimal("1234.5"), f"1.234,50{NBSP}€"),
    (0, f"0,00{NBSP}€"),
    ("1000000", f"1.000.000,00{NBSP}€"),
    ("0.005", f"0,01{NBSP}€"),  # half-up, not Babel's half-even
    ("-12.345", f"-12,35{NBSP}€"),
])
def test_euro(value: object, text: str) -> None:
    assert euro(value) == text


def test_percent_and_number() -> None:
    assert prozent(60) == f"60,00{NBSP}%"
    assert prozent("17.5", 1) == f"17,5{NBSP}%"
    assert zahl("2.125", 2) == "2,13"


def test_float_is_refused_for_money() -> None:
    with pytest.raises(TypeError):
        cent(0.1)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_euro_round_trips(value: Decimal) -> None:
    text = euro(value)
    assert text.endswith(f"{NBSP}€")
    parsed = Decimal(text.removesuffix(f"{NBSP}€").replace(".", "").replace(",", "."))
    assert parsed == value


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_datum_round_trips(value: dt.date) -> None:
    assert dt.datetime.strptime(datum(value.isoformat()), "%d.%m.%Y").date() == value
