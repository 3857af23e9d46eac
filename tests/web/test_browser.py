"""Real Chromium (Selenium + Debian's chromium-driver): keyboard use, live messages, screenshots."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.webdriver import WebDriver

from docgen.settings import Settings
from docgen.web.app import create_app
from docgen.web.service import Service
from tests.web.conftest import PASSWORT, make_settings

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = make_settings(tmp_path_factory.mktemp("browser"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = Service(settings)
    config = uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.skip("Debian chromium und chromium-driver sind nicht installiert")
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1280,1600", "--lang=de-DE"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(executable_path=str(DRIVER)), options=options)
    yield driver
    driver.quit()


def _shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"web-{name}.png"))


def test_keyboard_login_form_errors_and_live_check(server: tuple[str, Settings], browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base, _settings = server
    d = browser
    d.get(base + "/")
    d.find_element(By.ID, "name").send_keys("sb")
    d.find_element(By.ID, "passwort").send_keys(PASSWORT + Keys.ENTER)
    WebDriverWait(d, 10).until(lambda drv: "Meine Entwürfe" in drv.title)
    _shot(d, "liste")
    d.find_element(By.ID, "start-leer").send_keys(Keys.SPACE)
    d.find_element(By.CSS_SELECTOR, "form[action='/entwuerfe'] button.knopf").send_keys(Keys.ENTER)
    WebDriverWait(d, 10).until(lambda drv: "/entwuerfe/" in drv.current_url)
    _shot(d, "formular-leer")
    d.find_element(By.CSS_SELECTOR, "button[value='speichern']").send_keys(Keys.ENTER)
    WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.CSS_SELECTOR, "#zusammenfassung a"))
    assert d.switch_to.active_element.get_attribute("id") == "zusammenfassung"
    _shot(d, "formular-fehler")
    link = d.find_element(By.CSS_SELECTOR, "#zusammenfassung a[href='#f-vorlage-betreff']")
    link.send_keys(Keys.ENTER)
    assert d.switch_to.active_element.get_attribute("id") == "f-vorlage-betreff"
    d.switch_to.active_element.send_keys("Neuer Betreff" + Keys.TAB)
    started = time.monotonic()
    WebDriverWait(d, 10).until(
        lambda drv: drv.find_element(By.ID, "e-vorlage-betreff").get_attribute("hidden") is not None)
    assert time.monotonic() - started < 3
    _shot(d, "formular-live")
    if shutil.which("true"):
        assert "Gespeichert" in d.find_element(By.ID, "live").text
