"""The one number module: Decimal only, half-up, never "-0,00", German grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docgen.numbers import NBSP, cent, euro, prozent, to_decimal, zahl

amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False,
                      allow_infinity=False, places=4)


@given(amounts)
def test_never_minus_zero(value: Decimal) -> None:
    assert not zahl(value).startswith("-0,00") or cent(value) != 0
    assert str(cent(value)) != "-0.00"


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("-0.004"), f"0,00{NBSP}€"), (Decimal("-0.005"), f"-0,01{NBSP}€"), (Decimal("0.005"), f"0,01{NBSP}€"),
    (Decimal("2.345"), f"2,35{NBSP}€"), (Decimal("1234567.891"), f"1.234.567,89{NBSP}€"), (0, f"0,00{NBSP}€"),
    ("1150", f"1.150,00{NBSP}€"),
])
def test_euro_half_up(value: object, expected: str) -> None:
    assert euro(value) == expected


def test_places_and_percent() -> None:
    assert zahl(Decimal("0.125"), 3) == "0,125" and zahl(Decimal("2.5"), 0) == "3"
    assert prozent(Decimal("19.999")) == f"20,00{NBSP}%"
    assert euro(None) == "" and prozent("") == ""


@pytest.mark.parametrize("bad", [1.5, True, None, [1]])
def test_floats_bools_and_others_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        to_decimal(bad)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "1,5", "abc"])
def test_not_finite_or_not_a_number(bad: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(bad)


@given(amounts)
def test_cent_is_idempotent_and_close(value: Decimal) -> None:
    rounded = cent(value)
    assert cent(rounded) == rounded
    assert abs(rounded - value) <= Decimal("0.005")
