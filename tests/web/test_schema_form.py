"""The schemas and the form stay in step: titles, shapes the form can show, fields it cannot hold."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from docgen import api
from docgen.web import jsontext
from docgen.web.form import MISSING, Walker, child, drop_unknown, get, kind, resolve, unsupported
from docgen.web.labels import missing_titles
from tests.conftest import EXAMPLES
from tests.web.conftest import basic, login

ROOT = Path(__file__).resolve().parent.parent.parent
ARTEN = api.dokumentarten()


def _schema(art: str) -> dict[str, Any]:
    return json.loads(api.schema(art))  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", sorted((ROOT / "schemas").glob("*.schema.json")), ids=lambda p: p.stem)
def test_every_property_has_a_german_title(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert missing_titles(schema) == []
    titles = _titles(schema)
    assert titles, "keine Eigenschaften gefunden"
    for where, title in titles:
        # German for clerks: a capital first letter, words rather than a JSON key
        assert title[:1].isupper() and "_" not in title and title != where.rsplit("/", 1)[-1], (where, title)


def _titles(node: Any, at: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, sub in node.items():
            if key == "properties" and isinstance(sub, dict):
                for name, prop in sub.items():
                    found.append((f"{at}/{name}", str(prop.get("title", ""))))
                    found += _titles(prop, f"{at}/{name}")
            else:
                found += _titles(sub, f"{at}/{key}")
    elif isinstance(node, list):
        for n, sub in enumerate(node):
            found += _titles(sub, f"{at}/{n}")
    return found


def test_missing_title_is_found() -> None:
    schema = _schema("beschlussvorlage")
    del schema["properties"]["vorlage"]["properties"]["betreff"]["title"]
    assert missing_titles(schema) == ["/vorlage/betreff"]


@pytest.mark.parametrize("art", ARTEN)
def test_form_labels_come_from_the_schema(art: str) -> None:
    schema = _schema(art)
    walker = Walker(schema, jsontext.parse(api.example(art)))
    walker.render()
    shown = set(walker.labels.values())
    assert resolve(schema["properties"]["anlagen"], schema)  # the shared parts are resolved
    for key, node in schema["properties"].items():
        title = resolve(node, schema).get("title")
        if key in ("dokumentart", "freigabe"):
            continue
        assert any(s.startswith(str(title)) for s in shown), (key, title)  # JSON fields add " (JSON)"


@pytest.mark.parametrize("art", ARTEN)
def test_form_can_show_every_keyword_and_property(art: str) -> None:
    schema = _schema(art)
    assert unsupported(schema) == []
    # every property of the example has its own control (or, for an open object, a JSON field)
    data = jsontext.parse(api.example(art))
    walker = Walker(schema, data)
    walker.render()
    for ptr in _pointers(schema, schema, "", data):
        assert ptr in walker.known, f"{art}: {ptr} hat kein Feld im Formular"


def _pointers(schema: dict[str, Any], node: dict[str, Any], ptr: str, value: Any) -> list[str]:
    """Pointers of the properties in ``value`` that the schema describes (rows included)."""
    found = []
    s = resolve(node, schema)
    for key, sub in s.get("properties", {}).items():
        if key == "freigabe" or get(value, "/" + key) is MISSING:
            continue
        here = child(ptr, key)
        found.append(here)
        k, v = kind(sub, schema), get(value, "/" + key)
        if k == "objekt":
            found += _pointers(schema, sub, here, v)
        elif k == "liste" and isinstance(v, list) and kind(resolve(sub, schema)["items"], schema) == "objekt":
            for i, item in enumerate(v):
                found += _pointers(schema, resolve(sub, schema)["items"], child(here, i), item)
    return found


SYNTHETIC = [
    ("unknown keyword on a property", lambda s: s["properties"]["vorlage"]["properties"]["betreff"].update(
        {"x-neu": True})),
    ("dependentRequired", lambda s: s["properties"]["vorlage"].update({"dependentRequired": {"a": ["b"]}})),
    ("patternProperties", lambda s: s.update({"patternProperties": {"^x-": {}}})),
    ("array without items", lambda s: s["properties"].update({"neu": {"title": "Neu", "type": "array"}})),
    ("enum of numbers", lambda s: s["properties"].update({"stufe": {"title": "Stufe", "enum": [1, 2]}})),
    ("type null only", lambda s: s["properties"]["vorlage"]["properties"].update(
        {"leer": {"title": "Leer", "type": "null"}})),
]


@pytest.mark.parametrize("change", SYNTHETIC, ids=[name for name, _f in SYNTHETIC])
def test_a_shape_the_form_cannot_show_fails(change: tuple[str, Any]) -> None:
    schema = copy.deepcopy(_schema("beschlussvorlage"))
    change[1](schema)
    assert unsupported(schema), change[0]


def _import(client: TestClient, token: str, data: dict[str, Any]) -> Any:
    return client.post("/entwuerfe", data={"_csrf": token}, files={
        "json": ("import.json", jsontext.dumps(data).encode(), "application/json")})


def test_import_names_the_fields_it_drops(client: TestClient) -> None:
    token = login(client, "sb")
    data = jsontext.parse((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    data["notiz"] = "intern"
    data["vorlage"]["farbe"] = "blau"
    data["beratungsfolge"][0]["raum"] = "Saal 2"
    response = _import(client, token, data)
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.text)
    assert "Diese Felder kennt das Formular nicht; sie wurden beim Import entfernt:" in text
    for ptr in ("/beratungsfolge/0/raum", "/notiz", "/vorlage/farbe"):
        assert ptr in text
    draft = response.url.path.rsplit("/", 1)[-1]
    exported = jsontext.parse(client.get(f"/entwuerfe/{draft}/export").text)
    assert "notiz" not in exported and "farbe" not in exported["vorlage"]
    # an example without unknown fields is imported without that message
    clean = _import(client, token, jsontext.parse((EXAMPLES / "sachbericht.json").read_text(encoding="utf-8")))
    assert "kennt das Formular nicht" not in clean.text


def test_drop_unknown_keeps_open_objects() -> None:
    schema = _schema("verwendungsnachweis")
    data = jsontext.parse(api.example("verwendungsnachweis"))
    before = copy.deepcopy(data)
    assert drop_unknown(schema, data) == []
    assert data == before


def test_copy_of_an_earlier_job_clears_freigabe(client: TestClient) -> None:
    data = jsontext.parse((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    data.pop("anlagen", None)
    assert "freigabe" in data
    created = client.post("/api/auftraege", content=jsontext.dumps(data).encode(),
                          headers={**basic("fg"), "Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    job = created.json()["id"]
    login(client, "fg")
    listing = client.get("/").text
    assert f'value="auftrag:{job}"' in listing and "Meine Aufträge" in listing
    token = re.search(r'name="_csrf" value="([0-9a-f]+)"', listing).group(1)  # type: ignore[union-attr]
    response = client.post("/entwuerfe", data={"_csrf": token, "start": f"auftrag:{job}"})
    assert response.status_code == 200
    assert "Die Freigabe aus der Vorlage wurde entfernt" in response.text
    draft = response.url.path.rsplit("/", 1)[-1]
    copied = jsontext.parse(client.get(f"/entwuerfe/{draft}/export").text)
    data.pop("freigabe")
    assert copied == data
    # someone else's job cannot be copied
    client.cookies.clear()
    other = login(client, "sb")
    refused = client.post("/entwuerfe", data={"_csrf": other, "start": f"auftrag:{job}"})
    assert refused.status_code == 400 and "nicht gefunden" in refused.text
