"""Sachbericht: the report on what a grant achieved (Nr. 7.3 ANBest-G; docs/domain.md, Sachbericht).

A Sachbericht stands alone (Zwischen- or Schlussbericht) or is part of a Verwendungsnachweis,
which brings it into its bundle (see :mod:`docgen.documents.verwendungsnachweis`). Domain rules
beyond the schema: a goal that is not "erreicht" needs its ``abweichungsgrund``; periods run
forwards; a goal rated "erreicht" whose numeric Ist is below its Soll, staff periods outside the
Berichtszeitraum and Handlungsfelder with goals but no Maßnahme are warnings. The render
context groups goals and Maßnahmen by Handlungsfeld in the order of the KI's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from docgen.errors import Problem
from docgen.formatting import datum
from docgen.model import DocumentType, RenderTools
from docgen.schemas import Regel, regelwerk

ERREICHT = "erreicht"
# The KI's Handlungsfelder in the order the report presents them (docs/domain.md, Sachbericht › Handlungsfelder).
HANDLUNGSFELDER = (
    "Integration durch Bildung",
    "Integration als Querschnittsaufgabe",
    "KOMM-AN",
    "KIM",
    "Sprachmittlung",
    "sonstige",
)
FELD_TITEL = {
    "KOMM-AN": "KOMM-AN NRW",
    "KIM": "Kommunales Integrationsmanagement (KIM)",
    "Sprachmittlung": "Sprachmittlung",
    "sonstige": "Weitere Aufgaben",
}
STELLE_FELDER = ("name", "abteilung", "anschrift", "kontakt")


# --- rules -----------------------------------------------------------------------------------


def _zahl(wert: Any) -> Decimal | None:
    """A goal's Soll/Ist as a number, if it is one (texts such as "40 Schulen" are not compared)."""
    return Decimal(wert) if isinstance(wert, Decimal | int) and not isinstance(wert, bool) else None


def zeitraum_regel(zeitraum: Mapping[str, Any], pfad: str, name: str) -> list[Problem]:
    """``von`` must not lie after ``bis``."""
    if zeitraum["von"] <= zeitraum["bis"]:
        return []
    return [Problem(
        f"{pfad}/bis",
        f"der {name} endet ({datum(zeitraum['bis'])}) vor seinem Beginn ({datum(zeitraum['von'])}). "
        "Bitte „von“ und „bis“ prüfen.", f"{pfad.strip('/').replace('/', '.')}.reihenfolge")]


def _ziel_regeln(ziele: list[Mapping[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    for i, ziel in enumerate(ziele):
        bewertung = ziel["bewertung"]
        if bewertung != ERREICHT and not ziel.get("abweichungsgrund"):
            problems.append(Problem(
                f"/ziele/{i}/abweichungsgrund",
                f"das Ziel „{ziel['ziel']}“ ist mit „{bewertung}“ bewertet; bitte die Ursache der Abweichung "
                "im Feld „abweichungsgrund“ angeben.", "ziele.abweichungsgrund_fehlt"))
        soll, ist = _zahl(ziel["soll"]), _zahl(ziel["ist"])
        if bewertung == ERREICHT and soll is not None and ist is not None and ist < soll:
            problems.append(Problem(
                f"/ziele/{i}/bewertung",
                f"das Ziel „{ziel['ziel']}“ ist als „erreicht“ bewertet, aber der Ist-Wert ({ist}) liegt unter "
                f"dem Soll ({soll}). Bitte die Bewertung prüfen.", "ziele.ist_unter_soll", "warning"))
    return problems


def _personal_regeln(personal: list[Mapping[str, Any]], zeitraum: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for i, stelle in enumerate(personal):
        von, bis = stelle.get("besetzt_von"), stelle.get("besetzt_bis")
        if von and bis and von > bis:
            problems.append(Problem(
                f"/personal/{i}/besetzt_bis",
                f"„{stelle['stellenart']}“: besetzt bis {datum(bis)} liegt vor besetzt ab {datum(von)}.",
                "personal.zeitraum"))
        elif (von and von > zeitraum["bis"]) or (bis and bis < zeitraum["von"]):
            problems.append(Problem(
                f"/personal/{i}",
                f"„{stelle['stellenart']}“ war nach diesen Angaben im Berichtszeitraum "
                f"({datum(zeitraum['von'])} – {datum(zeitraum['bis'])}) nicht besetzt.",
                "personal.ausserhalb_berichtszeitraum", "warning"))
    return problems


def _feld_regeln(data: Mapping[str, Any]) -> list[Problem]:
    mit_massnahme = {m["handlungsfeld"] for m in data["massnahmen"]}
    ohne = [f for f in HANDLUNGSFELDER if f in {z["handlungsfeld"] for z in data["ziele"]} - mit_massnahme]
    return [Problem(
        "/massnahmen",
        f"für das Handlungsfeld „{feld}“ sind Ziele, aber keine Maßnahmen angegeben.",
        "massnahmen.handlungsfeld_ohne_massnahme", "warning") for feld in ohne]


# Each rule with the fields it reads: it runs when they passed the schema (docgen.schemas.regelwerk).
rules = regelwerk(
    Regel(lambda d, s: zeitraum_regel(d["berichtszeitraum"], "/berichtszeitraum", "Berichtszeitraum"),
          ("/berichtszeitraum",)),
    Regel(lambda d, s: _ziel_regeln(list(d["ziele"])), ("/ziele",)),
    Regel(lambda d, s: _personal_regeln(list(d.get("personal", [])), d["berichtszeitraum"]),
          ("/personal", "/berichtszeitraum")),
    Regel(lambda d, s: _feld_regeln(d), ("/massnahmen", "/ziele")),
)


# --- render context --------------------------------------------------------------------------


def stelle(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A Stelle for the template: every field present (None if absent), the address as lines."""
    daten: dict[str, Any] = {key: obj.get(key) for key in STELLE_FELDER}
    anschrift = str(obj.get("anschrift") or "")
    daten["zeilen"] = [z.strip() for z in anschrift.replace("\n", ",").split(",") if z.strip()]
    return daten


def kennzahl(wert: Any) -> str:
    """A Soll/Ist value as printed: numbers in German format (1.234,5), texts as they are."""
    if isinstance(wert, Decimal | int) and not isinstance(wert, bool):
        return str(format_decimal(wert, locale="de_DE"))
    return str(wert)


def kooperation(eintrag: str | Mapping[str, Any]) -> dict[str, Any]:
    """A Kooperation for the template: a plain partner name or ``{partner, form}``."""
    if isinstance(eintrag, str):
        return {"partner": eintrag, "form": None}
    return {"partner": eintrag["partner"], "form": eintrag.get("form")}


def freigabe_context(data: Mapping[str, Any]) -> dict[str, Any] | None:
    freigabe = data.get("freigabe")
    if freigabe is None:
        return None
    return {"mitzeichnungen": list(freigabe.get("mitzeichnungen", [])),
            "unterzeichnung": {"zusatz": "", **freigabe["unterzeichnung"]}}


def _feldtitel(feld: str) -> str:
    return FELD_TITEL.get(feld, feld)


def _zielgruppen(ziele: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    gruppen = []
    for feld in HANDLUNGSFELDER:
        zeilen = [{
            "ziel": z["ziel"], "indikator": z["indikator"], "soll": kennzahl(z["soll"]), "ist": kennzahl(z["ist"]),
            "bewertung": z["bewertung"], "abweichungsgrund": z.get("abweichungsgrund"),
            "zieldimension": z.get("zieldimension"),
        } for z in ziele if z["handlungsfeld"] == feld]
        if zeilen:
            gruppen.append({"handlungsfeld": _feldtitel(feld), "ziele": zeilen})
    return gruppen


def _massnahmen(massnahmen: list[Mapping[str, Any]], tools: RenderTools) -> list[dict[str, Any]]:
    felder: list[dict[str, Any]] = []
    for feld in HANDLUNGSFELDER:
        eintraege = [{
            "titel": m["titel"],
            "zeitraum": m.get("zeitraum"), "format": m.get("format"), "ort": m.get("ort"),
            "teilnehmende": m.get("teilnehmende"), "zielgruppe": m.get("zielgruppe"),
            "kooperationspartner": ", ".join(m.get("kooperationspartner", [])) or None,
            "zieldimension": m.get("zieldimension"),
            "ergebnis": tools.blocks(m["ergebnis"], 4) if m.get("ergebnis") else None,
        } for m in massnahmen if m["handlungsfeld"] == feld]
        if eintraege:
            felder.append({"nr": f"3.{len(felder) + 1}", "handlungsfeld": _feldtitel(feld), "massnahmen": eintraege})
    return felder


def _personal(personal: list[Mapping[str, Any]], zeitraum: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{
        "stellenart": p["stellenart"], "vzae": p["vzae"],
        "von": p.get("besetzt_von") or zeitraum["von"], "bis": p.get("besetzt_bis") or zeitraum["bis"],
        "bemerkung": p.get("bemerkung"),
    } for p in personal]


def _bilanz(ziele: list[Mapping[str, Any]]) -> dict[str, int]:
    bewertungen = [z["bewertung"] for z in ziele]
    return {"gesamt": len(bewertungen), "erreicht": bewertungen.count(ERREICHT),
            "teilweise": bewertungen.count("teilweise erreicht"), "nicht": bewertungen.count("nicht erreicht")}


def context(data: Mapping[str, Any], tools: RenderTools) -> dict[str, Any]:
    zeitraum = data["berichtszeitraum"]
    ziele = list(data["ziele"])
    personal = _personal(list(data.get("personal", [])), zeitraum)
    freigabe = freigabe_context(data)

    def optional(key: str, level: int = 2) -> Any:
        return tools.blocks(data[key], level) if data.get(key) else None

    return {
        "koerperschaft": tools.koerperschaft,
        "logo": tools.logo(),
        "berichtsart": data["berichtsart"],
        "titel": data.get("titel"),
        "empfaenger": stelle(data["zuwendungsempfaenger"]),
        "behoerde": stelle(data["bewilligungsbehoerde"]),
        "aktenzeichen": data["aktenzeichen"],
        "foerderprogramm": data["foerderprogramm"],
        "zeitraum": {"von": zeitraum["von"], "bis": zeitraum["bis"]},
        "ausgangslage": tools.blocks(data["ausgangslage"], 3),
        "zielgruppen": _zielgruppen(ziele),
        "zielbilanz": _bilanz(ziele),
        "felder": _massnahmen(list(data["massnahmen"]), tools),
        "abweichungen": optional("abweichungen", 3),
        "personal": personal,
        "personal_vzae": sum((Decimal(p["vzae"]) for p in personal), Decimal(0)),
        "kooperationen": [kooperation(k) for k in data.get("kooperationen", [])],
        "oeffentlichkeitsarbeit": optional("oeffentlichkeitsarbeit"),
        "ausblick": tools.blocks(data["ausblick"]),
        "freigabe": freigabe,
        "datum": freigabe["unterzeichnung"]["datum"] if freigabe else None,
    }


def reference(data: Mapping[str, Any]) -> str:
    return f"Az. {data['aktenzeichen']}"


DOCUMENT = DocumentType(
    name="sachbericht",
    title="Sachbericht",
    schema_file="sachbericht.schema.json",
    template_file="sachbericht.docx",
    rules=rules,
    context=context,
    reference=reference,
    example_file="sachbericht.json",
    title_of=lambda data: f"{data['berichtsart']}: {data.get('titel') or data['foerderprogramm']}",
    office_of=lambda data: str(data["zuwendungsempfaenger"].get("abteilung") or ""),
)
