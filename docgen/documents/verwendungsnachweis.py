"""Verwendungsnachweis: the proof of how a grant was used (Nr. 7 ANBest-G NRW; domain.md B, G.3).

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

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from docgen.documents import sachbericht as sb
from docgen.documents import zuwendung as zw
from docgen.documents import zuwendung_fristen as zf
from docgen.errors import Problem
from docgen.model import DocumentType, RenderTools
from docgen.numbers import euro, prozent
from docgen.schemas import schema_problems
from docgen.settings import Settings

ZWISCHENNACHWEIS = "Zwischennachweis"
SACHBERICHT = "/sachbericht"
# The row labels of the form (B.3) for lines without a bezeichnung of their own.
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
    bewilligt = zf.summe(zf.to_money(b["betrag"]) for b in data["bescheide"])
    hoechst = zf.to_money(data["finanzierung"]["hoechstbetrag"])
    if bewilligt == hoechst:
        return []
    return [Problem(
        "/finanzierung/hoechstbetrag",
        f"der Höchstbetrag ({zf.eur(hoechst)}) muss der mit den Bescheiden bewilligten Zuwendung entsprechen "
        f"(Summe unter /bescheide: {zf.eur(bewilligt)}). Bitte Beträge und Änderungsbescheide prüfen.",
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


def sachbericht_daten(data: Mapping[str, Any]) -> dict[str, Any]:
    """The embedded Sachbericht as a document of its own (dokumentart set)."""
    return {"dokumentart": "sachbericht", **data["sachbericht"]}


def _sachbericht_regeln(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    """The embedded Sachbericht's schema errors and rule errors, under /sachbericht/…

    Its warnings are left to the bundle stage, which checks the part again and reports them once.
    """
    if "sachbericht" not in data:
        if "freigabe" in data and not data.get("sachbericht_kurz"):
            return [Problem(SACHBERICHT, "der Verwendungsnachweis besteht aus Sachbericht und zahlenmäßigem "
                            "Nachweis (Nr. 7.2 ANBest-G); es ist weder „sachbericht“ noch „sachbericht_kurz“ "
                            "angegeben.", "sachbericht.fehlt", "warning")]
        return []
    bericht = sachbericht_daten(data)
    problems = schema_problems(bericht, sb.DOCUMENT.schema_file) or sb.rules(bericht, settings)
    found = [Problem(SACHBERICHT + p.path, p.message, p.code) for p in problems if p.level == "error"]
    erwartet = "Zwischenbericht" if data["nachweisart"] == ZWISCHENNACHWEIS else "Schlussbericht"
    if not found and bericht["berichtsart"] != erwartet:
        found.append(Problem(
            f"{SACHBERICHT}/berichtsart",
            f"zu einem {data['nachweisart']} gehört in der Regel ein {erwartet}, nicht ein "
            f"{bericht['berichtsart']}.", "sachbericht.berichtsart", "warning"))
    return found


def rules(data: Mapping[str, Any], settings: Settings) -> list[Problem]:
    problems = zw.pruefe(data)
    problems += sb.zeitraum_regel(data["bewilligungszeitraum"], "/bewilligungszeitraum", "Bewilligungszeitraum")
    problems += _bescheide_regel(data)
    problems += _formale_regeln(data)
    problems += _sachbericht_regeln(data, settings)
    return problems


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
             "anteil_soll": zf.HUNDERT if s.einnahmen_soll else None,
             "anteil_ist": zf.HUNDERT if s.einnahmen_ist else None}
    return {"zeilen": zeilen, "summe": summe}


def _ausgaben(b: zw.Berechnung) -> dict[str, Any]:
    zeilen = [{
        "nr": i + 1, "position": z.position, "soll": z.soll, "ist": z.ist, "abweichung": z.abweichung,
        "abweichung_prozent": z.abweichung_prozent, "anerkannt": z.anerkannt, "hinweis": HINWEIS_20.get(z.status),
    } for i, z in enumerate(b.ausgaben)]
    s = b.summen
    summe = {"soll": s.ausgaben_soll, "ist": s.ausgaben_ist, "abweichung": s.ausgaben_ist - s.ausgaben_soll,
             "abweichung_prozent": zf.prozent(s.ausgaben_ist - s.ausgaben_soll, s.ausgaben_soll),
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
    """How Z follows from the recognised Ausgaben, by Finanzierungsart (B.5)."""
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
        "bescheide": [{"datum": b["datum"], "aktenzeichen": b["aktenzeichen"], "betrag": zf.to_money(b["betrag"]),
                       "art": b.get("art", "Zuwendungsbescheid")} for b in data["bescheide"]],
        "bewilligt": zf.summe(zf.to_money(b["betrag"]) for b in data["bescheide"]),
        "auszahlungen": [{"datum": a["datum"], "betrag": zf.to_money(a["betrag"])} for a in data["auszahlungen"]],
        "vorsteuerabzug": bool(data.get("vorsteuerabzug")),
        "bestaetigung": dict(bestaetigung) if bestaetigung else None,
    }


def _sachbericht(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    bericht = data.get("sachbericht")
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
        **_stammdaten(data),
        **_sachbericht(data, tools),
        "finanzierung": {"art": fin.art, "hoechstbetrag": fin.hoechstbetrag, "foerdersatz": fin.foerdersatz,
                         "festbetrag": fin.festbetrag},
        "ausgezahlt": b.ausgezahlt,
        "einnahmen": _einnahmen(b),
        "ausgaben": _ausgaben(b),
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
