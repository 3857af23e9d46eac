"""The one number module: money and quantities as ``Decimal``, rounded half-up, printed the German way.

Every figure docgen computes or prints goes through here: the grant arithmetic
(``docgen.documents.zuwendung``), the template filters (``docgen.formatting``)
and messages. Rules: never a float; round half-up to cents (administrative
practice, not Babel's half-even); never print "-0,00"; German digit grouping
from Babel (``1.234,56``) with a no-break space before "€" and "%".
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, getcontext, localcontext
from typing import Any

from babel.numbers import format_decimal

LOCALE = "de_DE"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDERT = Decimal(100)
NBSP = "\u00a0"

__all__ = ["CENT", "HUNDERT", "NBSP", "ZERO", "anteil", "cent", "euro", "prozent", "runden", "summe", "to_decimal",
           "to_money", "zahl"]


def to_decimal(value: Any) -> Decimal:
    """A finite Decimal from a Decimal, an int or a numeric string; float and bool are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"erwartet Zahl oder Zahlentext, nicht {type(value).__name__}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} ist keine Zahl") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} ist keine endliche Zahl")
    return number


def _stellen(value: Decimal, places: int) -> int:
    """The digits ``value`` rounded to ``places`` decimals can have (one more for a carry: 9,99 → 10,0)."""
    return max(value.adjusted(), 0) + places + 2


def _round(value: Decimal, places: int) -> Decimal:
    """Half-up to ``places`` decimals, exactly.

    The precision of the local decimal context grows with the digits the result needs: under the
    default context (28 digits) ``quantize`` raises ``InvalidOperation`` for a result with more
    digits, e.g. 1E-28 with 28 decimals (29 digits with the leading 0).
    """
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, _stellen(value, places))
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)  # -0.00 → 0.00


def runden(value: Any, nachkommastellen: int) -> Decimal:
    """``value`` half-up to ``nachkommastellen`` decimals, exactly as :func:`zahl` prints it; never "-0"."""
    return _round(to_decimal(value), nachkommastellen)


def cent(value: Any) -> Decimal:
    """Round to cents, half-up; never "-0.00".

    An amount must fit the decimal context (28 digits) in cents, so that the sums and differences
    taken over it stay exact; a larger one raises ``ValueError`` ("zu groß").
    """
    number = to_decimal(value)
    prec = getcontext().prec
    rounded = None if number.adjusted() >= prec else _round(number, 2)  # the check first spares a huge rounding
    if rounded is None or len(rounded.as_tuple().digits) > prec:
        raise ValueError(f"{value!r} ist zu groß")
    return rounded


def to_money(value: Any) -> Decimal:
    """An amount from the input (``Decimal``, ``int`` or ``"1234.50"``) in cents, half-up."""
    return cent(value)


def anteil(teil: Decimal, ganzes: Decimal) -> Decimal | None:
    """``teil`` in v.H. of ``ganzes``, two decimals half-up; None if ``ganzes`` is 0."""
    return cent(teil * HUNDERT / ganzes) if ganzes else None


def summe(betraege: Iterable[Decimal]) -> Decimal:
    """Sum of rounded amounts, so a total equals the sum of its printed lines."""
    return sum(betraege, ZERO)


def zahl(value: Any, nachkommastellen: int = 2) -> str:
    """``1234.5`` → ``1.234,50`` (half-up, German grouping, never "-0,00")."""
    pattern = "#,##0" + ("." + "0" * nachkommastellen if nachkommastellen else "")
    rounded = _round(to_decimal(value), nachkommastellen)
    with localcontext() as ctx:  # Babel quantizes again, under the current context
        ctx.prec = max(ctx.prec, _stellen(rounded, nachkommastellen))
        return str(format_decimal(rounded, format=pattern, locale=LOCALE, decimal_quantization=True))


def euro(value: Any, nachkommastellen: int = 2) -> str:
    """``1234.5`` → ``1.234,50 €`` (no-break space before the sign); empty for no value."""
    if value is None or value == "":
        return ""
    return f"{zahl(value, nachkommastellen)}{NBSP}€"


def prozent(value: Any, nachkommastellen: int = 2) -> str:
    """``60`` → ``60,00 %`` (the value is already in percent); empty for no value."""
    if value is None or value == "":
        return ""
    return f"{zahl(value, nachkommastellen)}{NBSP}%"
