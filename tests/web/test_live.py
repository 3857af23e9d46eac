"""With real LibreOffice: preview (ENTWURF, never sealed), seal by role freigabe, API job."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from starlette.testclient import TestClient

from docgen.settings import Settings
from docgen.web.service import Service
from tests.conftest import EXAMPLES
from tests.web.conftest import basic, login
from tests.web.formsim import form_fields

pytestmark = pytest.mark.slow
JSON = {"Content-Type": "application/json"}


def _example() -> dict[str, object]:
    data: dict[str, object] = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    data.pop("anlagen", None)
    return data


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_gesund(live_client: TestClient) -> None:
    response = live_client.get("/gesund")
    assert response.status_code == 200, response.text


def test_api_preview_is_draft_even_with_freigabe(live_client: TestClient) -> None:
    response = live_client.post("/api/vorschau", content=json.dumps(_example()).encode(),
                                headers={**JSON, **basic("sb")})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "ENTWURF" in _text(response.content)
    assert b"/ByteRange" not in response.content  # never sealed


def test_api_job_sealed_by_freigabe_and_verified(live_client: TestClient, warm: tuple[Settings, Service]) -> None:
    response = live_client.post("/api/auftraege", content=json.dumps(_example()).encode(),
                                headers={**JSON, **basic("fg")})
    assert response.status_code == 201, response.text
    job = response.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = live_client.get(f"/api/auftraege/{job}", headers=basic("fg")).json()
        if state["zustand"] in ("fertig", "fehlgeschlagen"):
            break
        time.sleep(0.5)
    assert state["zustand"] == "fertig", state
    assert state["ergebnis"]["gesiegelt"] is True
    assert state["ergebnis"]["pruefung"]["gueltig"] is True
    assert state["gesiegelt_von"] == "fg"
    receipt = json.loads((warm[0].outbox / state["ergebnis"]["beleg"]).read_text(encoding="utf-8"))
    assert receipt["siegel"]["gesiegelt_von"] == "fg"  # the receipt records who sealed
    paket = live_client.get(f"/api/auftraege/{job}/paket", headers=basic("fg"))
    assert paket.status_code == 200 and paket.content.startswith(b"%PDF")
    assert live_client.get(f"/api/auftraege/{job}", headers=basic("sb")).status_code == 404


def test_form_preview_and_seal(live_client: TestClient) -> None:
    token = login(live_client, "fg")
    created = live_client.post("/entwuerfe", data={"_csrf": token, "dokumentart": "beschlussvorlage",
                                                   "start": "beispiel"})
    draft = created.url.path.rsplit("/", 1)[-1]
    fields = form_fields(created.text)
    preview = live_client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "vorschau"})
    assert preview.status_code == 200 and "ENTWURF" in preview.text
    pdf = live_client.get(f"/entwuerfe/{draft}/vorschau.pdf")
    assert pdf.status_code == 200 and "ENTWURF" in _text(pdf.content)
    fields = form_fields(live_client.get(f"/entwuerfe/{draft}").text)
    sealed = live_client.post(f"/entwuerfe/{draft}", data={**fields, "_aktion": "siegeln",
                                                           "_freigabe_funktion": "Dezernentin"})
    assert "/auftraege/" in str(sealed.url)
    deadline = time.monotonic() + 180
    while "läuft" in sealed.text or "wartet" in sealed.text:
        assert time.monotonic() < deadline
        time.sleep(0.5)
        sealed = live_client.get(sealed.url.path)
    assert "GÜLTIG" in sealed.text and "gesiegelt von: fg" in sealed.text, sealed.text
