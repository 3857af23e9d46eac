"""Grant arithmetic of the Verwendungsnachweis (ANBest-G, NRW) as pure functions.

Computes the zahlenmäßige Nachweis (docs/domain.md, Verwendungsnachweis): sums, shares (v.H.) and Soll-Ist
deviations, the 20 % rule, per-post caps, the grant due (Z) by Finanzierungsart, Erstattung and
Nachzahlung, Überschuss/Fehlbetrag; interest, the Vorlagefrist and the input readers come from
:mod:`docgen.documents.zuwendung_fristen`. :func:`berechne` is the entry point; the PDF shows its
:class:`Berechnung`, the receipt gets :meth:`Berechnung.as_dict` under ``berechnung``. Money is
``Decimal``, rounded half-up to cents per computed line; sums are taken over rounded lines;
percentages have two decimals; floats are refused (docs/domain.md, money). ``berechne`` expects schema-valid input;
a malformed value raises :class:`InvalidField` naming its JSON path (:func:`pruefe` returns it).

Modelling decisions (our reading of docs/domain.md, Finanzierungsarten and worked examples; the Bescheid decides):

* ``ausgaben[].soll``/``ist`` are the zuwendungsfähige amounts of a Finanzierungsplan line.
* 20 % rule: a line whose ``ist`` is above 120 % of its ``soll`` (in cents) and that lacks
  ``ueberschreitung_genehmigt`` is recognised up to that limit and flagged. Σ Ist > Σ Soll means
  the overrun is not compensated elsewhere: a warning; the amounts stay recognised and Z stays
  bound by ``hoechstbetrag`` (F3: the Gesamtergebnis is binding).
* Per-post caps (KI model): each ``personal`` entry is one post or a group of equal posts, capped at
  ``hoechstbetrag_je_vzae × vzae × monate_besetzt / 12`` (cents per entry; ``monate_besetzt``
  defaults to 12). Entries of one ``stellenart`` are pooled, recognised = min(Σ ist, Σ caps), as
  B.6 compares all Fachkraft costs with one cap. B.6 as input (Vollfinanzierung, hoechstbetrag and
  auszahlungen 307.500): Fachkraft ``{vzae: 4, monate_besetzt: 12, hoechstbetrag_je_vzae: 57000}``
  and ``{vzae: 1, monate_besetzt: 9, ...}`` with Ist 268.412,77 in total → cap 228.000 + 42.750
  = 270.750 (= 57.000 × 4,75); Verwaltungsassistenz ``{vzae: 0.5, monate_besetzt: 12,
  hoechstbetrag_je_vzae: 45000, ist: 21980.40}`` → cap 22.500. Z = 290.393,17, Erstattung
  17.106,83. One Fachkraft entry ``{vzae: 5, monate_besetzt: 11.4}`` (VZÄ-weighted months) gives
  the same cap. A missing ``hoechstbetrag_je_vzae`` is taken from
  ``finanzierung.stellen_hoechstbetraege[] {stellenart, betrag_je_vzae}``; without either, no cap.
* Personal and Ausgaben: ``personal`` itemises the personnel costs contained in ``ausgaben`` (those
  lines may be marked ``personalausgaben: true``). The caps cut the recognised Ausgaben by what
  the personnel costs exceed them; a 20 % cut already made on marked lines counts against that,
  so no euro is cut twice. With consistent data this is "recognised non-personnel Ausgaben +
  recognised personal". Without any ``ausgaben`` line, ``personal`` alone makes up the Ausgaben.
* Deckungsmittel D = Leistungen Dritter + Öffentliche Förderung (+ Sonstige); the Eigenanteil O and
  the Zuwendung line are not part of D. Anteil: ΔD = max(0, Σ D_ist − Σ D_soll).
* Festbetrag F = ``finanzierung.festbetrag`` (amount, ``{betrag}`` or ``{satz, menge_ist |
  menge_plan}``), else the ``hoechstbetrag``.
* ``nebenbestimmungen.bagatellgrenze`` (default 0): an Erstattung up to it is not claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from docgen.documents import zuwendung_fristen as zf
from docgen.documents.zuwendung_fristen import (
    ANTEIL,
    EIGENANTEIL,
    FEHLBEDARF,
    FESTBETRAG,
    VOLL,
    ZUWENDUNG,
    Zinsen,
)

# Re-exported (``as`` form) for callers: the input model, its helper and the error of a bad value.
from docgen.documents.zuwendung_fristen import Finanzierung as Finanzierung
from docgen.documents.zuwendung_fristen import PersonalPosten as PersonalPosten
from docgen.errors import InvalidField, Problem
from docgen.numbers import HUNDERT, ZERO, anteil, cent, summe
from docgen.numbers import euro as eur

ZWANZIG_PROZENT = Decimal("1.2")  # a line may exceed its Soll by up to 20 %
OK = "ok"
GEKAPPT = "ueber_20_prozent_gekappt"
GENEHMIGT = "ueberschreitung_genehmigt"


# --- result types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EinnahmeZeile:
    art: str
    bezeichnung: str
    soll: Decimal
    ist: Decimal
    anteil_soll: Decimal | None  # v.H. of Σ Einnahmen Soll
    anteil_ist: Decimal | None  # v.H. of Σ Einnahmen Ist
    abweichung: Decimal  # Ist − Soll
    abweichung_prozent: Decimal | None  # relative to Soll; None without Soll


@dataclass(frozen=True)
class AusgabeZeile:
    position: str
    soll: Decimal
    ist: Decimal
    abweichung: Decimal
    abweichung_prozent: Decimal | None
    grenze_120: Decimal  # 120 % of Soll
    anerkannt: Decimal
    status: str  # OK | GEKAPPT | GENEHMIGT
    personalausgaben: bool = False


@dataclass(frozen=True)
class PersonalGruppe:
    """All entries of one Stellenart, pooled against one cap."""

    stellenart: str
    vzae: Decimal
    vzae_monate: Decimal  # Σ vzae × monate_besetzt; / 12 = funded VZÄ (worked example: 57 / 12 = 4,75)
    hoechstbetrag: Decimal | None  # None: no cap given
    ist: Decimal
    anerkannt: Decimal
    gekappt: bool


@dataclass(frozen=True)
class Deckung:
    """Own and third-party means from the Einnahmen (the Zuwendung line excluded)."""

    eigenanteil_soll: Decimal
    eigenanteil_ist: Decimal
    deckungsmittel_soll: Decimal
    deckungsmittel_ist: Decimal

    @property
    def mehr_deckungsmittel(self) -> Decimal:
        """New or extra Deckungsmittel beyond the plan (ΔD of B.5)."""
        return max(ZERO, self.deckungsmittel_ist - self.deckungsmittel_soll)


@dataclass(frozen=True)
class Summen:
    einnahmen_soll: Decimal
    einnahmen_ist: Decimal
    ausgaben_soll: Decimal
    ausgaben_ist: Decimal
    ausgaben_anerkannt_20: Decimal  # after the 20 % rule, before the personnel caps
    personal_ist: Decimal
    personal_anerkannt: Decimal


@dataclass(frozen=True)
class Berechnung:
    """Every figure of the zahlenmäßige Nachweis; money in cents."""

    finanzierung: Finanzierung
    einnahmen: tuple[EinnahmeZeile, ...]
    ausgaben: tuple[AusgabeZeile, ...]
    personal: tuple[PersonalGruppe, ...]
    summen: Summen
    deckung: Deckung
    ausgeglichen: bool  # Σ Ausgaben Ist ≤ Σ Soll: overruns compensated
    kuerzung_personal: Decimal
    anerkannte_ausgaben: Decimal  # E_ist
    zuwendung_festgesetzt: Decimal  # Z
    ausgezahlt: Decimal
    erstattung: Decimal
    nachzahlung: Decimal  # information only: paying more needs a new Bescheid
    ueberschuss: Decimal
    fehlbetrag: Decimal
    zinsen: Zinsen | None
    vorlagefrist: date | None
    probleme: tuple[Problem, ...]

    @property
    def fehler(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.probleme if p.level == "error")

    @property
    def warnungen(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.probleme if p.level == "warning")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: money and percentages as "1234.56", dates ISO, problems as dicts."""
        daten: dict[str, Any] = zf.json_wert(self)
        return daten


# --- the rules -------------------------------------------------------------------------------


def zwanzig_prozent_regel(soll: Decimal, ist: Decimal, genehmigt: bool = False) -> tuple[Decimal, str]:
    """Recognised amount and status of one Ausgaben line under the 20 % rule.

    Up to 120 % of the Soll counts as spent (``ok``); beyond that only with an approved overrun
    (``ueberschreitung_genehmigt``), otherwise the line is cut to 120 % (``ueber_20_prozent_gekappt``).
    A line without Soll (new in the Abrechnung) has the limit 0.
    """
    grenze = cent(soll * ZWANZIG_PROZENT)
    if ist <= grenze:
        return ist, OK
    return (ist, GENEHMIGT) if genehmigt else (grenze, GEKAPPT)


def ausgabe_zeile(
    position: str, soll: Decimal, ist: Decimal, genehmigt: bool = False, personal: bool = False
) -> AusgabeZeile:
    """One Ausgaben line with its deviation and the 20 % rule applied."""
    anerkannt, status = zwanzig_prozent_regel(soll, ist, genehmigt)
    grenze = cent(soll * ZWANZIG_PROZENT)
    return AusgabeZeile(position, soll, ist, ist - soll, anteil(ist - soll, soll), grenze, anerkannt, status, personal)


def einnahme_zeilen(zeilen: Sequence[tuple[str, str, Decimal, Decimal]]) -> tuple[EinnahmeZeile, ...]:
    """Einnahmen lines ``(art, bezeichnung, soll, ist)`` with shares v.H. and deviations."""
    soll_gesamt, ist_gesamt = summe(z[2] for z in zeilen), summe(z[3] for z in zeilen)
    return tuple(
        EinnahmeZeile(
            art,
            bez,
            soll,
            ist,
            anteil(soll, soll_gesamt),
            anteil(ist, ist_gesamt),
            ist - soll,
            anteil(ist - soll, soll),
        )
        for art, bez, soll, ist in zeilen
    )


def deckung(einnahmen: Sequence[EinnahmeZeile]) -> Deckung:
    """Split the Einnahmen into Eigenanteil and other Deckungsmittel (the Zuwendung excluded)."""
    eigen = [z for z in einnahmen if z.art == EIGENANTEIL]
    dritte = [z for z in einnahmen if z.art not in (EIGENANTEIL, ZUWENDUNG)]
    return Deckung(
        summe(z.soll for z in eigen),
        summe(z.ist for z in eigen),
        summe(z.soll for z in dritte),
        summe(z.ist for z in dritte),
    )


def stellen_hoechstbetrag(je_vzae: Decimal, vzae: Decimal, monate_besetzt: Decimal) -> Decimal:
    """Cap of one personal entry: ``je_vzae × vzae × monate_besetzt / 12`` in cents."""
    return cent(je_vzae * vzae * monate_besetzt / 12)  # multiply first: 57.000 × 5 × 11,4 / 12 stays exact


def personal_kappung(posten: Sequence[PersonalPosten]) -> tuple[PersonalGruppe, ...]:
    """Pool the entries per Stellenart (in input order) and cap each pool."""
    gruppen: dict[str, list[PersonalPosten]] = {}
    for p in posten:
        gruppen.setdefault(p.stellenart, []).append(p)
    return tuple(_personal_gruppe(art, liste) for art, liste in gruppen.items())


def _personal_gruppe(stellenart: str, posten: Sequence[PersonalPosten]) -> PersonalGruppe:
    ist = summe(p.ist for p in posten)
    hoechst: Decimal | None = None
    if any(p.hoechstbetrag_je_vzae is not None for p in posten):
        # An entry without a cap of its own adds its whole Ist to the pool's cap.
        hoechst = summe(
            p.ist
            if p.hoechstbetrag_je_vzae is None
            else stellen_hoechstbetrag(p.hoechstbetrag_je_vzae, p.vzae, p.monate_besetzt)
            for p in posten
        )
    anerkannt = ist if hoechst is None else min(ist, hoechst)
    vzae = sum((p.vzae for p in posten), Decimal(0))
    vzae_monate = sum((p.vzae * p.monate_besetzt for p in posten), Decimal(0))
    return PersonalGruppe(stellenart, vzae, vzae_monate, hoechst, ist, anerkannt, anerkannt < ist)


def kuerzung_personal(gruppen: Sequence[PersonalGruppe], ausgaben: Sequence[AusgabeZeile]) -> Decimal:
    """How much the per-post caps cut the recognised Ausgaben.

    What the personnel costs exceed their caps, less what the 20 % rule already cut on the lines
    marked ``personalausgaben``: the tighter of both ceilings binds, none is applied twice.
    """
    ueber_kappe = summe(g.ist - g.anerkannt for g in gruppen)
    schon_gekuerzt = summe(z.ist - z.anerkannt for z in ausgaben if z.personalausgaben)
    return max(ZERO, ueber_kappe - schon_gekuerzt)


def anerkannte_ausgaben(ausgaben: Sequence[AusgabeZeile], gruppen: Sequence[PersonalGruppe]) -> Decimal:
    """E_ist: recognised zuwendungsfähige Ausgaben after the 20 % rule and the personnel caps."""
    grundlage = summe(z.anerkannt for z in ausgaben) if ausgaben else summe(g.ist for g in gruppen)
    return max(ZERO, grundlage - kuerzung_personal(gruppen, ausgaben))


def zuwendung_anteil(
    anerkannt: Decimal, foerdersatz: Decimal, hoechstbetrag: Decimal, mehr_deckungsmittel: Decimal = ZERO
) -> Decimal:
    """Anteilfinanzierung: ``min(H, p % × max(0, E − ΔD))``; no Nachfinanzierung beyond H."""
    return min(hoechstbetrag, cent(max(ZERO, anerkannt - mehr_deckungsmittel) * foerdersatz / HUNDERT))


def zuwendung_fehlbedarf(
    anerkannt: Decimal,
    eigenanteil_soll: Decimal,
    eigenanteil_ist: Decimal,
    deckungsmittel_ist: Decimal,
    hoechstbetrag: Decimal,
) -> Decimal:
    """Fehlbedarfsfinanzierung: ``min(H, max(0, E − max(O_ist, O_plan) − D_ist))``.

    The planned Eigenanteil is kept in full, so a lower reported one does not raise the grant;
    extra third-party money lowers it by its full amount.
    """
    return min(hoechstbetrag, max(ZERO, anerkannt - max(eigenanteil_ist, eigenanteil_soll) - deckungsmittel_ist))


def zuwendung_voll(anerkannt: Decimal, deckungsmittel_ist: Decimal, hoechstbetrag: Decimal) -> Decimal:
    """Vollfinanzierung: ``min(H, max(0, E − D_ist))``; other income reduces Z in full."""
    return min(hoechstbetrag, max(ZERO, anerkannt - deckungsmittel_ist))


def zuwendung_festbetrag(anerkannt: Decimal, festbetrag: Decimal, hoechstbetrag: Decimal) -> Decimal:
    """Festbetragsfinanzierung: the Festbetrag unless the recognised Ausgaben are lower."""
    return max(ZERO, min(hoechstbetrag, festbetrag, anerkannt))


def zuwendung_festsetzen(fin: Finanzierung, anerkannt: Decimal, mittel: Deckung) -> Decimal:
    """Z by Finanzierungsart (docs/domain.md), always capped at the Höchstbetrag.

    0 for invalid input (unknown Art, Anteil without Fördersatz), which is reported as an error.
    """
    h = fin.hoechstbetrag
    if fin.art == ANTEIL and fin.foerdersatz is not None:
        return zuwendung_anteil(anerkannt, fin.foerdersatz, h, mittel.mehr_deckungsmittel)
    if fin.art == FEHLBEDARF:
        return zuwendung_fehlbedarf(
            anerkannt, mittel.eigenanteil_soll, mittel.eigenanteil_ist, mittel.deckungsmittel_ist, h
        )
    if fin.art == VOLL:
        return zuwendung_voll(anerkannt, mittel.deckungsmittel_ist, h)
    if fin.art == FESTBETRAG:
        return zuwendung_festbetrag(anerkannt, h if fin.festbetrag is None else fin.festbetrag, h)
    return ZERO


def erstattung(ausgezahlt: Decimal, festgesetzt: Decimal, bagatellgrenze: Decimal = ZERO) -> Decimal:
    """The refund: ``max(0, ausgezahlt − Z)``; 0 up to the Bagatellgrenze (default 0)."""
    betrag = max(ZERO, ausgezahlt - festgesetzt)
    return ZERO if betrag <= bagatellgrenze else betrag


def nachzahlung(ausgezahlt: Decimal, festgesetzt: Decimal, hoechstbetrag: Decimal) -> Decimal:
    """Z not yet paid out, at most up to H; shown as information only."""
    return max(ZERO, min(hoechstbetrag, festgesetzt) - ausgezahlt)


def bilanz(einnahmen_ist: Decimal, ausgaben_ist: Decimal) -> tuple[Decimal, Decimal]:
    """(Überschuss, Fehlbetrag) of Σ Einnahmen Ist against Σ Ausgaben Ist; one of them is 0."""
    differenz = einnahmen_ist - ausgaben_ist
    return max(ZERO, differenz), max(ZERO, -differenz)


# --- checks ----------------------------------------------------------------------------------


def _warnung(pfad: str, meldung: str, code: str) -> Problem:
    return Problem(pfad, meldung, code, "warning")


def pruefe_zuwendungszeile(einnahmen: Sequence[EinnahmeZeile], ausgezahlt: Decimal) -> list[Problem]:
    """Exactly one Zuwendung line among the Einnahmen, and its Ist equals what was paid out."""
    zuwendungszeilen = [i for i, z in enumerate(einnahmen) if z.art == ZUWENDUNG]
    if not zuwendungszeilen:
        meldung = "Die Zeile „Zuwendung“ (Zuwendung des Landes) fehlt; sie weist den ausgezahlten Betrag aus."
        return [Problem("/einnahmen", meldung, "einnahmen.zuwendung_fehlt")]
    if len(zuwendungszeilen) > 1:
        meldung = "Die Zuwendung darf nur in einer Zeile stehen; bitte die Zeilen zusammenfassen."
        return [Problem(f"/einnahmen/{zuwendungszeilen[1]}/art", meldung, "einnahmen.zuwendung_mehrfach")]
    ist = einnahmen[zuwendungszeilen[0]].ist
    if ist == ausgezahlt:
        return []
    meldung = (
        f"Die Zuwendung lt. Abrechnung ({eur(ist)}) muss dem ausgezahlten Betrag entsprechen "
        f"(Summe unter /auszahlungen: {eur(ausgezahlt)})."
    )
    return [Problem(f"/einnahmen/{zuwendungszeilen[0]}/ist", meldung, "einnahmen.zuwendung_ungleich_ausgezahlt")]


def pruefe_ausgaben(ausgaben: Sequence[AusgabeZeile], summen: Summen) -> list[Problem]:
    """Warnings: lines cut by the 20 % rule; an overrun not compensated (Σ Ist > Σ Soll)."""
    probleme = [
        _warnung(
            f"/ausgaben/{i}/ist",
            f"„{z.position}“: Ist {eur(z.ist)} liegt mehr als 20 % über dem Ansatz {eur(z.soll)}; ohne "
            f"genehmigte Überschreitung (ueberschreitung_genehmigt) werden nur {eur(z.anerkannt)} anerkannt.",
            "ausgaben.ueber_20_prozent",
        )
        for i, z in enumerate(ausgaben)
        if z.status == GEKAPPT
    ]
    if summen.ausgaben_ist > summen.ausgaben_soll:
        meldung = (
            f"Die Ausgaben (Ist {eur(summen.ausgaben_ist)}) übersteigen den Finanzierungsplan (Soll "
            f"{eur(summen.ausgaben_soll)}); die Überschreitung ist nicht durch Einsparungen bei anderen "
            "Ansätzen ausgeglichen. Die Zuwendung bleibt auf den Höchstbetrag begrenzt."
        )
        probleme.append(_warnung("/ausgaben", meldung, "ausgaben.nicht_ausgeglichen"))
    return probleme


def pruefe_personal(
    posten: Sequence[PersonalPosten], gruppen: Sequence[PersonalGruppe], ausgaben: Sequence[AusgabeZeile]
) -> list[Problem]:
    """Warnings: pools above their cap; personnel costs that do not match the Ausgaben."""
    probleme = []
    erster: dict[str, int] = {}  # the first entry of each Stellenart, where its warning points
    for i, p in enumerate(posten):
        erster.setdefault(p.stellenart, i)
    for g in (g for g in gruppen if g.gekappt):
        i = erster[g.stellenart]
        meldung = (
            f"Die Personalausgaben „{g.stellenart}“ ({eur(g.ist)}) übersteigen den Höchstbetrag für die "
            f"besetzten Stellen ({eur(g.hoechstbetrag or ZERO)}); anerkannt werden {eur(g.anerkannt)}."
        )
        probleme.append(_warnung(f"/personal/{i}/ist", meldung, "personal.hoechstbetrag_ueberschritten"))
    personal_ist = summe(g.ist for g in gruppen)
    markiert = [z.ist for z in ausgaben if z.personalausgaben]
    if gruppen and not ausgaben:
        meldung = "Es sind keine Ausgabenzeilen angegeben; die Personalausgaben unter /personal gelten als Ausgaben."
        probleme.append(_warnung("/ausgaben", meldung, "ausgaben.nur_personal"))
    elif gruppen and markiert and summe(markiert) != personal_ist:
        meldung = (
            f"Die Personalausgaben unter /personal ({eur(personal_ist)}) stimmen nicht mit den als "
            f"personalausgaben markierten Ausgabenzeilen ({eur(summe(markiert))}) überein."
        )
        probleme.append(_warnung("/personal", meldung, "personal.abgleich"))
    elif gruppen and personal_ist > summe(z.ist for z in ausgaben):
        meldung = f"Die Personalausgaben unter /personal ({eur(personal_ist)}) übersteigen die gesamten Ausgaben."
        probleme.append(_warnung("/personal", meldung, "personal.abgleich"))
    return probleme


# --- entry point -----------------------------------------------------------------------------


def berechne(data: Mapping[str, Any]) -> Berechnung:
    """All figures of the Verwendungsnachweis from its parsed input (see the module docstring)."""
    fin, probleme = zf.lies_finanzierung(data)
    einnahmen_roh, einnahme_probleme = zf.lies_einnahmen(data)
    einnahmen = einnahme_zeilen(einnahmen_roh)
    ausgaben = tuple(ausgabe_zeile(*zeile) for zeile in zf.lies_ausgaben(data))
    posten = zf.lies_personal(data)
    gruppen = personal_kappung(posten)
    ausgezahlt = summe(zf.lies_geld(a, "betrag", pfad) for pfad, a in zf.lies_liste(data, "auszahlungen"))
    summen = Summen(
        summe(z.soll for z in einnahmen),
        summe(z.ist for z in einnahmen),
        summe(z.soll for z in ausgaben),
        summe(z.ist for z in ausgaben),
        summe(z.anerkannt for z in ausgaben),
        summe(g.ist for g in gruppen),
        summe(g.anerkannt for g in gruppen),
    )
    mittel = deckung(einnahmen)
    e_ist = anerkannte_ausgaben(ausgaben, gruppen)
    z = zuwendung_festsetzen(fin, e_ist, mittel)
    rueckforderung = erstattung(ausgezahlt, z, fin.bagatellgrenze)
    # Without Ausgaben lines the personnel costs are the Ausgaben (see the module docstring).
    ueberschuss, fehlbetrag = bilanz(summen.einnahmen_ist, summen.ausgaben_ist if ausgaben else summen.personal_ist)
    probleme += einnahme_probleme + pruefe_zuwendungszeile(einnahmen, ausgezahlt)
    probleme += pruefe_ausgaben(ausgaben, summen) + pruefe_personal(posten, gruppen, ausgaben)
    if fehlbetrag:
        meldung = f"Die Einnahmen decken die Ausgaben (Ist) nicht: Fehlbetrag {eur(fehlbetrag)}."
        probleme.append(_warnung("/einnahmen", meldung, "bilanz.fehlbetrag"))
    zins_angaben = data.get("zinsen")
    return Berechnung(
        finanzierung=fin,
        einnahmen=einnahmen,
        ausgaben=ausgaben,
        personal=gruppen,
        summen=summen,
        deckung=mittel,
        ausgeglichen=summen.ausgaben_ist <= summen.ausgaben_soll,
        kuerzung_personal=kuerzung_personal(gruppen, ausgaben),
        anerkannte_ausgaben=e_ist,
        zuwendung_festgesetzt=z,
        ausgezahlt=ausgezahlt,
        erstattung=rueckforderung,
        nachzahlung=nachzahlung(ausgezahlt, z, fin.hoechstbetrag),
        ueberschuss=ueberschuss,
        fehlbetrag=fehlbetrag,
        zinsen=zf.zinsen_aus_eingabe(zins_angaben, rueckforderung) if isinstance(zins_angaben, Mapping) else None,
        vorlagefrist=zf.vorlagefrist_aus_eingabe(data),
        probleme=tuple(probleme),
    )


def pruefe(data: Mapping[str, Any]) -> list[Problem]:
    """The problems :func:`berechne` finds (errors and warnings), a malformed value included."""
    try:
        return list(berechne(data).probleme)
    except InvalidField as e:
        return [e.problem]
