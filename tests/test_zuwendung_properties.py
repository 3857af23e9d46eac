"""Property tests (Hypothesis) for the Verwendungsnachweis arithmetic.

Random but well-formed inputs for every Finanzierungsart; the invariants are the ones the rules
promise: exact sums of rounded lines, no negative Erstattung, Z within Höchstbetrag and recognised
Ausgaben, recognised amounts never above what was spent, deadlines and interest well-behaved.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from docgen.documents import zuwendung as zw
from docgen.documents import zuwendung_fristen as zf
from docgen.numbers import to_money

# Per test, not a global profile, so other test modules keep their own Hypothesis settings.
gruendlich = settings(max_examples=300, deadline=None)

CENTS = Decimal("0.01")

# Amounts in cents up to 10 Mio. €, as Decimal, int or string, the way JSON may carry them.
betrag = st.integers(min_value=0, max_value=1_000_000_000).map(lambda c: Decimal(c).scaleb(-2))
betrag_roh = st.one_of(betrag, betrag.map(str), st.integers(min_value=0, max_value=10_000_000))


@st.composite
def eingabe(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed Verwendungsnachweis input of any Finanzierungsart."""
    art = draw(st.sampled_from(zf.FINANZIERUNGSARTEN))
    ausgezahlt = draw(betrag)
    finanzierung: dict[str, Any] = {"art": art, "hoechstbetrag": draw(betrag_roh)}
    if art == zf.ANTEIL:
        finanzierung["foerdersatz"] = draw(st.integers(min_value=1, max_value=10000).map(lambda p: Decimal(p) / 100))
    if art == zf.FESTBETRAG and draw(st.booleans()):
        finanzierung["festbetrag"] = draw(betrag_roh)
    arten = st.sampled_from(["Eigenanteil", "Leistungen Dritter", "Öffentliche Förderung"])
    einnahmen = [
        {"art": a, "soll": s, "ist": i}
        for a, s, i in draw(st.lists(st.tuples(arten, betrag_roh, betrag_roh), max_size=4))
    ]
    einnahmen.append({"art": "Zuwendung", "soll": draw(betrag_roh), "ist": ausgezahlt})
    ausgabe = st.fixed_dictionaries(
        {"position": st.just("P"), "soll": betrag_roh, "ist": betrag_roh},
        optional={"ueberschreitung_genehmigt": st.booleans(), "personalausgaben": st.booleans()},
    )
    posten = st.fixed_dictionaries(
        {
            "stellenart": st.sampled_from(["Fachkraft", "Verwaltungsassistenz"]),
            "vzae": st.integers(min_value=0, max_value=40).map(lambda v: Decimal(v) / 8),
            "monate_besetzt": st.integers(min_value=0, max_value=12),
            "ist": betrag_roh,
        },
        optional={"hoechstbetrag_je_vzae": betrag_roh},
    )
    return {
        "finanzierung": finanzierung,
        "auszahlungen": [{"datum": "2025-06-01", "betrag": ausgezahlt}],
        "einnahmen": einnahmen,
        "ausgaben": draw(st.lists(ausgabe, max_size=6)),
        "personal": draw(st.lists(posten, max_size=4)),
    }


def ist_cent(x: Decimal) -> bool:
    return x == x.quantize(CENTS) and x.as_tuple().exponent == -2


@gruendlich
@given(eingabe())
def test_sums_are_exact_sums_of_rounded_lines(data: dict[str, Any]) -> None:
    b = zw.berechne(data)
    s = b.summen
    assert s.einnahmen_soll == sum((z.soll for z in b.einnahmen), Decimal(0))
    assert s.einnahmen_ist == sum((z.ist for z in b.einnahmen), Decimal(0))
    assert s.ausgaben_soll == sum((z.soll for z in b.ausgaben), Decimal(0))
    assert s.ausgaben_ist == sum((z.ist for z in b.ausgaben), Decimal(0))
    assert s.ausgaben_anerkannt_20 == sum((z.anerkannt for z in b.ausgaben), Decimal(0))
    for wert in (*vars(s).values(), b.anerkannte_ausgaben, b.zuwendung_festgesetzt, b.erstattung, b.nachzahlung):
        assert ist_cent(wert)
    for zeile in b.ausgaben:
        assert ist_cent(zeile.anerkannt) and ist_cent(zeile.soll) and ist_cent(zeile.ist)
    assert b.ueberschuss - b.fehlbetrag == s.einnahmen_ist - (s.ausgaben_ist if b.ausgaben else s.personal_ist)


@gruendlich
@given(eingabe())
def test_erstattung_never_negative_and_balances_with_nachzahlung(data: dict[str, Any]) -> None:
    b = zw.berechne(data)
    assert b.erstattung >= 0 and b.nachzahlung >= 0
    assert b.erstattung == 0 or b.nachzahlung == 0
    assert b.erstattung - b.nachzahlung == b.ausgezahlt - b.zuwendung_festgesetzt


@gruendlich
@given(eingabe())
def test_grant_within_hoechstbetrag_and_recognised_expenses(data: dict[str, Any]) -> None:
    b = zw.berechne(data)
    z = b.zuwendung_festgesetzt
    assert 0 <= z <= b.finanzierung.hoechstbetrag
    if b.finanzierung.art in (zf.VOLL, zf.FEHLBEDARF, zf.FESTBETRAG):
        assert z <= b.anerkannte_ausgaben
    if b.finanzierung.art == zf.ANTEIL and b.finanzierung.foerdersatz is not None:
        assert b.finanzierung.foerdersatz <= 100
        assert z <= b.anerkannte_ausgaben


@gruendlich
@given(eingabe())
def test_recognised_never_above_what_was_spent(data: dict[str, Any]) -> None:
    b = zw.berechne(data)
    for zeile in b.ausgaben:
        assert 0 <= zeile.anerkannt <= zeile.ist
        if zeile.status != zw.GENEHMIGT:
            assert zeile.anerkannt <= zeile.grenze_120
    for gruppe in b.personal:
        assert gruppe.anerkannt <= gruppe.ist
        assert gruppe.hoechstbetrag is None or gruppe.anerkannt <= gruppe.hoechstbetrag
    gesamt_ist = b.summen.ausgaben_ist if b.ausgaben else b.summen.personal_ist
    assert 0 <= b.anerkannte_ausgaben <= gesamt_ist


@gruendlich
@given(eingabe())
def test_shares_sum_to_100_within_rounding(data: dict[str, Any]) -> None:
    b = zw.berechne(data)
    for feld, summe in (("anteil_soll", b.summen.einnahmen_soll), ("anteil_ist", b.summen.einnahmen_ist)):
        anteile = [getattr(z, feld) for z in b.einnahmen]
        if summe:
            assert abs(sum(anteile, Decimal(0)) - 100) <= Decimal("0.005") * len(anteile)
        else:
            assert all(a is None for a in anteile)


@gruendlich
@given(eingabe())
def test_as_dict_round_trips_money_as_strings(data: dict[str, Any]) -> None:
    b = zw.berechne(data)
    daten = b.as_dict()
    assert Decimal(daten["zuwendung_festgesetzt"]) == b.zuwendung_festgesetzt
    assert daten["erstattung"].count(".") == 1 and len(daten["erstattung"].split(".")[1]) == 2


@gruendlich
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=6))
def test_to_money_is_idempotent_and_string_stable(wert: Decimal) -> None:
    geld = to_money(wert)
    assert ist_cent(geld)
    assert abs(geld - wert) <= Decimal("0.005")
    assert to_money(geld) == geld == to_money(str(geld))


@gruendlich
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=0, max_value=36))
def test_plus_monate_keeps_the_day_or_clamps_to_month_end(tag: date, monate: int) -> None:
    neu = zf.plus_monate(tag, monate)
    assert (neu.year * 12 + neu.month) - (tag.year * 12 + tag.month) == monate
    assert neu.day == tag.day or (neu.day < tag.day and (neu + timedelta(days=1)).day == 1)


@gruendlich
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)),
    st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
)
def test_vorlagefrist_is_the_earlier_bound_at_month_end_of_the_sixth_month(bis: date, versatz: int | None) -> None:
    zweck = None if versatz is None else bis + timedelta(days=versatz)
    frist = zf.vorlagefrist(bis, zweck)
    spaetestens = zf.vorlagefrist(bis)
    assert (spaetestens + timedelta(days=1)).day == 1  # a month end
    assert (spaetestens.year * 12 + spaetestens.month) - (bis.year * 12 + bis.month) == 6
    assert frist <= spaetestens
    if zweck is not None:
        assert frist == min(zf.plus_monate(zweck, 6), spaetestens)


@gruendlich
@given(
    betrag,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 1, 1)),
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=-500, max_value=900).map(lambda b: Decimal(b) / 100),
)
def test_zinsen_non_negative_and_monotone_in_time(hauptbetrag: Decimal, ab: date, tage: int, basis: Decimal) -> None:
    z = zf.zinsen(hauptbetrag, ab, ab + timedelta(days=tage), basis)
    assert z.tage == tage
    assert z.betrag >= 0 and ist_cent(z.betrag)
    laenger = zf.zinsen(hauptbetrag, ab, ab + timedelta(days=tage + 1), basis)
    assert laenger.betrag >= z.betrag
    # One period at one rate: split anywhere, the rounded parts differ by at most a cent each.
    mitte = ab + timedelta(days=tage // 2)
    geteilt = zf.zinsen(hauptbetrag, ab, ab + timedelta(days=tage), [(ab, basis), (mitte, basis)])
    assert abs(geteilt.betrag - z.betrag) <= Decimal("0.01") * len(geteilt.abschnitte)
