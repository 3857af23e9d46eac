"""Labels of the form: a property's German ``title`` from its schema; the name of one row of a list.

Every property in ``schemas/*.schema.json`` carries a German ``title`` (a test keeps it so); the help
text under a field is the property's ``description``. The fallback below (the key, readable) only
shows if a schema lost a title, and the test fails before a clerk could see it.
"""

from __future__ import annotations

from collections.abc import Mapping

# One row of a list, by the list's key ("Beratung 2 von 3"): a row has no title of its own in the schema.
ROW_LABELS: dict[str, str] = {
    "beratungsfolge": "Beratung", "anlagen": "Anlage", "beteiligt": "Dienststelle", "weitere": "Eintrag",
    "ziele": "Ziel", "massnahmen": "Maßnahme", "ausgaben": "Ausgabe", "einnahmen": "Einnahme",
    "auszahlungen": "Auszahlung", "bescheide": "Bescheid", "personal": "Stelle", "mitzeichnungen": "Mitzeichnung",
    "indikatoren": "Indikator", "kooperationen": "Kooperation", "zeilen": "Zeile", "spalten": "Spalte",
    "liste": "Punkt", "gemeinden": "Gemeinde", "abweichungen": "Abweichung", "bezug": "Frühere Vorlage",
    "beteiligung": "Beteiligter Akteur", "stellen_hoechstbetraege": "Stellenart",
}


def label(key: str, schema: Mapping[str, object]) -> str:
    """The property's German ``title``; the readable key only as a last resort."""
    title = schema.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    return key.replace("_", " ").capitalize()


def row_label(key: str) -> str:
    return ROW_LABELS.get(key, "Eintrag")


def missing_titles(schema: Mapping[str, object], where: str = "") -> list[str]:
    """Pointers of properties without a non-empty ``title`` anywhere in ``schema`` (also in ``$defs``)."""
    found: list[str] = []

    def walk(node: object, at: str) -> None:
        if isinstance(node, Mapping):
            props = node.get("properties")
            if isinstance(props, Mapping):
                for key, sub in props.items():
                    title = sub.get("title") if isinstance(sub, Mapping) else None
                    if not (isinstance(title, str) and title.strip()):
                        found.append(f"{at}/{key}")
            for key, sub in node.items():
                if key == "properties" and isinstance(sub, Mapping):
                    for name, prop in sub.items():
                        walk(prop, f"{at}/{name}")
                else:
                    walk(sub, f"{at}/{key}")
        elif isinstance(node, list):
            for n, sub in enumerate(node):
                walk(sub, f"{at}/{n}")

    walk(schema, where)
    return found
