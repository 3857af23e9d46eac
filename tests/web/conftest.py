"""Fixtures for docgen web: settings in a temporary tree, users, the app with or without LibreOffice."""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from docgen.settings import Settings
from docgen.web import users
from docgen.web.app import create_app
from docgen.web.service import Service
from tests.conftest import SAMPLE_KOERPERSCHAFT

PASSWORT = "geheim-genug-123"
ROLLEN = {"sb": "sachbearbeitung", "fg": "freigabe", "ad": "admin"}


def make_settings(root: Path) -> Settings:
    for name in ("inbox", "outbox", "state"):
        (root / name).mkdir(parents=True, exist_ok=True)
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", state_dir=root / "state", workers=1,
                        koerperschaft=SAMPLE_KOERPERSCHAFT)
    for name, rolle in ROLLEN.items():
        users.anlegen(settings, name, rolle, PASSWORT)
    return settings


def basic(name: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{PASSWORT}".encode()).decode()}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@contextlib.contextmanager
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The app without LibreOffice (checks, pages, auth); previews and jobs need ``live_client``."""
    service = Service(settings)
    with TestClient(create_app(settings, service), base_url="http://testserver") as test_client:
        yield test_client
    service.executor.shutdown()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with app_client(settings) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Service]]:
    """One warm LibreOffice for a test module."""
    settings = make_settings(tmp_path_factory.mktemp("web"))
    with Service(settings) as service:
        yield settings, service


@pytest.fixture
def live_client(warm: tuple[Settings, Service]) -> Iterator[TestClient]:
    settings, service = warm
    with TestClient(create_app(settings, service), base_url="http://testserver") as test_client:
        yield test_client


def login(client: TestClient, name: str) -> str:
    """Log in through the form; returns a CSRF token of the session."""
    response = client.post("/anmelden", data={"name": name, "passwort": PASSWORT, "weiter": "/"},
                           follow_redirects=True)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf" value="([0-9a-f]+)"', html)
    assert match, "kein CSRF-Feld auf der Seite"
    return match.group(1)


@pytest.fixture
def as_user(client: TestClient) -> Callable[[str], str]:
    return lambda name: login(client, name)


__all__ = ["basic", "login", "make_settings", "replace"]
