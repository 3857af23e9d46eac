"""The input side and the calendar of the Verwendungsnachweis: readers, deadlines, interest.

:mod:`docgen.documents.zuwendung` holds the grant rules; this module is its lower layer (imported
by it, never the reverse) and holds what those rules stand on:

- money and number primitives (:func:`cent`, :func:`to_money`, :func:`prozent`, :func:`summe`,
  :func:`eur`) and :func:`json_wert` for the receipt: ``Decimal`` only, half-up to cents, no float;
- readers that turn the parsed input (``Decimal | int | str`` numbers, ISO dates) into typed
  values (:class:`Finanzierung`, :class:`PersonalPosten`, plain line tuples) and raise
  :class:`InvalidField`, carrying a :class:`~docgen.errors.Problem` with the JSON path, for a
  value the schema should have rejected, and for a computed amount too large to be computed in
  cents (a Festbetrag ``satz × menge``, interest; :data:`BERECHENBAR_STELLEN`), a typo in the input;
- :func:`vorlagefrist` (ANBest-G Nr. 7.1; docs/domain.md, deadlines): the earlier of "Zweckerfüllung + 6
  Monate" and "last day of the 6th month after the end of the Bewilligungszeitraum"; a date set by
  the Bescheid replaces both; :func:`zwischennachweis_frist` for a Zwischennachweis;
- :func:`zinsen` on a refund (§ 49a Abs. 3 VwVfG NRW): Basiszinssatz plus
  ``aufschlag_prozentpunkte`` (3 in NRW; the federal VwVfG uses 5, hence a parameter) per year,
  act/365, split where the Basiszinssatz changes.

No I/O, no global state.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from docgen.errors import InvalidField, Problem
from docgen.formatting import datum
from docgen.numbers import HUNDERT, ZERO, cent, prozent, summe, to_decimal
from docgen.numbers import euro as eur

TAGE_IM_JAHR = Decimal(365)
AUFSCHLAG_NRW = Decimal(3)  # § 49a Abs. 3 Satz 1 VwVfG NRW: "drei Prozentpunkte"
MONATE_NACH_ZWECK = 6  # ANBest-G Nr. 7.1
MONATE_NACH_BWZ = 6  # ANBest-G Nr. 7.1

ANTEIL = "Anteilfinanzierung"
FEHLBEDARF = "Fehlbedarfsfinanzierung"
VOLL = "Vollfinanzierung"
FESTBETRAG = "Festbetragsfinanzierung"
FINANZIERUNGSARTEN = (ANTEIL, FEHLBEDARF, VOLL, FESTBETRAG)
# Also accepted, in any case: the short forms in docs/domain.md ("Anteil", "Fehlbedarf", ...).
_ARTEN = {a.lower(): a for a in FINANZIERUNGSARTEN} | {
    a.removesuffix("finanzierung").removesuffix("s").lower(): a for a in FINANZIERUNGSARTEN
}

EIGENANTEIL = "Eigenanteil"
DRITTE = "Leistungen Dritter"
OEFFENTLICH = "Öffentliche Förderung"
ZUWENDUNG = "Zuwendung"
SONSTIGE = "Sonstige"
# "Zuwendung des Landes" is the form's row label for the Zuwendung line (docs/domain.md).
EINNAHME_ARTEN = {a: a for a in (EIGENANTEIL, DRITTE, OEFFENTLICH, ZUWENDUNG, SONSTIGE)}
EINNAHME_ARTEN["Zuwendung des Landes"] = ZUWENDUNG

# The digits before the point an amount can have and still be computed exactly in cents (numbers.cent:
# 28 digits of the decimal context, two of them cents). A computed amount beyond it (Festbetrag = Satz ×
# Menge, interest) comes from a typo in the input and is refused with the field's path.
BERECHENBAR_STELLEN = 26

# A Basiszinssatz as one rate in %, or as (gültig ab, Satz in %) pairs for a period in which it
# changes (it is reset on 01.01. and 01.07., § 247 BGB).
Basiszins = Decimal | Sequence[tuple[date, Decimal]]


# --- money and numbers -----------------------------------------------------------------------


def json_wert(wert: Any) -> Any:
    """A JSON-ready copy: dataclasses as dicts, money and percentages as "1234.56", dates ISO."""
    if isinstance(wert, Decimal):
        gerundet = cent(wert)  # other numbers (VZÄ 0.125) stay exact
        return f"{gerundet:f}" if gerundet == wert else f"{wert.normalize():f}"
    if isinstance(wert, date):
        return wert.isoformat()
    if isinstance(wert, Problem):
        return wert.as_dict()
    if is_dataclass(wert) and not isinstance(wert, type):
        return {f.name: json_wert(getattr(wert, f.name)) for f in fields(wert)}
    if isinstance(wert, list | tuple):
        return [json_wert(w) for w in wert]
    return wert


class BetragZuGross(ValueError):
    """A computed amount with more than :data:`BERECHENBAR_STELLEN` digits before the point (the caller names
    the field)."""


def betrag_berechnen(wert: Decimal) -> Decimal:
    """A computed amount in cents; :class:`BetragZuGross` where :func:`~docgen.numbers.cent` refuses it."""
    try:
        return cent(wert)
    except ValueError as e:
        raise BetragZuGross(f"{wert} ist zu groß") from e


def to_date(wert: date | str) -> date:
    """A date from a ``date`` or an ISO string such as ``2025-12-31``."""
    if isinstance(wert, datetime):
        return wert.date()
    if isinstance(wert, date):
        return wert
    if isinstance(wert, str):
        return date.fromisoformat(wert.strip())
    raise TypeError(f"erwartet Datum, nicht {type(wert).__name__}")


# --- reading values --------------------------------------------------------------------------


def lies_zahl_opt(obj: Mapping[str, Any], key: str, pfad: str) -> Decimal | None:
    """``obj[key]`` as Decimal, None if absent; ``pfad`` is the JSON path of ``obj``."""
    wert = obj.get(key)
    if wert is None:
        return None
    try:
        return to_decimal(wert)
    except (TypeError, ValueError) as e:
        raise InvalidField(f"{pfad}/{key}", f"{wert!r} ist keine gültige Zahl (erwartet z. B. 1234.56).") from e


def lies_zahl(obj: Mapping[str, Any], key: str, pfad: str) -> Decimal:
    zahl = lies_zahl_opt(obj, key, pfad)
    if zahl is None:
        raise InvalidField(f"{pfad}/{key}", "Die Angabe fehlt.", "eingabe.fehlt")
    return zahl


def lies_nichtnegativ_opt(obj: Mapping[str, Any], key: str, pfad: str) -> Decimal | None:
    """Like :func:`lies_zahl_opt` for amounts, VZÄ and months, which are never negative."""
    zahl = lies_zahl_opt(obj, key, pfad)
    if zahl is not None and zahl < 0:
        raise InvalidField(f"{pfad}/{key}", f"{zahl} darf nicht negativ sein.", "eingabe.negativ")
    return zahl


def lies_geld_opt(obj: Mapping[str, Any], key: str, pfad: str) -> Decimal | None:
    """An optional amount (not negative) in cents."""
    zahl = lies_nichtnegativ_opt(obj, key, pfad)
    return None if zahl is None else cent(zahl)


def lies_geld(obj: Mapping[str, Any], key: str, pfad: str) -> Decimal:
    """A required amount (not negative) in cents."""
    betrag = lies_geld_opt(obj, key, pfad)
    if betrag is None:
        raise InvalidField(f"{pfad}/{key}", "Der Betrag fehlt.", "eingabe.fehlt")
    return betrag


def lies_datum_opt(obj: Mapping[str, Any], key: str, pfad: str) -> date | None:
    wert = obj.get(key)
    if wert is None:
        return None
    try:
        return to_date(wert)
    except (TypeError, ValueError) as e:
        raise InvalidField(f"{pfad}/{key}", f"{wert!r} ist kein gültiges Datum (erwartet JJJJ-MM-TT).") from e


def lies_datum(obj: Mapping[str, Any], key: str, pfad: str) -> date:
    tag = lies_datum_opt(obj, key, pfad)
    if tag is None:
        raise InvalidField(f"{pfad}/{key}", "Das Datum fehlt.", "eingabe.fehlt")
    return tag


def lies_liste(obj: Mapping[str, Any], key: str, basis: str = "") -> list[tuple[str, Mapping[str, Any]]]:
    """The objects of a list field with their JSON paths; an absent field is an empty list."""
    eintraege = obj.get(key) or []
    if not isinstance(eintraege, list) or not all(isinstance(e, Mapping) for e in eintraege):
        raise InvalidField(f"{basis}/{key}", "Erwartet wird eine Liste von Objekten.")
    return [(f"{basis}/{key}/{i}", e) for i, e in enumerate(eintraege)]


def unterobjekt(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An optional nested object; absent (or not an object) reads as empty."""
    wert = obj.get(key)
    return wert if isinstance(wert, Mapping) else {}


# --- reading the Verwendungsnachweis -----------------------------------------------------------


@dataclass(frozen=True)
class Finanzierung:
    art: str  # one of FINANZIERUNGSARTEN (anything else is reported as an error)
    hoechstbetrag: Decimal
    foerdersatz: Decimal | None = None  # percent, e.g. 60
    festbetrag: Decimal | None = None
    bagatellgrenze: Decimal = ZERO


@dataclass(frozen=True)
class PersonalPosten:
    """One ``personal`` entry: a post or a group of equal posts."""

    stellenart: str
    vzae: Decimal
    monate_besetzt: Decimal
    hoechstbetrag_je_vzae: Decimal | None
    ist: Decimal


# Raw lines as read: (art, bezeichnung, soll, ist) and (position, soll, ist, genehmigt, personal).
EinnahmeRoh = tuple[str, str, Decimal, Decimal]
AusgabeRoh = tuple[str, Decimal, Decimal, bool, bool]


def lies_finanzierung(data: Mapping[str, Any]) -> tuple[Finanzierung, list[Problem]]:
    """``finanzierung`` and ``nebenbestimmungen.bagatellgrenze``, with the problems found."""
    fin = data.get("finanzierung")
    if not isinstance(fin, Mapping):
        raise InvalidField("/finanzierung", "Die Angaben zur Finanzierung fehlen.", "eingabe.fehlt")
    roh = str(fin.get("art", ""))
    art = _ARTEN.get(roh.strip().lower(), roh)
    probleme = []
    if art not in FINANZIERUNGSARTEN:
        meldung = f"„{roh}“ ist keine Finanzierungsart; erlaubt sind: {', '.join(FINANZIERUNGSARTEN)}."
        probleme.append(Problem("/finanzierung/art", meldung, "finanzierung.art"))
    foerdersatz = lies_zahl_opt(fin, "foerdersatz", "/finanzierung")
    if art == ANTEIL and foerdersatz is None:
        meldung = "Bei Anteilfinanzierung muss der Fördersatz in v.H. angegeben sein (z. B. 60)."
        probleme.append(Problem("/finanzierung/foerdersatz", meldung, "finanzierung.foerdersatz_fehlt"))
    elif foerdersatz is not None and not 0 < foerdersatz <= HUNDERT:
        meldung = f"Der Fördersatz {foerdersatz} v.H. muss größer als 0 und höchstens 100 sein."
        probleme.append(Problem("/finanzierung/foerdersatz", meldung, "finanzierung.foerdersatz_bereich"))
    bagatell = lies_geld_opt(unterobjekt(data, "nebenbestimmungen"), "bagatellgrenze", "/nebenbestimmungen")
    hoechst = lies_geld(fin, "hoechstbetrag", "/finanzierung")
    return Finanzierung(art, hoechst, foerdersatz, _festbetrag(fin), bagatell or ZERO), probleme


def _festbetrag(fin: Mapping[str, Any]) -> Decimal | None:
    """``festbetrag`` as an amount, ``{betrag}`` or ``{satz, menge_ist | menge_plan}``."""
    roh, pfad = fin.get("festbetrag"), "/finanzierung/festbetrag"
    if not isinstance(roh, Mapping):
        return lies_geld_opt(fin, "festbetrag", "/finanzierung")
    if "betrag" in roh:
        return lies_geld(roh, "betrag", pfad)
    # A Festbetrag per unit (Pauschale) is paid for the units actually delivered.
    menge_key = "menge_ist" if roh.get("menge_ist") is not None else "menge_plan"
    menge, satz = lies_zahl(roh, menge_key, pfad), lies_zahl(roh, "satz", pfad)
    try:
        return betrag_berechnen(satz * menge)
    except BetragZuGross as e:
        raise InvalidField(
            pfad,
            f"satz ({satz}) × {menge_key} ({menge}) ergibt mehr als {BERECHENBAR_STELLEN} Stellen vor dem Komma; "
            "so groß kann kein Festbetrag sein. Bitte Betrag je Einheit und Menge prüfen.",
            "finanzierung.festbetrag_zu_gross",
        ) from e


def lies_einnahmen(data: Mapping[str, Any]) -> tuple[list[EinnahmeRoh], list[Problem]]:
    """The Einnahmen lines with their art normalised; an unknown art is an error."""
    zeilen, probleme = [], []
    for pfad, e in lies_liste(data, "einnahmen"):
        roh = str(e.get("art", ""))
        art = EINNAHME_ARTEN.get(roh.strip())
        if art is None:
            # Kept (and so counted as a Deckungsmittel) so that no money silently drops out.
            erlaubt = ", ".join(a for a in EINNAHME_ARTEN if a != ZUWENDUNG)
            meldung = f"„{roh}“ ist keine Einnahmeart; erlaubt sind: {erlaubt}."
            probleme.append(Problem(f"{pfad}/art", meldung, "einnahmen.art"))
            art = roh
        bezeichnung = str(e.get("bezeichnung") or roh)
        zeilen.append((art, bezeichnung, lies_geld(e, "soll", pfad), lies_geld(e, "ist", pfad)))
    return zeilen, probleme


def lies_ausgaben(data: Mapping[str, Any]) -> list[AusgabeRoh]:
    return [
        (
            str(a.get("position", "")),
            lies_geld(a, "soll", pfad),
            lies_geld(a, "ist", pfad),
            a.get("ueberschreitung_genehmigt") is True,
            a.get("personalausgaben") is True,
        )
        for pfad, a in lies_liste(data, "ausgaben")
    ]


def lies_personal(data: Mapping[str, Any]) -> list[PersonalPosten]:
    """``personal``; a missing ``hoechstbetrag_je_vzae`` comes from ``stellen_hoechstbetraege``."""
    stellen = lies_liste(unterobjekt(data, "finanzierung"), "stellen_hoechstbetraege", "/finanzierung")
    je_art = {str(s.get("stellenart")): lies_geld(s, "betrag_je_vzae", pfad) for pfad, s in stellen}
    posten = []
    for pfad, p in lies_liste(data, "personal"):
        art = str(p.get("stellenart", ""))
        je_vzae = lies_geld_opt(p, "hoechstbetrag_je_vzae", pfad)
        vzae, monate = lies_nichtnegativ_opt(p, "vzae", pfad), lies_nichtnegativ_opt(p, "monate_besetzt", pfad)
        if vzae is None:
            raise InvalidField(f"{pfad}/vzae", "Die Angabe fehlt.", "eingabe.fehlt")
        # monate_besetzt defaults to a post filled all year.
        monate, ist = Decimal(12) if monate is None else monate, lies_geld(p, "ist", pfad)
        posten.append(PersonalPosten(art, vzae, monate, je_art.get(art) if je_vzae is None else je_vzae, ist))
    return posten


# --- deadlines -------------------------------------------------------------------------------


def monatsende(jahr: int, monat: int) -> date:
    """The last day of a month (leap years included)."""
    return date(jahr, monat, calendar.monthrange(jahr, monat)[1])


def plus_monate(tag: date, monate: int) -> date:
    """``tag`` plus whole months, the way § 188 Abs. 2/3 BGB ends a period in months.

    The period ends on the day with the same number; if the target month is shorter, on its last
    day: 31.10.2025 + 6 = 30.04.2026, 31.08.2025 + 6 = 28.02.2026, 31.08.2023 + 6 = 29.02.2024.
    """
    jahr, monat0 = divmod(tag.year * 12 + (tag.month - 1) + monate, 12)
    return date(jahr, monat0 + 1, min(tag.day, calendar.monthrange(jahr, monat0 + 1)[1]))


def vorlagefrist(
    bewilligungszeitraum_bis: date, zweck_erfuellt_am: date | None = None, *, frist_laut_bescheid: date | None = None
) -> date:
    """The date by which the Verwendungsnachweis must be submitted.

    ``min(zweck_erfuellt_am + 6 Monate, letzter Tag des 6. Monats nach Ende des BWZ)``; without
    ``zweck_erfuellt_am`` only the second bound applies. A deadline set by the Bescheid overrides
    Nr. 7.1, which Bescheide may disapply (docs/domain.md, Verwendungsnachweis › deadlines).
    BWZ bis 31.12.2025 → 30.06.2026; Zweck erfüllt 31.10.2025 → 30.04.2026.
    """
    if frist_laut_bescheid is not None:
        return frist_laut_bescheid
    sechster = plus_monate(bewilligungszeitraum_bis.replace(day=1), MONATE_NACH_BWZ)
    spaetestens = monatsende(sechster.year, sechster.month)
    if zweck_erfuellt_am is None:
        return spaetestens
    return min(plus_monate(zweck_erfuellt_am, MONATE_NACH_ZWECK), spaetestens)


def zwischennachweis_frist(berichtsjahr: int) -> date:
    """Default due date of a Zwischennachweis: 30.04. of the following year (docs/domain.md, deadlines)."""
    return date(berichtsjahr + 1, 4, 30)


def vorlagefrist_aus_eingabe(data: Mapping[str, Any]) -> date | None:
    """The Vorlagefrist for the input; None if the Bewilligungszeitraum is unknown.

    ``nebenbestimmungen.vn_frist_override`` (a date set by the Bescheid) wins; a Zwischennachweis
    with ``berichtsjahr`` is due by :func:`zwischennachweis_frist`.
    """
    override = lies_datum_opt(unterobjekt(data, "nebenbestimmungen"), "vn_frist_override", "/nebenbestimmungen")
    jahr = data.get("berichtsjahr")
    if data.get("nachweisart") == "Zwischennachweis" and isinstance(jahr, int):
        return override or zwischennachweis_frist(jahr)
    bis = lies_datum_opt(unterobjekt(data, "bewilligungszeitraum"), "bis", "/bewilligungszeitraum")
    if bis is None:
        return override
    return vorlagefrist(bis, lies_datum_opt(data, "zweck_erfuellt_am", ""), frist_laut_bescheid=override)


# --- interest --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zinsabschnitt:
    """One period with a constant rate; its interest is rounded to cents on its own."""

    ab: date
    bis: date
    tage: int
    basiszinssatz: Decimal  # % p.a.
    zinssatz: Decimal  # % p.a. applied: Basiszinssatz + Aufschlag, at least 0
    betrag: Decimal


@dataclass(frozen=True)
class Zinsen:
    """Interest on ``hauptbetrag`` from ``ab`` to ``bis``."""

    hauptbetrag: Decimal
    ab: date
    bis: date
    aufschlag_prozentpunkte: Decimal
    tage: int
    betrag: Decimal  # Σ of the rounded periods
    abschnitte: tuple[Zinsabschnitt, ...]


def _saetze(basiszinssatz: Basiszins, ab: date) -> list[tuple[date, Decimal]]:
    """The Basiszinssatz as sorted (gültig ab, Satz) pairs, the first one starting at ``ab``."""
    if isinstance(basiszinssatz, Decimal):
        return [(ab, basiszinssatz)]
    saetze = sorted(basiszinssatz, key=lambda paar: paar[0])
    if not saetze or saetze[0][0] > ab:
        raise ValueError(f"Für den {ab:%d.%m.%Y} ist kein Basiszinssatz angegeben.")
    in_kraft = [paar for paar in saetze if paar[0] <= ab][-1]
    return [(ab, in_kraft[1])] + [paar for paar in saetze if paar[0] > ab]


def zinsen(
    betrag: Decimal, ab: date, bis: date, basiszinssatz: Basiszins, aufschlag_prozentpunkte: Decimal = AUFSCHLAG_NRW
) -> Zinsen:
    """Interest on ``betrag`` under § 49a Abs. 3 VwVfG NRW, act/365, per period of constant rate.

    Days are ``(bis - ab).days`` (the first day counts, the last does not), so 01.01.–01.01. of the
    next year is 365 days. The rate is ``basiszinssatz + aufschlag_prozentpunkte`` % p.a.; a
    negative Basiszinssatz lowers it, but it is floored at 0: § 49a gives the authority a claim,
    never one against it.
    """
    if bis < ab:
        raise ValueError(f"Das Zinsende {bis:%d.%m.%Y} liegt vor dem Zinsbeginn {ab:%d.%m.%Y}.")
    saetze = _saetze(basiszinssatz, ab)
    enden = [tag for tag, _ in saetze[1:] if tag < bis] + [bis]
    abschnitte = []
    for (von, satz), ende in zip(saetze, enden, strict=False):
        tage = (ende - von).days
        zinssatz = max(Decimal(0), satz + aufschlag_prozentpunkte)
        # Multiply before dividing, so the only rounding is the final one to cents.
        try:
            zins = betrag_berechnen(betrag * zinssatz * tage / (HUNDERT * TAGE_IM_JAHR))
        except BetragZuGross as e:
            raise BetragZuGross(
                f"Die Zinsen vom {datum(von)} bis {datum(ende)} ({tage} Tage zu {prozent(zinssatz)} p. a. auf "
                f"{eur(betrag)}) hätten mehr als {BERECHENBAR_STELLEN} Stellen vor dem Komma. Bitte Basiszinssatz, "
                "Aufschlag, Betrag und Zeitraum prüfen.") from e
        abschnitte.append(Zinsabschnitt(von, ende, tage, satz, zinssatz, zins))
    tage_gesamt = sum(a.tage for a in abschnitte)
    zins_gesamt = summe(a.betrag for a in abschnitte)
    return Zinsen(betrag, ab, bis, aufschlag_prozentpunkte, tage_gesamt, zins_gesamt, tuple(abschnitte))


def zinsen_aus_eingabe(angaben: Mapping[str, Any], erstattung: Decimal) -> Zinsen:
    """Interest as the input's ``zinsen`` object asks for it.

    ``{basiszinssatz, aufschlag_prozentpunkte? (3), ab, bis, betrag?}``; ``basiszinssatz`` is a
    rate in % or a list ``[{ab, satz}]`` of rates in force from a date. The amount bearing interest
    is the Erstattung unless ``betrag`` names another (e.g. for § 49a Abs. 4).
    """
    pfad = "/zinsen"
    roh = angaben.get("basiszinssatz")
    basis: Basiszins
    if isinstance(roh, list):
        basis = [
            (lies_datum(e, "ab", p), lies_zahl(e, "satz", p)) for p, e in lies_liste(angaben, "basiszinssatz", pfad)
        ]
    else:
        basis = lies_zahl(angaben, "basiszinssatz", pfad)
    aufschlag = lies_zahl_opt(angaben, "aufschlag_prozentpunkte", pfad)
    hauptbetrag = lies_geld_opt(angaben, "betrag", pfad)
    ab, bis = lies_datum(angaben, "ab", pfad), lies_datum(angaben, "bis", pfad)
    try:
        return zinsen(
            erstattung if hauptbetrag is None else hauptbetrag,
            ab,
            bis,
            basis,
            AUFSCHLAG_NRW if aufschlag is None else aufschlag,
        )
    except BetragZuGross as e:
        raise InvalidField(pfad, str(e), "zinsen.zu_gross") from e
    except ValueError as e:
        raise InvalidField(pfad, str(e), "zinsen.zeitraum") from e
