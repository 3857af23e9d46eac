"""Real Chromium (Selenium + Debian's chromium-driver) against a real server with a warm LibreOffice.

axe-core (WCAG 2.1 A/AA) on every state a clerk sees, a keyboard-only pass through the form, live
messages, and "In den Posteingang" with a real ``docgen watch`` daemon. Screenshots of each state go
to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from docgen.settings import Settings
from docgen.web import jsontext
from docgen.web.app import create_app
from docgen.web.service import Service
from tests.conftest import EXAMPLES, clean_env, missing_part
from tests.web.conftest import PASSWORT, make_settings

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

# axe-core is a test dependency fetched by npm into pytest's cache, checked against this integrity
# value (npm's dist.integrity of the tarball), never vendored.
AXE_VERSION = "4.10.3"
AXE_INTEGRITY = "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def axe_script(request: pytest.FixtureRequest) -> str:
    folder = Path(request.config.cache.mkdir("axe-core"))  # type: ignore[union-attr]
    tarball = folder / f"axe-core-{AXE_VERSION}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            missing_part("npm fehlt: axe-core kann nicht geholt werden")
        done = subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(folder)],
                              cwd=folder, capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not tarball.exists():
            missing_part(f"npm pack axe-core@{AXE_VERSION} ging nicht: {done.stderr.strip()[-300:]}")
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != AXE_INTEGRITY:
        tarball.unlink()
        raise AssertionError(f"axe-core {AXE_VERSION}: Prüfsumme {digest} stimmt nicht mit der festgelegten überein")
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode("utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = make_settings(tmp_path_factory.mktemp("browser"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Service(settings) as service:  # a warm LibreOffice for the previews
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
        missing_part("Debian chromium und chromium-driver sind nicht installiert")
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1280,1400", "--lang=de-DE"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(executable_path=str(DRIVER)), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def shot(driver: WebDriver, name: str, full: bool = True) -> None:
    """A screenshot of the whole page (the window grows to the page's height for it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = driver.get_window_size()
    if full:
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.set_window_size(size["width"], min(max(height, 600), 8000))
    driver.save_screenshot(str(ARTIFACTS / f"web-{name}.png"))
    driver.set_window_size(size["width"], size["height"])


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = 20) -> Any:
    return WebDriverWait(driver, timeout).until(condition)


def login(d: WebDriver, base: str, name: str) -> None:
    d.delete_all_cookies()
    d.get(base + "/anmelden")
    d.find_element(By.ID, "name").send_keys(name)
    d.find_element(By.ID, "passwort").send_keys(PASSWORT + Keys.ENTER)
    wait(d, lambda drv: "Meine Entwürfe" in drv.title)


def axe(d: WebDriver, script: str, state: str) -> None:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is; 0 violations, else name them."""
    result = axe_violations(d, script)
    assert result == [], f"{state}: " + json.dumps(result, ensure_ascii=False, indent=1)


def axe_violations(d: WebDriver, script: str) -> list[dict[str, Any]]:
    d.execute_script(script)
    return d.execute_async_script(  # type: ignore[no-any-return]
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, iframes: false, resultTypes: ['violations']})"
        ".then(function (r) { done(r.violations.map(function (v) { return {id: v.id, impact: v.impact, "
        "help: v.help, nodes: v.nodes.slice(0, 5).map(function (n) { return n.target.join(' ') + ': ' + "
        "n.failureSummary; })}; })); }, function (e) { done([{id: 'axe-fehler', help: String(e), nodes: []}]); });",
        AXE_TAGS)


# --- axe on every state ---------------------------------------------------------------------------

def _new_draft(d: WebDriver, base: str, *, beispiel: bool, art: str = "beschlussvorlage") -> str:
    d.get(base + "/")
    d.find_element(By.CSS_SELECTOR, f"#dokumentart option[value='{art}']").click()
    d.find_element(By.ID, "start-beispiel" if beispiel else "start-leer").click()
    d.find_element(By.CSS_SELECTOR, "form[action='/entwuerfe'] button.knopf").click()
    wait(d, lambda drv: "/entwuerfe/" in drv.current_url)
    return d.current_url.split("?")[0]


def test_axe_on_every_state(server: tuple[str, Settings], browser: WebDriver, axe_script: str) -> None:
    base, _settings = server
    d = browser
    d.delete_all_cookies()
    d.get(base + "/anmelden")
    shot(d, "anmelden")
    axe(d, axe_script, "Anmeldung")
    # the check can fail: a field without a label and a faint text are found
    d.execute_script("var i = document.createElement('input'); i.id = 'ohne-label'; document.forms[0].append(i);"
                     "var p = document.createElement('p'); p.textContent = 'blass'; p.style.color = '#ccc';"
                     "document.querySelector('main').append(p);")
    assert {v["id"] for v in axe_violations(d, axe_script)} >= {"label", "color-contrast"}
    login(d, base, "sb")
    url = _new_draft(d, base, beispiel=False)
    shot(d, "formular-leer")
    axe(d, axe_script, "leeres Formular")
    d.find_element(By.CSS_SELECTOR, "button[value='speichern']").click()
    wait(d, lambda drv: drv.find_elements(By.CSS_SELECTOR, "#zusammenfassung a"))
    shot(d, "formular-fehler")
    axe(d, axe_script, "Formular mit Fehlern")
    d.get(url)
    d.find_element(By.CSS_SELECTOR, "button[value='neu:/anlagen']").click()
    wait(d, lambda drv: drv.find_elements(By.ID, "f-anlagen-0-upload"))
    d.find_element(By.ID, "b-anlagen-0").location_once_scrolled_into_view  # noqa: B018 (scrolls)
    shot(d, "anlagen", full=False)
    axe(d, axe_script, "Anlagen (Hochladen)")
    d.get(base + "/")
    shot(d, "liste")
    axe(d, axe_script, "Meine Entwürfe")
    url = _new_draft(d, base, beispiel=True, art="sachbericht")
    d.get(url + "/vorschau")
    wait(d, lambda drv: drv.find_elements(By.CSS_SELECTOR, "iframe.pdf"))
    time.sleep(1)
    shot(d, "vorschau", full=False)
    axe(d, axe_script, "Vorschau")
    login(d, base, "ad")
    d.get(base + "/verwaltung")
    shot(d, "verwaltung")
    axe(d, axe_script, "Verwaltung (Hot-Folder)")
    login(d, base, "fg")
    url = _new_draft(d, base, beispiel=True, art="sachbericht")
    shot(d, "formular-beispiel-freigabe")
    axe(d, axe_script, "Formular mit Beispiel (Rolle freigabe)")


# --- keyboard only --------------------------------------------------------------------------------

def _focus_visible(d: WebDriver) -> bool:
    return bool(d.execute_script(
        "var s = getComputedStyle(document.activeElement);"
        "return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';"))


def _active(d: WebDriver) -> WebElement:
    return d.switch_to.active_element


def _press(d: WebDriver, *keys: str) -> None:
    """Keys as the keyboard sends them, to whatever has the focus (the actions API, not an element)."""
    actions = ActionChains(d)
    for key in keys:
        if key.startswith(Keys.CONTROL) and len(key) == 2:
            actions.key_down(Keys.CONTROL).send_keys(key[1]).key_up(Keys.CONTROL)
        elif key.startswith(Keys.SHIFT) and len(key) == 2:
            actions.key_down(Keys.SHIFT).send_keys(key[1]).key_up(Keys.SHIFT)
        else:
            actions.send_keys(key)
    actions.perform()


def _tab_to(d: WebDriver, matches: Callable[[WebElement], bool], what: str, back: bool = False,
            limit: int = 400) -> WebElement:
    """Press Tab (or Shift+Tab) until the focused element matches; the focus must be visible there."""
    for _n in range(limit):
        _press(d, (Keys.SHIFT + Keys.TAB) if back else Keys.TAB)
        element = _active(d)
        if matches(element):
            assert _focus_visible(d), f"Fokus nicht sichtbar auf {what}"
            return element
    raise AssertionError(f"{what} mit der Tabulatortaste nicht erreicht")


def _attr(name: str, value: str) -> Callable[[WebElement], bool]:
    return lambda el: el.get_attribute(name) == value


def test_keyboard_only_vorlage_from_example(server: tuple[str, Settings], browser: WebDriver) -> None:
    base, _settings = server
    d = browser
    d.delete_all_cookies()
    d.get(base + "/")
    wait(d, lambda drv: "Anmelden" in drv.title)
    _tab_to(d, _attr("class", "sprunglink"), "Sprunglink")
    _tab_to(d, _attr("id", "name"), "Benutzername")
    _press(d, "sb")
    _tab_to(d, _attr("id", "passwort"), "Passwort")
    _press(d, PASSWORT + Keys.ENTER)
    wait(d, lambda drv: "Meine Entwürfe" in drv.title)
    _tab_to(d, _attr("id", "dokumentart"), "Dokumentart")  # Beschlussvorlage is the first
    _tab_to(d, _attr("id", "start-leer"), "Beginnen mit")
    _press(d, Keys.ARROW_DOWN)  # the radio group's own keys: the next choice, "dem Beispiel"
    assert _active(d).get_attribute("id") == "start-beispiel" and _active(d).is_selected()
    _tab_to(d, lambda el: el.text == "Entwurf anlegen", "Entwurf anlegen")
    _press(d, Keys.ENTER)
    wait(d, lambda drv: "/entwuerfe/" in drv.current_url)
    rows = int(d.find_element(By.NAME, "_anzahl:/beratungsfolge").get_attribute("value") or "0")
    shot(d, "tastatur-1-beispiel")

    # add a Beratung: the focus lands in the new row
    _tab_to(d, _attr("value", "neu:/beratungsfolge"), "Beratung hinzufügen")
    _press(d, Keys.ENTER)
    wait(d, lambda drv: f"Beratung {rows + 1} von {rows + 1}" in drv.page_source)
    wait(d, lambda drv: str(_active(drv).get_attribute("name") or "").startswith(f"/beratungsfolge/{rows}/"))
    assert _focus_visible(d)
    _press(d, "Jugendhilfeausschuss")
    shot(d, "tastatur-2-neue-beratung")
    # and remove it again, with Space on its button
    _tab_to(d, _attr("value", f"weg:/beratungsfolge/{rows}"), "Entfernen: neue Beratung")
    _press(d, Keys.SPACE)
    wait(d, lambda drv: f"Beratung {rows} von {rows}" in drv.page_source)
    assert "Jugendhilfeausschuss" not in d.page_source

    # an error: empty the Betreff and save; the summary takes the focus, its link leads to the field
    d.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    _tab_to(d, _attr("id", "f-vorlage-betreff"), "Betreff")
    _press(d, Keys.CONTROL + "a", Keys.DELETE)
    _tab_to(d, _attr("value", "speichern"), "Speichern und prüfen")
    _press(d, Keys.ENTER)
    wait(d, lambda drv: _active(drv).get_attribute("id") == "zusammenfassung")
    shot(d, "tastatur-3-fehler")
    _tab_to(d, lambda el: el.get_attribute("href", ) is not None
            and str(el.get_attribute("href")).endswith("#f-vorlage-betreff"), "Link in der Fehlerliste")
    _press(d, Keys.ENTER)
    wait(d, lambda drv: _active(drv).get_attribute("id") == "f-vorlage-betreff")
    assert _focus_visible(d)
    _press(d, "Integrationskonzept 2026 – Fortschreibung")
    _tab_to(d, _attr("value", "vorschau"), "Vorschau (ENTWURF)")
    _press(d, Keys.ENTER)
    wait(d, lambda drv: drv.current_url.endswith("/vorschau"), 60)
    assert "ENTWURF" in d.find_element(By.TAG_NAME, "main").text
    _tab_to(d, lambda el: el.text == "PDF herunterladen", "PDF herunterladen")
    pdf = d.execute_async_script(
        "var done = arguments[0]; fetch(document.querySelector('iframe.pdf').src)"
        ".then(function (r) { return r.arrayBuffer().then(function (b) {"
        " done([r.status, r.headers.get('content-type'), b.byteLength]); }); });")
    assert pdf[0] == 200 and pdf[1] == "application/pdf" and pdf[2] > 1000, pdf
    shot(d, "tastatur-4-vorschau", full=False)


def test_live_check_shows_the_library_message(server: tuple[str, Settings], browser: WebDriver) -> None:
    base, _settings = server
    d = browser
    login(d, base, "sb")
    _new_draft(d, base, beispiel=True)
    field = d.find_element(By.ID, "f-vorlage-datum")
    d.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
                     field)
    wait(d, lambda drv: drv.find_element(By.ID, "e-vorlage-datum").get_attribute("hidden") is None, 10)
    assert "Gespeichert" in d.find_element(By.ID, "live").text
    assert d.find_elements(By.CSS_SELECTOR, "#zusammenfassung a[href='#f-vorlage-datum']")
    shot(d, "formular-live")


# --- "In den Posteingang" with the daemon running --------------------------------------------------

def test_posteingang_with_the_daemon_running(server: tuple[str, Settings], browser: WebDriver,
                                            tmp_path: Path) -> None:
    base, settings = server
    env = clean_env(settings.state_dir)
    env.update(DOCGEN_INBOX=str(settings.inbox), DOCGEN_OUTBOX=str(settings.outbox), DOCGEN_STABLE_SECONDS="1",
               DOCGEN_WORKERS="1", DOCGEN_RESCAN_SECONDS="2")
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        daemon = subprocess.Popen([sys.executable, "-m", "docgen", "watch"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        data = jsontext.parse((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
        data.pop("anlagen")
        data.pop("freigabe")
        source = tmp_path / "vorlage.json"
        source.write_text(jsontext.dumps(data), encoding="utf-8")
        d = browser
        login(d, base, "sb")
        d.find_element(By.ID, "json").send_keys(str(source))
        d.find_element(By.CSS_SELECTOR, "form[action='/entwuerfe'] button.knopf").click()
        wait(d, lambda drv: "/entwuerfe/" in drv.current_url)
        before = {p.name for p in settings.outbox.glob("*.pdf")}
        d.find_element(By.CSS_SELECTOR, "button[value='posteingang']").click()
        wait(d, lambda drv: "In den Posteingang gelegt" in drv.page_source)
        shot(d, "posteingang-abgegeben")

        def fertig(drv: WebDriver) -> bool:
            cells = drv.find_elements(By.CSS_SELECTOR, "td.zustand")
            if cells and cells[-1].text.startswith(("fertig", "fehlgeschlagen")):
                return True
            time.sleep(1)
            drv.refresh()
            return False

        wait(d, fertig, 120)
        cell = d.find_elements(By.CSS_SELECTOR, "td.zustand")[-1].text
        assert cell == "fertig", cell + "\n" + log.read_text(encoding="utf-8")
        shot(d, "posteingang-fertig")
        new = {p.name for p in settings.outbox.glob("*.pdf")} - before
        assert len(new) == 1 and next(iter(new)).startswith("web-"), new
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(10)
