"""Verwendungsnachweis: the proof of how a grant was used (Nr. 7 ANBest-G NRW; docs/domain.md, Verwendungsnachweis).

Every figure comes from :func:`docgen.documents.zuwendung.berechne`: the template shows it and
the receipt records it under ``berechnung``. The Sachbericht, when given, is its own document
right after the Verwendungsnachweis in the same bundle (``parts_of``); its errors are reported here
already, under ``/sachbericht/…``, so the user sees every problem at once.

Domain rules beyond the schema (codes in brackets): the arithmetic's own checks (the Zuwendung line
equals what was paid out, a Fördersatz for Anteilfinanzierung, Fehlbetrag, 20 % rule, per-post caps
— see :func:`~docgen.documents.zuwendung.pruefe`); the Bewilligungszeitraum runs forwards
(``bewilligungszeitraum.reihenfolge``); the Bescheide add up to the Höchstbetrag
(``bescheide.summe``); a signed-off Nachweis has a Bestätigung (``bestaetigung.fehlt``); a
Zwischennachweis names its ``berichtsjahr`` (``nachweisart.berichtsjahr_fehlt``); warnings for a
Bestätigung after the Vorlagefrist (``vorlagefrist.ueberschritten``), a signed-off Nachweis
without Sachbericht (``sachbericht.fehlt``) and a Sachbericht of the wrong kind
(``sachbericht.berichtsart``).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from docgen.documents import sachbericht as sb
from docgen.documents import zuwendung as zw
from docgen.documents import zuwendung_fristen as zf
from docgen.errors import Problem
from docgen.model import DocumentType, RenderTools
from docgen.numbers import HUNDERT, anteil, euro, prozent, summe, to_money, zahl
from docgen.schemas import Regel, broken_paths, regelwerk, schema_problems, show
from docgen.settings import Settings

ZWISCHENNACHWEIS = "Zwischennachweis"
SACHBERICHT = "/sachbericht"
# The row labels of the form (docs/domain.md, Einnahmen/Ausgaben) for lines without a bezeichnung of their own.
ZEILENTITEL = {
    zf.EIGENANTEIL: "Eigenanteil",
    zf.DRITTE: "Leistungen Dritter (ohne öffentliche Förderung)",
    zf.OEFFENTLICH: "Öffentliche Förderung",
    zf.ZUWENDUNG: "Zuwendung des Landes",
}
HINWEIS_20 = {
    zw.GEKAPPT: "mehr als 20 % über dem Ansatz – anerkannt bis 120 % des Ansatzes",
    zw.GENEHMIGT: "Überschreitung um mehr als 20 % genehmigt",
}


# --- rules -----------------------------------------------------------------------------------


def _bescheide_regel(data: Mapping[str, Any]) -> list[Problem]:
    bewilligt = summe(to_money(b["betrag"]) for b in data["bescheide"])
    hoechst = to_money(data["finanzierung"]["hoechstbetrag"])
    if bewilligt == hoechst:
        return []
    return [Problem(
        "/finanzierung/hoechstbetrag",
        f"der Höchstbetrag ({euro(hoechst)}) muss der mit den Bescheiden bewilligten Zuwendung entsprechen "
        f"(Summe unter /bescheide: {euro(bewilligt)}). Bitte Beträge und Änderungsbescheide prüfen.",
        "bescheide.summe")]


def _formale_regeln(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if "freigabe" in data and "bestaetigung" not in data:
        problems.append(Problem(
            "/bestaetigung",
            "ein freigegebener Verwendungsnachweis braucht die Bestätigung des Zuwendungsempfängers "
            "(ort, datum, name, funktion). Bitte ergänzen oder die Freigabe entfernen (Entwurf).",
            "bestaetigung.fehlt"))
    if data["nachweisart"] == ZWISCHENNACHWEIS and "berichtsjahr" not in data:
        problems.append(Problem(
            "/berichtsjahr",
            "ein Zwischennachweis gilt für ein Haushaltsjahr; bitte das Feld „berichtsjahr“ angeben (z. B. 2025).",
            "nachweisart.berichtsjahr_fehlt"))
    frist = zf.vorlagefrist_aus_eingabe(data)
    bestaetigt = data.get("bestaetigung", {}).get("datum")
    if frist is not None and bestaetigt is not None and zf.to_date(bestaetigt) > frist:
        problems.append(Problem(
            "/bestaetigung/datum",
            f"der Nachweis wird nach Ablauf der Vorlagefrist ({frist:%d.%m.%Y}) bestätigt. Bitte eine "
            "Fristverlängerung der Bewilligungsbehörde beifügen.", "vorlagefrist.ueberschritten", "warning"))
    return problems


# The Sachbericht's fields that repeat the Nachweis: taken from it when omitted, refused when different.
GEERBTE_STELLEN = ("zuwendungsempfaenger", "bewilligungsbehoerde")
ZWANZIG_PROZENT = Decimal("0.2")
VZAE_MONATE_TOLERANZ = Decimal("0.1")  # about three days of one full post


def erwarteter_berichtszeitraum(data: Mapping[str, Any]) -> dict[str, str] | None:
    """The Sachbericht's period: the Bewilligungszeitraum, for a Zwischennachweis its part in the berichtsjahr."""
    zeitraum = data.get("bewilligungszeitraum")
    if not isinstance(zeitraum, Mapping) or not all(isinstance(zeitraum.get(k), str) for k in ("von", "bis")):
        return None
    von, bis = str(zeitraum["von"]), str(zeitraum["bis"])
    jahr = data.get("berichtsjahr")
    if data.get("nachweisart") == ZWISCHENNACHWEIS and isinstance(jahr, int) and not isinstance(jahr, bool):
        von, bis = max(von, f"{jahr:04d}-01-01"), min(bis, f"{jahr:04d}-12-31")
    return {"von": von, "bis": bis}


def _bescheid_aktenzeichen(data: Mapping[str, Any]) -> list[str]:
    bescheide = data.get("bescheide")
    if not isinstance(bescheide, list):
        return []
    return [b["aktenzeichen"] for b in bescheide if isinstance(b, Mapping) and isinstance(b.get("aktenzeichen"), str)]


def sachbericht_daten(data: Mapping[str, Any]) -> dict[str, Any]:
    """The embedded Sachbericht as a document of its own (dokumentart set).

    What it repeats of the Nachweis is taken from there when omitted: Empfänger and Behörde (field
    by field), the Aktenzeichen of the (first) Zuwendungsbescheid and the Berichtszeitraum
    (:func:`erwarteter_berichtszeitraum`). Differences are refused by :func:`_abgleich_regel`.
    """
    bericht: dict[str, Any] = {"dokumentart": "sachbericht", **data["sachbericht"]}
    for key in GEERBTE_STELLEN:
        stelle = data.get(key)
        eigen = bericht.get(key)
        if isinstance(stelle, Mapping) and (eigen is None or isinstance(eigen, Mapping)):
            bericht[key] = {**stelle, **(eigen or {})}
    aktenzeichen = _bescheid_aktenzeichen(data)
    if "aktenzeichen" not in bericht and aktenzeichen:
        bericht["aktenzeichen"] = aktenzeichen[0]
    zeitraum = erwarteter_berichtszeitraum(data)
    if "berichtszeitraum" not in bericht and zeitraum is not None:
        bericht["berichtszeitraum"] = zeitraum
    return bericht


def _sachbericht_regeln(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    """A signed-off Nachweis has a Sachbericht; the embedded one is of the kind the Nachweis needs.

    The embedded Sachbericht itself (schema and rules) is checked as a part of the bundle, under
    /sachbericht/… (docgen.stages.validate.collect_parts).
    """
    if "sachbericht" not in data:
        if "freigabe" in data and not data.get("sachbericht_kurz"):
            return [Problem(SACHBERICHT, "der Verwendungsnachweis besteht aus Sachbericht und zahlenmäßigem "
                            "Nachweis (Nr. 7.2 ANBest-G); es ist weder „sachbericht“ noch „sachbericht_kurz“ "
                            "angegeben.", "sachbericht.fehlt", "warning")]
        return []
    berichtsart = data["sachbericht"].get("berichtsart")
    erwartet = "Zwischenbericht" if data["nachweisart"] == ZWISCHENNACHWEIS else "Schlussbericht"
    if berichtsart not in ("Zwischenbericht", "Schlussbericht") or berichtsart == erwartet:
        return []
    return [Problem(
        f"{SACHBERICHT}/berichtsart",
        f"zu einem {data['nachweisart']} gehört in der Regel ein {erwartet}, nicht ein {berichtsart}.",
        "sachbericht.berichtsart", "warning")]


def _gleich(a: Any, b: Any) -> bool:
    """Two values alike; texts up to spacing, commas and line breaks (addresses are written either way)."""
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.replace(",", " ").split()) == " ".join(b.replace(",", " ").split())
    return bool(a == b)


def _abweichung(pfad: str, eigen: Any, nachweis_pfad: str, wert: Any) -> Problem:
    return Problem(
        f"{SACHBERICHT}{pfad}",
        f"{show(eigen)} weicht vom Verwendungsnachweis ab ({nachweis_pfad}: {show(wert)}). Der Sachbericht übernimmt "
        "diese Angabe aus dem Nachweis, wenn sie fehlt: bitte hier weglassen oder beide angleichen.",
        "sachbericht.abweichung")


def _abgleich_regel(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    """What the Sachbericht repeats of the Nachweis (Empfänger, Behörde, Aktenzeichen, Zeitraum) agrees."""
    if not isinstance(data.get("sachbericht"), Mapping):
        return []
    eigen = data["sachbericht"]
    kaputt = broken_paths(schema_problems(sachbericht_daten(data), sb.DOCUMENT.schema_file))
    problems: list[Problem] = []
    for key in GEERBTE_STELLEN:
        stelle, seine = data[key], eigen.get(key)
        if not isinstance(seine, Mapping):
            continue
        problems += [_abweichung(f"/{key}/{feld}", seine[feld], f"/{key}/{feld}", stelle[feld])
                     for feld in sb.STELLE_FELDER
                     if feld in seine and feld in stelle and f"/{key}/{feld}" not in kaputt
                     and not _gleich(seine[feld], stelle[feld])]
    aktenzeichen = _bescheid_aktenzeichen(data)
    if isinstance(eigen.get("aktenzeichen"), str) and aktenzeichen and not any(
            _gleich(eigen["aktenzeichen"], a) for a in aktenzeichen):
        problems.append(_abweichung("/aktenzeichen", eigen["aktenzeichen"], "/bescheide/0/aktenzeichen",
                                    aktenzeichen[0]))
    zeitraum, erwartet = eigen.get("berichtszeitraum"), erwarteter_berichtszeitraum(data)
    if isinstance(zeitraum, Mapping) and erwartet is not None and not any(
            p.startswith("/berichtszeitraum") for p in kaputt):
        quelle = "/bewilligungszeitraum" if data.get("nachweisart") != ZWISCHENNACHWEIS else (
            "/bewilligungszeitraum im /berichtsjahr")
        problems += [_abweichung(f"/berichtszeitraum/{grenze}", zeitraum.get(grenze), f"{quelle}, {grenze}",
                                 erwartet[grenze])
                     for grenze in ("von", "bis") if zeitraum.get(grenze) != erwartet[grenze]]
    return problems


def _monate(von: date, bis: date) -> Decimal:
    """Calendar months from ``von`` to ``bis`` (both inclusive), part months by their share of days."""
    monate = Decimal(0)
    tag = von
    while tag <= bis:
        letzter = calendar.monthrange(tag.year, tag.month)[1]
        ende = min(bis, date(tag.year, tag.month, letzter))
        monate += Decimal((ende - tag).days + 1) / Decimal(letzter)
        tag = ende + timedelta(days=1)
    return monate.quantize(Decimal("0.01"))


def _stellenart(art: str, bekannt: Mapping[str, Any] | None = None) -> str:
    """The key of a Stellenart: without case and spaces; "Fachkraft (Leitung)" counts as a known "Fachkraft"."""
    key = " ".join(art.split()).casefold()
    grund = key.split(" (", 1)[0]
    return grund if bekannt is not None and key not in bekannt and grund in bekannt else key


def _vzae_monate(eintraege: list[tuple[str, Decimal]], bekannt: Mapping[str, Any] | None = None,
                 ) -> dict[str, tuple[str, Decimal]]:
    """(Stellenart, VZÄ-months) entries summed per Stellenart (:func:`_stellenart`)."""
    summen: dict[str, tuple[str, Decimal]] = {}
    for art, wert in eintraege:
        key = _stellenart(art, bekannt)
        name, bisher = summen.get(key, (art, Decimal(0)))
        summen[key] = (name, bisher + wert)
    return summen


def _vzae_monate_sachbericht(bericht: Mapping[str, Any], bekannt: Mapping[str, Any],
                             ) -> dict[str, tuple[str, Decimal]]:
    """VZÄ-months per Stellenart as the Sachbericht reports them, within its Berichtszeitraum."""
    zeitraum = bericht["berichtszeitraum"]
    start, ende = zf.to_date(zeitraum["von"]), zf.to_date(zeitraum["bis"])
    eintraege = []
    for stelle in bericht.get("personal", []):
        von = max(start, zf.to_date(stelle.get("besetzt_von") or zeitraum["von"]))
        bis = min(ende, zf.to_date(stelle.get("besetzt_bis") or zeitraum["bis"]))
        monate = _monate(von, bis) if von <= bis else Decimal(0)
        eintraege.append((str(stelle["stellenart"]), Decimal(stelle["vzae"]) * monate))
    return _vzae_monate(eintraege, bekannt)


def _personal_abgleich(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    """The Sachbericht's staff matches the Nachweis's personal (VZÄ × months per Stellenart; docs/domain.md)."""
    if not isinstance(data.get("sachbericht"), Mapping):
        return []
    bericht = sachbericht_daten(data)
    if broken_paths(schema_problems(bericht, sb.DOCUMENT.schema_file)):
        return []  # reported for the Sachbericht itself; nothing sound to compare
    nachweis = list(data.get("personal", []))
    if not bericht.get("personal"):
        if not (nachweis or any(z.get("personalausgaben") for z in data["ausgaben"])):
            return []
        return [Problem(f"{SACHBERICHT}/personal", "der Sachbericht weist das geförderte Personal nicht nach "
                        "(Stellenart, VZÄ, besetzt von/bis); der zahlenmäßige Nachweis enthält Personalausgaben. "
                        "Bitte unter „personal“ ergänzen.", "sachbericht.personal_fehlt", "warning")]
    zeitraum = bericht["berichtszeitraum"]
    if (not nachweis or dict(zeitraum) != erwarteter_berichtszeitraum(data)
            or _monate(zf.to_date(zeitraum["von"]), zf.to_date(zeitraum["bis"])) > 12):
        return []  # nothing to compare with, periods that differ (refused), more than the Nachweis's year
    laut_nachweis = _vzae_monate([(str(s["stellenart"]), Decimal(s["vzae"]) * Decimal(s["monate_besetzt"]))
                                  for s in nachweis])
    laut_bericht = _vzae_monate_sachbericht(bericht, laut_nachweis)
    problems = [Problem(
        f"{SACHBERICHT}/personal",
        f"„{name}“: laut Sachbericht {zahl(ist, 2)} VZÄ-Monate (VZÄ × besetzte Monate im Berichtszeitraum), "
        f"laut zahlenmäßigem Nachweis (/personal) {zahl(soll, 2)}. Bitte VZÄ und Besetzungszeiten angleichen.",
        "sachbericht.personal_abweichend")
        for key, (name, soll) in laut_nachweis.items()
        if abs((ist := laut_bericht.get(key, (name, Decimal(0)))[1]) - soll) > VZAE_MONATE_TOLERANZ]
    for i, stelle in enumerate(bericht["personal"]):
        key = _stellenart(str(stelle["stellenart"]), laut_nachweis)
        if key not in laut_nachweis and "lehrkraft" not in key:
            problems.append(Problem(
                f"{SACHBERICHT}/personal/{i}/stellenart",
                f"„{stelle['stellenart']}“ steht nicht im zahlenmäßigen Nachweis (/personal). Abgeordnete "
                "Lehrkräfte bitte als „Lehrkraft (abgeordnet)“ bezeichnen; sonst die Stellenart angleichen.",
                "sachbericht.personal_unbekannt", "warning"))
    return problems


def _begruendung_regel(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    """Every Ausgaben line more than 20 % off its Ansatz (either way) is explained (docs/domain.md, 20 % rule)."""
    problems = []
    for i, zeile in enumerate(data["ausgaben"]):
        soll, ist = to_money(zeile["soll"]), to_money(zeile["ist"])
        if abs(ist - soll) <= soll * ZWANZIG_PROZENT or zeile.get("begruendung"):
            continue
        abweichung = anteil(ist - soll, soll)
        um = f"um {prozent(abs(abweichung))} " if abweichung is not None else ""
        problems.append(Problem(
            f"/ausgaben/{i}/begruendung",
            f"„{zeile['position']}“ weicht {um}vom Ansatz ab (Soll {euro(soll)}, Ist {euro(ist)}). Eine "
            "Abweichung von mehr als 20 % ist zu begründen: bitte im Feld „begruendung“ erläutern.",
            "ausgaben.begruendung_fehlt"))
    return problems


# Each rule with the fields it reads: it runs when they passed the schema (docgen.schemas.regelwerk).
ZAHLEN = ("/einnahmen", "/ausgaben", "/personal", "/auszahlungen", "/finanzierung", "/nebenbestimmungen", "/zinsen",
          "/bewilligungszeitraum", "/zweck_erfuellt_am", "/nachweisart", "/berichtsjahr", "/vorsteuerabzug")
ABGLEICH = ("/sachbericht", "/zuwendungsempfaenger", "/bewilligungsbehoerde", "/bescheide", "/bewilligungszeitraum",
            "/nachweisart", "/berichtsjahr")
rules = regelwerk(
    Regel(lambda d, s: zw.pruefe(d), ZAHLEN),
    Regel(lambda d, s: sb.zeitraum_regel(d["bewilligungszeitraum"], "/bewilligungszeitraum", "Bewilligungszeitraum"),
          ("/bewilligungszeitraum",)),
    Regel(lambda d, s: _bescheide_regel(d), ("/bescheide", "/finanzierung/hoechstbetrag")),
    Regel(lambda d, s: _formale_regeln(d), ("/freigabe", "/bestaetigung", "/nachweisart", "/berichtsjahr",
                                            "/bewilligungszeitraum", "/zweck_erfuellt_am", "/nebenbestimmungen")),
    Regel(_sachbericht_regeln, ("/sachbericht", "/sachbericht_kurz", "/freigabe", "/nachweisart")),
    Regel(_abgleich_regel, ABGLEICH),
    Regel(_personal_abgleich, (*ABGLEICH, "/personal", "/ausgaben")),
    Regel(_begruendung_regel, ("/ausgaben",)),
)


# --- render context --------------------------------------------------------------------------


def _titel(data: Mapping[str, Any]) -> str:
    art = str(data["nachweisart"])
    if art == ZWISCHENNACHWEIS and "berichtsjahr" in data:
        return f"Zwischennachweis für das Haushaltsjahr {data['berichtsjahr']}"
    return art[:1].upper() + art[1:]


def _einnahmen(b: zw.Berechnung) -> dict[str, Any]:
    zeilen = [{
        "bezeichnung": ZEILENTITEL.get(z.art, z.bezeichnung) if z.bezeichnung == z.art else z.bezeichnung,
        "soll": z.soll, "anteil_soll": z.anteil_soll, "ist": z.ist, "anteil_ist": z.anteil_ist,
    } for z in b.einnahmen]
    s = b.summen
    summe = {"soll": s.einnahmen_soll, "ist": s.einnahmen_ist,
             "anteil_soll": HUNDERT if s.einnahmen_soll else None,
             "anteil_ist": HUNDERT if s.einnahmen_ist else None}
    return {"zeilen": zeilen, "summe": summe}


def _hinweis(status: str, zeile: Any) -> str | None:
    """The note under an Ausgaben line: the 20 % rule applied and the clerk's Begründung."""
    begruendung = zeile.get("begruendung") if isinstance(zeile, Mapping) else None
    teile = [HINWEIS_20.get(status), f"Begründung der Abweichung: {begruendung}" if begruendung else None]
    return "; ".join(t for t in teile if t) or None


def _ausgaben(b: zw.Berechnung, roh: list[Any]) -> dict[str, Any]:
    zeilen = [{
        "nr": i + 1, "position": z.position, "soll": z.soll, "ist": z.ist, "abweichung": z.abweichung,
        "abweichung_prozent": z.abweichung_prozent, "anerkannt": z.anerkannt,
        "hinweis": _hinweis(z.status, roh[i] if i < len(roh) else None),
    } for i, z in enumerate(b.ausgaben)]
    s = b.summen
    summe = {"soll": s.ausgaben_soll, "ist": s.ausgaben_ist, "abweichung": s.ausgaben_ist - s.ausgaben_soll,
             "abweichung_prozent": anteil(s.ausgaben_ist - s.ausgaben_soll, s.ausgaben_soll),
             "anerkannt": s.ausgaben_anerkannt_20}
    return {"zeilen": zeilen, "summe": summe, "ausgeglichen": b.ausgeglichen}


def _personal(b: zw.Berechnung) -> dict[str, Any] | None:
    if not b.personal:
        return None
    zeilen = [{
        "stellenart": g.stellenart, "vzae": g.vzae, "vzae_gefoerdert": g.vzae_monate / 12,
        "hoechstbetrag": g.hoechstbetrag, "ist": g.ist, "anerkannt": g.anerkannt, "gekappt": g.gekappt,
    } for g in b.personal]
    return {"zeilen": zeilen, "ist": b.summen.personal_ist, "anerkannt": b.summen.personal_anerkannt,
            "kuerzung": b.kuerzung_personal}


def _zeile(text: str, betrag: Decimal | None, fett: bool = False) -> dict[str, Any]:
    return {"text": text, "betrag": betrag, "fett": fett}


def _zuwendung_zeilen(b: zw.Berechnung) -> list[dict[str, Any]]:
    """How Z follows from the recognised Ausgaben, by Finanzierungsart (docs/domain.md, Finanzierungsarten)."""
    fin, mittel = b.finanzierung, b.deckung
    hoechst = f"höchstens der Höchstbetrag von {euro(fin.hoechstbetrag)}"
    if fin.art == zf.ANTEIL:
        zeilen = []
        if mittel.mehr_deckungsmittel:
            zeilen.append(_zeile("./. Mehr an Deckungsmitteln gegenüber dem Finanzierungsplan",
                                 mittel.mehr_deckungsmittel))
        satz = prozent(fin.foerdersatz) if fin.foerdersatz is not None else "–"
        return [*zeilen, _zeile(f"Zuwendung: {satz} der anerkannten Ausgaben, {hoechst}", b.zuwendung_festgesetzt,
                                True)]
    if fin.art == zf.FESTBETRAG:
        festbetrag = fin.hoechstbetrag if fin.festbetrag is None else fin.festbetrag
        return [_zeile("Festbetrag", festbetrag),
                _zeile(f"Zuwendung: Festbetrag, höchstens die anerkannten Ausgaben und {hoechst}",
                       b.zuwendung_festgesetzt, True)]
    zeilen = []
    if fin.art == zf.FEHLBEDARF:
        zeilen.append(_zeile("./. Eigenanteil (mindestens laut Finanzierungsplan)",
                             max(mittel.eigenanteil_ist, mittel.eigenanteil_soll)))
    if mittel.deckungsmittel_ist or fin.art == zf.FEHLBEDARF:
        zeilen.append(_zeile("./. Leistungen Dritter und andere öffentliche Förderung", mittel.deckungsmittel_ist))
    art = "Fehlbedarf" if fin.art == zf.FEHLBEDARF else "Vollfinanzierung"
    return [*zeilen, _zeile(f"Zuwendung ({art}), {hoechst}", b.zuwendung_festgesetzt, True)]


def _ergebnis(b: zw.Berechnung) -> list[dict[str, Any]]:
    s = b.summen
    grundlage = s.ausgaben_ist if b.ausgaben else s.personal_ist
    zeilen = [_zeile("Zuwendungsfähige Ausgaben laut Abrechnung", grundlage)]
    if s.ausgaben_ist != s.ausgaben_anerkannt_20:
        zeilen.append(_zeile("./. nicht anerkannte Überschreitung von Einzelansätzen (20-%-Regel)",
                             s.ausgaben_ist - s.ausgaben_anerkannt_20))
    if b.kuerzung_personal:
        zeilen.append(_zeile("./. Überschreitung der Stellenhöchstbeträge", b.kuerzung_personal))
    zeilen.append(_zeile("Anerkannte zuwendungsfähige Ausgaben", b.anerkannte_ausgaben, True))
    zeilen += _zuwendung_zeilen(b)
    zeilen.append(_zeile("Ausgezahlte Zuwendung", b.ausgezahlt))
    erstattung = "Erstattungsbetrag"
    if not b.erstattung and b.ausgezahlt > b.zuwendung_festgesetzt:
        erstattung += f" (Bagatellgrenze von {euro(b.finanzierung.bagatellgrenze)} nicht überschritten)"
    zeilen.append(_zeile(erstattung, b.erstattung, True))
    if b.nachzahlung:
        zeilen.append(_zeile("Noch nicht ausgezahlte Zuwendung (nur auf Anforderung)", b.nachzahlung))
    if b.zinsen is not None:
        z = b.zinsen
        zeilen.append(_zeile(f"Zinsen nach § 49a Abs. 3 VwVfG NRW ({z.ab:%d.%m.%Y} bis {z.bis:%d.%m.%Y}, "
                             f"{z.tage} Tage)", z.betrag))
        zeilen.append(_zeile("Erstattungsbetrag einschließlich Zinsen", b.erstattung + z.betrag, True))
    return zeilen


def _stammdaten(data: Mapping[str, Any]) -> dict[str, Any]:
    bestaetigung = data.get("bestaetigung")
    nebenbestimmungen = data.get("nebenbestimmungen", {})
    return {
        "titel": _titel(data),
        "kurztitel": data["nachweisart"][:1].upper() + data["nachweisart"][1:],
        "nachweisart": data["nachweisart"],
        "anbest": nebenbestimmungen.get("anbest", "ANBest-G"),
        "datum": data.get("datum") or (bestaetigung["datum"] if bestaetigung else None),
        "ort": bestaetigung["ort"] if bestaetigung else None,
        "aktenzeichen": data.get("aktenzeichen"),
        "empfaenger": sb.stelle(data["zuwendungsempfaenger"]),
        "behoerde": sb.stelle(data["bewilligungsbehoerde"]),
        "zweck": data["zuwendungszweck"],
        "foerderprogramm": data.get("foerderprogramm"),
        "zeitraum": dict(data["bewilligungszeitraum"]),
        "zweck_erfuellt_am": data.get("zweck_erfuellt_am"),
        "bescheide": [{"datum": b["datum"], "aktenzeichen": b["aktenzeichen"], "betrag": to_money(b["betrag"]),
                       "art": b.get("art", "Zuwendungsbescheid")} for b in data["bescheide"]],
        "bewilligt": summe(to_money(b["betrag"]) for b in data["bescheide"]),
        "auszahlungen": [{"datum": a["datum"], "betrag": to_money(a["betrag"])} for a in data["auszahlungen"]],
        "vorsteuerabzug": bool(data.get("vorsteuerabzug")),
        "bestaetigung": dict(bestaetigung) if bestaetigung else None,
    }


def _sachbericht(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    bericht = sachbericht_daten(data) if "sachbericht" in data else None  # with what it inherits
    kurz = data.get("sachbericht_kurz")
    return {
        "sachbericht": None if bericht is None else {
            "berichtsart": bericht.get("berichtsart"), "zeitraum": bericht.get("berichtszeitraum")},
        "sachbericht_kurz": tools.blocks(kurz, 3) if kurz else None,
    }


def context(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    b = zw.berechne(data)
    fin = b.finanzierung
    anlagen = [{"titel": a["titel"]} for a in data.get("anlagen", [])]
    return {
        "koerperschaft": tools.koerperschaft,
        "logo": tools.logo(),
        **_stammdaten(data),
        **_sachbericht(data, tools),
        "finanzierung": {"art": fin.art, "hoechstbetrag": fin.hoechstbetrag, "foerdersatz": fin.foerdersatz,
                         "festbetrag": fin.festbetrag},
        "ausgezahlt": b.ausgezahlt,
        "einnahmen": _einnahmen(b),
        "ausgaben": _ausgaben(b, list(data.get("ausgaben", []))),
        "personal": _personal(b),
        "bilanz": {"einnahmen": b.summen.einnahmen_ist,
                   "ausgaben": b.summen.ausgaben_ist if b.ausgaben else b.summen.personal_ist,
                   "ueberschuss": b.ueberschuss, "fehlbetrag": b.fehlbetrag},
        "ergebnis": _ergebnis(b),
        "erstattung": b.erstattung,
        "zinsen": None if b.zinsen is None else {
            "abschnitte": list(b.zinsen.abschnitte), "aufschlag": b.zinsen.aufschlag_prozentpunkte,
            "hauptbetrag": b.zinsen.hauptbetrag},
        "freigabe": sb.freigabe_context(data),
        "anlagen": [{"nr": i + 1, **a} for i, a in enumerate(anlagen)],
    }


def reference(data: Mapping[str, Any]) -> str:
    return f"Az. {data['bescheide'][0]['aktenzeichen']}"


def parts_of(data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    if "sachbericht" not in data:
        return []
    return [("Sachbericht", sachbericht_daten(data), SACHBERICHT)]


DOCUMENT = DocumentType(
    name="verwendungsnachweis",
    title="Verwendungsnachweis",
    schema_file="verwendungsnachweis.schema.json",
    template_file="verwendungsnachweis.docx",
    rules=rules,
    context=context,
    reference=reference,
    example_file="verwendungsnachweis.json",
    title_of=lambda data: f"{_titel(data)}: {data['zuwendungszweck']}",
    office_of=lambda data: str(data["zuwendungsempfaenger"].get("abteilung") or ""),
    parts_of=parts_of,
    figures=lambda data: zw.berechne(data).as_dict(),
)
