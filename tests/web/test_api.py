"""The JSON API: status codes, auth, the library's messages (parity with ``docgen validate``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from docgen.settings import Settings
from tests.conftest import EXAMPLES, clean_env
from tests.web.conftest import basic

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
JSON = {"Content-Type": "application/json"}


def test_gesund_needs_no_login_and_api_needs_it(client: TestClient) -> None:
    assert client.post("/api/pruefen", content=b"{}", headers=JSON).status_code == 401
    response = client.post("/api/pruefen", content=b"{}", headers={**JSON, **basic("sb")})
    assert response.status_code == 200
    wrong = {"Authorization": "Basic " + "c2I6ZmFsc2No"}  # sb:falsch
    assert client.post("/api/pruefen", content=b"{}", headers={**JSON, **wrong}).status_code == 401


def test_pruefen_example_is_valid(client: TestClient) -> None:
    body = (EXAMPLES / "beschlussvorlage.json").read_bytes()
    data = json.loads(body)
    data.pop("anlagen", None)
    response = client.post("/api/pruefen", content=json.dumps(data).encode(), headers={**JSON, **basic("sb")})
    assert response.status_code == 200
    assert response.json()["gueltig"] is True, response.json()


def test_unparsable_body_is_400_and_form_post_is_415(client: TestClient) -> None:
    response = client.post("/api/pruefen", content=b"{kaputt", headers={**JSON, **basic("sb")})
    assert response.status_code == 400
    assert "JSON" in response.json()["fehler"]
    response = client.post("/api/pruefen", data={"a": "b"}, headers=basic("sb"))
    assert response.status_code == 415


def _cli_problems(path: Path, state: Path) -> set[tuple[str, str]]:
    proc = subprocess.run([sys.executable, "-m", "docgen", "validate", str(path)], capture_output=True, text=True,
                          env=clean_env(state), cwd=path.parent, timeout=120)
    found = set()
    for line in proc.stderr.splitlines():
        rest = line.removeprefix(f"{path.name}: ")
        if rest.startswith("/") and ": " in rest:
            pointer, message = rest.split(": ", 1)
            found.add((pointer, message))
        elif line.startswith(f"{path.name}: "):
            found.add(("", rest))
    return found


CASES = [c for c in sorted(CORPUS.glob("bv-*.json")) + sorted(CORPUS.glob("sb-*.json"))
         if "anlage" not in c.name][:14]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_error_parity_with_cli(client: TestClient, case: Path, tmp_path: Path) -> None:
    """Same (path, message) set as ``docgen validate`` for the corpus' schema and rule cases."""
    response = client.post("/api/pruefen", content=case.read_bytes(), headers={**JSON, **basic("sb")})
    if response.status_code == 400:  # not JSON at all: the API says so instead of validating
        return
    api_set = {(p["pfad"], p["meldung"]) for p in response.json()["probleme"]}
    cli_set = _cli_problems(case, tmp_path / "state")
    assert api_set == cli_set


def test_freigabe_without_role_is_403_and_nothing_written(client: TestClient, settings: Settings) -> None:
    data = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    assert "freigabe" in data
    before = sorted(p.name for p in settings.outbox.iterdir())
    jobs = settings.state_dir / "web" / "auftraege"
    before_jobs = sorted(jobs.iterdir()) if jobs.exists() else []
    response = client.post("/api/auftraege", content=json.dumps(data).encode(), headers={**JSON, **basic("sb")})
    assert response.status_code == 403
    assert "freigabe" in response.json()["fehler"]
    assert sorted(p.name for p in settings.outbox.iterdir()) == before
    assert (sorted(jobs.iterdir()) if jobs.exists() else []) == before_jobs


def test_invalid_job_is_422_with_problems(client: TestClient) -> None:
    response = client.post("/api/auftraege", content=(CORPUS / "bv-enum-art.json").read_bytes(),
                           headers={**JSON, **basic("sb")})
    assert response.status_code == 422
    assert response.json()["probleme"]


def test_unknown_job_is_404(client: TestClient) -> None:
    assert client.get("/api/auftraege/0123456789abcdef", headers=basic("sb")).status_code == 404
    assert client.get("/api/auftraege/..%2F..%2Fetc", headers=basic("sb")).status_code == 404


def test_body_over_limit_is_413(settings: Settings, tmp_path: Path) -> None:
    from dataclasses import replace

    from docgen.web.app import create_app
    from docgen.web.service import Service

    small = replace(settings, max_upload_bytes=1000)
    with TestClient(create_app(small, Service(small))) as test_client:
        response = test_client.post("/api/pruefen", content=b"{" + b" " * 5000 + b"}", headers={**JSON, **basic("sb")})
        assert response.status_code == 413
        page = test_client.post("/anmelden", content=b"x" * 5000,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert page.status_code == 413
        assert "zu groß" in page.text


def test_proxy_mode_refuses_direct_connections(settings: Settings) -> None:
    from dataclasses import replace

    from docgen.web.app import create_app
    from docgen.web.service import Service

    proxied = replace(settings, web_auth="proxy", web_proxy_from="10.9.9.9")
    forged = {"X-Remote-User": "mallory", "X-Remote-Groups": "docgen-freigabe", **JSON}
    with TestClient(create_app(proxied, Service(proxied))) as test_client:
        assert test_client.post("/api/pruefen", content=b"{}", headers=forged).status_code == 403
        assert test_client.get("/", headers=forged).status_code == 403
    trusted = replace(settings, web_auth="proxy", web_proxy_from="testclient")
    with TestClient(create_app(trusted, Service(trusted))) as test_client:
        ok = test_client.post("/api/pruefen", content=b"{}", headers=forged)
        assert ok.status_code == 200
        no_group = test_client.post("/api/pruefen", content=b"{}", headers={"X-Remote-User": "x", **JSON})
        assert no_group.status_code == 403
