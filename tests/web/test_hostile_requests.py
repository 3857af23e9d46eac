"""Hostile and broken requests: deep JSON, unreadable bodies and files, odd row actions, stray uploads.

Each answer is the exact status with a German message (the library's own where it has one), never
a 500; files on disk are counted where a request could leave some behind.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from docgen.settings import Settings
from docgen.web.app import create_app
from docgen.web.service import Service
from tests.conftest import EXAMPLES
from tests.web.conftest import basic, login, replace
from tests.web.formsim import form_fields

JSON = {"Content-Type": "application/json"}
DEEP = "[" * 2000 + "]" * 2000


def _text(response_text: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", response_text))


def _version(client: TestClient, draft: str) -> str:
    match = re.search(r'name="_version" value="(\d+)"', client.get(f"/entwuerfe/{draft}").text)
    assert match
    return match.group(1)


def _new(client: TestClient, token: str, start: str = "leer") -> str:
    response = client.post("/entwuerfe", data={"_csrf": token, "dokumentart": "beschlussvorlage", "start": start},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("?")[0].rsplit("/", 1)[-1]


def _import(client: TestClient, token: str, content: bytes) -> tuple[int, str]:
    """Status and text (German, unescaped) of importing ``content`` as ``import.json``."""
    response = client.post("/entwuerfe", data={"_csrf": token},
                           files={"json": ("import.json", content, "application/json")}, follow_redirects=False)
    return response.status_code, _text(response.text)


def _drafts(settings: Settings) -> list[Path]:
    root = settings.state_dir / "web" / "entwuerfe"
    return sorted(root.iterdir()) if root.is_dir() else []


def _example() -> dict[str, object]:
    data = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    data.pop("freigabe", None)
    data.pop("anlagen", None)
    return data  # type: ignore[no-any-return]


# --- A/B: the API body ------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "reason"), [
    (b'{"a":' + DEEP.encode() + b"}", "die Datei ist zu tief verschachtelt."),
    (b"{kaputt", "Zeile 1, Spalte 2: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet)."),
    (b"", "die Datei ist leer (erwartet ein JSON-Objekt)."),
    ('{"dokumentart": "beschlussvorlage"}'.encode("utf-16"),
     "die Datei ist UTF-16-kodiert; erwartet wird UTF-8. Bitte als „UTF-8“ speichern."),
    (b'{"a": "\xff"}', "Zeile 1: die Datei ist nicht UTF-8-kodiert (vermutlich Windows-1252). Bitte im Editor "
                       "als „UTF-8“ speichern."),
], ids=["tief", "syntax", "leer", "utf16", "cp1252"])
def test_unreadable_api_body_is_400_with_the_library_reason(client: TestClient, body: bytes, reason: str) -> None:
    response = client.post("/api/pruefen", content=body, headers={**JSON, **basic("sb")})
    assert response.status_code == 400
    fehler = response.json()["fehler"]
    assert fehler.startswith("Der Inhalt der Anfrage ist kein lesbares JSON: " + reason)
    assert "Expecting" not in fehler and "codec" not in fehler


def test_long_number_in_api_body_is_a_problem_at_its_field(client: TestClient) -> None:
    body = b'{"dokumentart": "beschlussvorlage", "x": ' + b"1" * 5000 + b"}"
    response = client.post("/api/pruefen", content=body, headers={**JSON, **basic("sb")})
    assert response.status_code == 200
    assert {"pfad": "/x", "code": "json.zahl",
            "meldung": "die Zahl 111111111111…111111 (5000 Zeichen) ist zu groß (höchstens 15 Stellen vor dem "
                       "Komma)."} in response.json()["probleme"]


def test_freigabe_deep_inside_a_job_is_found(client: TestClient, settings: Settings) -> None:
    data = _example()
    data["notiz"] = "PLATZ"
    body = json.dumps(data).replace('"PLATZ"', "[" * 400 + '{"freigabe": {}}' + "]" * 400).encode()
    response = client.post("/api/auftraege", content=body, headers={**JSON, **basic("sb")})
    assert response.status_code == 403
    assert response.json()["fehler"] == ("Eingaben mit „freigabe“ darf nur die Rolle „freigabe“ einreichen; es "
                                         "wurde nichts gespeichert.")


# --- A/B: importing a file --------------------------------------------------------------------------

def test_import_refuses_deep_nesting(client: TestClient, settings: Settings) -> None:
    token = login(client, "sb")
    data = _example()
    data["anlagen"] = [{"titel": "T", "dokument": {"dokumentart": "sachbericht", "x": "PLATZ"}}]
    inner = json.dumps(data).replace('"PLATZ"', "[" * 400 + "]" * 400).encode()
    status, text = _import(client, token, inner)
    assert status == 400
    assert ("Die Datei „import.json“ kann nicht importiert werden: die Datei ist zu tief verschachtelt (mehr als "
            "64 Ebenen). Bitte die Datei korrigieren.") in text
    status, text = _import(client, token, b'{"a":' + DEEP.encode() + b"}")
    assert status == 400
    assert ("Die Datei „import.json“ kann nicht importiert werden: die Datei ist zu tief verschachtelt. Bitte die "
            "Datei korrigieren.") in text
    assert _drafts(settings) == []


@pytest.mark.parametrize(("content", "reason"), [
    (json.dumps({"dokumentart": "beschlussvorlage", "notiz": "x" * 6_000_000}).encode(),
     "die Datei ist 6.0 MB groß; erlaubt sind höchstens 5.0 MB (Einstellung max_input_bytes). Große Inhalte bitte "
     "als PDF-Anlage beifügen."),
    (b"{kaputt", "Zeile 1, Spalte 2: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet). "
                 "Bitte die Datei korrigieren."),
    (b"", "die Datei ist leer (erwartet ein JSON-Objekt). Bitte die Datei korrigieren."),
    ('{"dokumentart": "beschlussvorlage"}'.encode("utf-16"),
     "die Datei ist UTF-16-kodiert; erwartet wird UTF-8. Bitte als „UTF-8“ speichern."),
    (b'{"dokumentart": "beschlussvorlage", "vorlage": {"betreff": "a", "betreff": "b"}}',
     "/vorlage/betreff: das Feld „betreff“ steht in diesem Objekt mehrfach; bitte nur einmal angeben"),
], ids=["6mb", "syntax", "leer", "utf16", "doppelt"])
def test_import_names_why_a_file_is_refused(client: TestClient, settings: Settings, content: bytes,
                                            reason: str) -> None:
    token = login(client, "sb")
    status, text = _import(client, token, content)
    assert status == 400
    assert f"Die Datei „import.json“ kann nicht importiert werden: {reason}" in text
    assert _drafts(settings) == []


# --- C: a JSON field of the form ---------------------------------------------------------------------

@pytest.mark.parametrize(("value", "reason"), [
    ("1" * 5000, "die Zahl 111111111111…111111 (5000 Zeichen) ist zu groß (höchstens 15 Stellen vor dem Komma)."),
    (DEEP, "die Datei ist zu tief verschachtelt. Bitte korrigieren."),
    ("{kaputt", "Zeile 1, Spalte 2: kein gültiges JSON (Feldname in doppelten Anführungszeichen erwartet). "
                "Bitte korrigieren."),
], ids=["zahl", "tief", "syntax"])
def test_json_field_gets_the_library_message(client: TestClient, value: str, reason: str) -> None:
    token = login(client, "sb")
    draft = _new(client, token)
    fields = {"_csrf": token, "_version": _version(client, draft), "_anzahl:/anlagen": "1",
              "_art:/anlagen/0": "dokument", "/anlagen/0/titel": "T", "/anlagen/0/dokument": value,
              "_aktion": "speichern"}
    response = client.post(f"/entwuerfe/{draft}", data=fields)
    assert response.status_code == 422
    assert reason in _text(response.text)
    fields["_version"] = _version(client, draft)
    live = client.post(f"/entwuerfe/{draft}/pruefen", data=fields)
    assert live.status_code == 200
    shown = reason.removesuffix(" Bitte korrigieren.")
    assert any(p["pfad"] == "/anlagen/0/dokument" and p["meldung"].startswith(shown) for p in live.json()["probleme"])


# --- D: row actions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", [
    "weg:/beratungsfolge/" + "9" * 5000, "hoch:/beratungsfolge/²", "weg:/beratungsfolge/١",
    "neu:/beratungsfolge/" + "1" * 5000 + "/x", "neu:" + "/x" * 1000, "neu:/vorlage/betreff",
    "neu:/beratungsfolge/7/x",
], ids=["riesig", "hochgestellt", "arabisch", "neu-riesig", "neu-tief", "neu-kein-liste", "neu-keine-zeile"])
def test_odd_row_actions_change_nothing(client: TestClient, settings: Settings, action: str) -> None:
    token = login(client, "sb")
    draft = _new(client, token, start="beispiel")
    before = client.get(f"/entwuerfe/{draft}/export").text
    fields = form_fields(client.get(f"/entwuerfe/{draft}").text)
    response = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": action}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/entwuerfe/{draft}?fokus="
    assert client.get(f"/entwuerfe/{draft}/export").text == before
    stored = settings.state_dir / "web" / "entwuerfe" / draft / "entwurf.json"
    assert stored.stat().st_size < 20_000


def test_new_row_in_a_list_the_schema_has(client: TestClient) -> None:
    token = login(client, "sb")
    draft = _new(client, token)
    fields = {"_csrf": token, "_version": _version(client, draft), "_aktion": "neu:/auswirkungen/weitere"}
    response = client.post(f"/entwuerfe/{draft}", data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/entwuerfe/{draft}?fokus=/auswirkungen/weitere/0"


# --- E: uploads ---------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n" + b"x" * 1000


def _anlagen(settings: Settings, draft: str) -> list[str]:
    return sorted(p.name for p in (settings.state_dir / "web" / "entwuerfe" / draft / "anlagen").iterdir())


def test_uploads_with_a_stale_version_leave_no_files(client: TestClient, settings: Settings) -> None:
    token = login(client, "sb")
    draft = _new(client, token)
    files = [(f"_datei:/gibt/es/nicht/{i}", ("a.pdf", PDF, "application/pdf")) for i in range(59)]
    files.append(("_datei:/anlagen/0", ("a.pdf", PDF, "application/pdf")))
    response = client.post(f"/entwuerfe/{draft}", data={"_csrf": token, "_version": "0", "_anzahl:/anlagen": "1",
                                                        "_art:/anlagen/0": "datei", "/anlagen/0/titel": "T"},
                           files=files)
    assert response.status_code == 409
    assert "Konflikt" in response.text
    assert _anlagen(settings, draft) == []


def test_uploads_only_for_rows_and_removed_with_their_row(client: TestClient, settings: Settings) -> None:
    token = login(client, "sb")
    draft = _new(client, token)
    files = [("_datei:/anlagen/0", ("erste.pdf", PDF, "application/pdf")),
             ("_datei:/anlagen/1", ("keine-zeile.pdf", PDF, "application/pdf")),
             ("_datei:/gibt/es/nicht/0", ("fremd.pdf", PDF, "application/pdf"))]
    fields = {"_csrf": token, "_version": _version(client, draft), "_anzahl:/anlagen": "1",
              "_art:/anlagen/0": "datei", "/anlagen/0/titel": "T", "_aktion": "speichern"}
    response = client.post(f"/entwuerfe/{draft}", data=fields, files=files)
    assert response.status_code == 422
    stored = _anlagen(settings, draft)
    assert len(stored) == 1 and re.fullmatch(r"anlage-[0-9a-f]{12}\.pdf", stored[0])
    exported = json.loads(client.get(f"/entwuerfe/{draft}/export").text)
    assert exported["anlagen"][0]["datei"] == f"anlagen/{stored[0]}"
    # a new file for the row replaces the old one on disk
    fields["_version"] = _version(client, draft)
    fields["/anlagen/0/datei"] = f"anlagen/{stored[0]}"
    second = [("_datei:/anlagen/0", ("zweite.pdf", PDF, "application/pdf"))]
    assert client.post(f"/entwuerfe/{draft}", data=fields, files=second).status_code == 422
    replaced = _anlagen(settings, draft)
    assert len(replaced) == 1 and replaced != stored
    # removing the row removes the file
    fields["_version"] = _version(client, draft)
    fields["/anlagen/0/datei"] = f"anlagen/{replaced[0]}"
    fields["_aktion"] = "weg:/anlagen/0"
    assert client.post(f"/entwuerfe/{draft}", data=fields, follow_redirects=False).status_code == 303
    assert _anlagen(settings, draft) == []
    meta = json.loads((settings.state_dir / "web" / "entwuerfe" / draft / "meta.json").read_text(encoding="utf-8"))
    assert meta["anlagen"] == {}


@pytest.fixture
def few_anlagen(settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    narrow = replace(settings, max_anlagen=2)
    service = Service(narrow)
    with TestClient(create_app(narrow, service), base_url="http://testserver") as test_client:
        yield test_client, narrow
    service.executor.shutdown()


def test_uploads_are_capped_at_max_anlagen(few_anlagen: tuple[TestClient, Settings]) -> None:
    client, settings = few_anlagen
    token = login(client, "sb")
    draft = _new(client, token)
    fields = {"_csrf": token, "_version": _version(client, draft), "_anzahl:/anlagen": "3", "_aktion": "speichern"}
    for i in range(3):
        fields |= {f"_art:/anlagen/{i}": "datei", f"/anlagen/{i}/titel": f"T{i}"}
    files = [(f"_datei:/anlagen/{i}", (f"{i}.pdf", PDF, "application/pdf")) for i in range(3)]
    response = client.post(f"/entwuerfe/{draft}", data=fields, files=files)
    assert response.status_code == 422
    assert "3 Anlagen; erlaubt sind höchstens 2 (Einstellung max_anlagen)." in _text(response.text)
    assert len(_anlagen(settings, draft)) == 2
