"""The pages without a browser: round trips, CSRF, conflicts, uploads, the seal right."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from docgen.settings import Settings
from docgen.web import jsontext
from docgen.web.formparse import strip_freigabe
from tests.conftest import EXAMPLES
from tests.web.conftest import csrf_of, login
from tests.web.formsim import form_fields


def _new(client: TestClient, token: str, **extra: str) -> str:
    response = client.post("/entwuerfe", data={"_csrf": token, **extra}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("?")[0].rsplit("/", 1)[-1]


def _import(client: TestClient, token: str, path: Path) -> str:
    response = client.post("/entwuerfe", data={"_csrf": token},
                           files={"json": (path.name, path.read_bytes(), "application/json")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("?")[0].rsplit("/", 1)[-1]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_example_round_trip_is_decimal_exact(client: TestClient, example: Path) -> None:
    token = login(client, "sb")
    draft = _import(client, token, example)
    page = client.get(f"/entwuerfe/{draft}")
    fields = form_fields(page.text)
    saved = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "speichern"})
    assert saved.status_code in (200, 422)
    exported = jsontext.parse(client.get(f"/entwuerfe/{draft}/export").text)
    original = jsontext.parse(example.read_text(encoding="utf-8"))
    strip_freigabe(original)  # a draft never carries freigabe: "Freigeben und siegeln" sets it
    assert exported == original
    assert _types(exported) == _types(original)


def _types(value: object) -> object:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def test_german_money_is_exact(client: TestClient) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="verwendungsnachweis", start="beispiel")
    fields = form_fields(client.get(f"/entwuerfe/{draft}").text)
    money = next(k for k in fields if k.startswith("_typ:")).removeprefix("_typ:")
    fields[money] = ["1.150"]
    client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "speichern"})
    exported = client.get(f"/entwuerfe/{draft}/export").text
    assert re.search(r"\b1150\b", exported)
    fields = form_fields(client.get(f"/entwuerfe/{draft}").text)
    fields[money] = ["1.234,56"]
    fields["_version"] = [re.search(r'name="_version" value="(\d+)"', client.get(f"/entwuerfe/{draft}").text)
                          .group(1)]  # type: ignore[union-attr]
    client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "speichern"})
    assert "1234.56" in client.get(f"/entwuerfe/{draft}/export").text


def test_errors_beside_fields_and_in_summary(client: TestClient) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="beschlussvorlage", start="leer")
    fields = form_fields(client.get(f"/entwuerfe/{draft}").text)
    response = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "speichern"})
    assert response.status_code == 422
    assert 'id="zusammenfassung"' in response.text and 'href="#f-vorlage-betreff"' in response.text
    assert re.search(r'id="e-vorlage-betreff"[^>]*>.*Pflicht', response.text) or "fehlt" in response.text
    assert 'aria-invalid="true"' in response.text


def test_rows_add_remove_without_javascript(client: TestClient) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="beschlussvorlage", start="beispiel")
    fields = form_fields(client.get(f"/entwuerfe/{draft}").text)
    rows = int(fields["_anzahl:/beratungsfolge"][0])
    added = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "neu:/beratungsfolge"})
    assert f"Beratung {rows + 1} von {rows + 1}" in added.text
    assert "autofocus" in added.text
    fields = form_fields(added.text)
    removed = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": f"weg:/beratungsfolge/{rows}"})
    assert f"Beratung {rows} von {rows}" in removed.text


def test_second_tab_gets_conflict(client: TestClient) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="beschlussvorlage", start="beispiel")
    tab1 = form_fields(client.get(f"/entwuerfe/{draft}").text)
    tab2 = dict(tab1)
    tab1["/vorlage/betreff"] = ["Erster Tab"]
    assert client.post(f"/entwuerfe/{draft}", data={**tab1, "_aktion": "speichern"}).status_code == 200
    tab2["/vorlage/betreff"] = ["Zweiter Tab"]
    response = client.post(f"/entwuerfe/{draft}", data={**tab2, "_aktion": "speichern"})
    assert response.status_code == 409 and "Konflikt" in response.text
    assert "Erster Tab" in client.get(f"/entwuerfe/{draft}/export").text
    live = client.post(f"/entwuerfe/{draft}/pruefen", data=tab2)
    assert live.status_code == 409


def test_csrf_and_origin(client: TestClient) -> None:
    token = login(client, "sb")
    assert client.post("/entwuerfe", data={"dokumentart": "beschlussvorlage"}).status_code == 403
    foreign = client.post("/entwuerfe", data={"_csrf": token, "dokumentart": "beschlussvorlage"},
                          headers={"Origin": "http://boese.example"})
    assert foreign.status_code == 403
    cross = client.post("/entwuerfe", data={"_csrf": token, "dokumentart": "beschlussvorlage"},
                        headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert _new(client, token, dokumentart="beschlussvorlage")


def test_import_strips_freigabe(client: TestClient) -> None:
    token = login(client, "sb")
    response = client.post("/entwuerfe", data={"_csrf": token}, files={
        "json": ("x.json", (EXAMPLES / "beschlussvorlage.json").read_bytes(), "application/json")})
    assert "Freigabe" in response.text and "entfernt" in response.text
    draft = response.url.path.rsplit("/", 1)[-1]
    assert "freigabe" not in client.get(f"/entwuerfe/{draft}/export").text


def test_sachbearbeitung_cannot_seal(client: TestClient, settings: Settings) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="beschlussvorlage", start="beispiel")
    page = client.get(f"/entwuerfe/{draft}").text
    assert "Freigeben und siegeln" not in page
    fields = form_fields(page)
    before = sorted(settings.outbox.iterdir())
    response = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "siegeln"})
    assert response.status_code == 403
    assert sorted(settings.outbox.iterdir()) == before


HOSTILE = {
    "../../x.pdf": b"%PDF-1.4\n%%EOF\n",
    "..\\..\\x.pdf": b"%PDF-1.4\n%%EOF\n",
    "/etc/x.pdf": b"nicht einmal ein PDF",
    "a\x00b.pdf": b"%PDF-1.4\n",
}


def test_hostile_uploads_stay_in_the_draft(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="beschlussvorlage", start="beispiel")
    before = {p for p in tmp_path.rglob("*")}
    for name, content in HOSTILE.items():
        fields = form_fields(client.get(f"/entwuerfe/{draft}").text)
        if int(fields.get("_anzahl:/anlagen", ["0"])[0]) == 0:
            page = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "neu:/anlagen"})
            fields = form_fields(page.text)
        fields["/anlagen/0/titel"] = ["Anlage"]
        fields["_art:/anlagen/0"] = ["datei"]
        response = client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "speichern"},
                               files={"_datei:/anlagen/0": (name, io.BytesIO(content), "application/pdf")})
        assert response.status_code == 422, name
        assert "/anlagen/0/datei" in response.text  # the library's message, at the upload field
    folder = settings.state_dir / "web" / "entwuerfe" / draft
    new = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_relative_to(folder) for p in new), sorted(map(str, new))
    assert all(re.fullmatch(r"anlage-[0-9a-f]{12}\.pdf", p.name) for p in (folder / "anlagen").iterdir())
    assert not (tmp_path / "x.pdf").exists()


def test_only_own_drafts(client: TestClient) -> None:
    token = login(client, "sb")
    draft = _new(client, token, dokumentart="beschlussvorlage")
    client.cookies.clear()
    login(client, "fg")
    assert client.get(f"/entwuerfe/{draft}").status_code == 404
    assert client.get("/verwaltung").status_code == 403


def test_login_required_and_admin_view(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).status_code == 303
    bad = client.post("/anmelden", data={"name": "sb", "passwort": "falsch-falsch", "weiter": "/"})
    assert bad.status_code == 401 and "falsch" in bad.text
    login(client, "ad")
    page = client.get("/verwaltung")
    assert page.status_code == 200 and "Posteingang" in page.text
    assert csrf_of(page.text)
