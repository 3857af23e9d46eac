"""Benchmark: docgen web as a clerk feels it, each figure beside a baseline measured in the same run.

Usage::

    .venv/bin/python bench/web.py [--n 20]

A real server (uvicorn, one warm LibreOffice) and Debian's Chromium (Selenium) on this machine:

- live validation: a change in the browser → the message on screen (browser clock; includes the
  150 ms the page waits for more typing). Baseline: ``POST /api/pruefen`` round trip, same document.
  Target p95 ≤ 300 ms.
- preview: ``GET /entwuerfe/<id>/vorschau.pdf`` of the Beschlussvorlage example, warm pool. Baseline:
  ``api.render_file`` of the same input in-process with the same warm pool. Target p95 ≤ 2 s.
- page weight: the largest form, HTML + CSS + JS gzipped. Baseline: the empty login page, likewise.
  Target ≤ 150 KB.
- server render: ``GET`` of the largest form (loopback, one kept-alive connection). Baseline:
  ``GET /gesund`` on the same connection. Target p95 ≤ 100 ms.

Results: ``bench/results/web.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from docgen import __version__, api
from docgen.settings import Koerperschaft, Settings
from docgen.web import jsontext, users
from docgen.web.app import create_app
from docgen.web.service import Service

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
PASSWORT = "bench-passwort-123"
TARGETS = {"live_ms": 300, "vorschau_ms": 2000, "gewicht_kb": 150, "render_ms": 100}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "p95": round(p95(values), 1), "n": len(values)}


def timed(call: Callable[[], Any], n: int) -> list[float]:
    call()  # warm-up, untimed
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def settings_in(root: Path) -> Settings:
    for name in ("inbox", "outbox", "state"):
        (root / name).mkdir()
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", state_dir=root / "state", workers=1,
                        koerperschaft=Koerperschaft(name="Kreis Musterland", verwaltungsspitze="Der Landrat",
                                                    anschrift="Kreishaus, Am Markt 1, 12345 Musterstadt"))
    users.anlegen(settings, "bench", "sachbearbeitung", PASSWORT)
    return settings


def example(art: str) -> dict[str, Any]:
    data = jsontext.parse(api.example(art))
    data.pop("freigabe", None)
    data.pop("anlagen", None)  # the examples' Anlagen are files beside the example, not in a draft
    return data  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="measurements per figure (preview: half)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docgen-bench-web-"))
    settings = settings_in(work)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1280,1400", "--lang=de-DE"):
        options.add_argument(arg)
    with Service(settings) as service:
        server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        driver = webdriver.Chrome(service=DriverService(executable_path="/usr/bin/chromedriver"), options=options)
        driver.set_script_timeout(30)
        try:
            result = measure(base, settings, service, driver, args.n, work)
        finally:
            driver.quit()
            server.should_exit = True
    shutil.rmtree(work, ignore_errors=True)
    write(result)


def _login(driver: webdriver.Chrome, base: str) -> httpx.Client:
    driver.get(base + "/anmelden")
    driver.find_element(By.ID, "name").send_keys("bench")
    driver.find_element(By.ID, "passwort").send_keys(PASSWORT + Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: "Meine Entwürfe" in d.title)
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    for cookie in driver.get_cookies():
        client.cookies.set(cookie["name"], cookie["value"])
    return client


def _draft(client: httpx.Client, data: dict[str, Any]) -> str:
    page = client.get("/").text
    token = page.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    response = client.post("/entwuerfe", data={"_csrf": token},
                           files={"json": ("x.json", jsontext.dumps(data).encode(), "application/json")})
    return str(response.url).split("?")[0].rsplit("/", 1)[-1]


LIVE_JS = """
var done = arguments[arguments.length - 1], value = arguments[0];
var field = document.getElementById('f-vorlage-datum'), slot = document.getElementById('e-vorlage-datum');
var wantHidden = value !== '';
var start = performance.now();
var observer = new MutationObserver(function () {
  if (slot.hidden === wantHidden) { observer.disconnect(); done(performance.now() - start); }
});
observer.observe(slot, {attributes: true, childList: true, subtree: true});
field.value = value;
field.dispatchEvent(new Event('change', {bubbles: true}));
setTimeout(function () { observer.disconnect(); done(-1); }, 10000);
"""


def measure(base: str, settings: Settings, service: Service, driver: webdriver.Chrome, n: int,
            work: Path) -> dict[str, Any]:
    client = _login(driver, base)
    vorlage = example("beschlussvorlage")
    draft = _draft(client, vorlage)

    # live validation: clear the date (message appears), set it again (message goes); each a measurement
    driver.get(f"{base}/entwuerfe/{draft}")
    live: list[float] = []
    for i in range(n + 2):
        ms = float(driver.execute_async_script(LIVE_JS, "" if i % 2 == 0 else "2025-05-05"))
        if ms < 0:
            raise SystemExit("live check: no message on screen within 10 s")
        if i >= 2:
            live.append(ms)
    api_client = httpx.Client(base_url=base, auth=("bench", PASSWORT), timeout=60)
    body = jsontext.dumps(vorlage).encode()
    pruefen = timed(lambda: api_client.post("/api/pruefen", content=body,
                                            headers={"Content-Type": "application/json"}).raise_for_status(), n)

    # preview of the example with the warm pool, against render_file in-process
    def preview() -> None:
        response = client.get(f"/entwuerfe/{draft}/vorschau.pdf")
        response.raise_for_status()
        assert response.content.startswith(b"%PDF")
    vorschau = timed(preview, max(3, n // 2))
    source = work / "vorlage.json"
    source.write_text(jsontext.dumps(vorlage), encoding="utf-8")
    counter = iter(range(10_000))
    render = timed(lambda: api.render_file(source, work / f"aus-{next(counter)}", settings, service.converter),
                   max(3, n // 2))

    # the largest form (by HTML) and its weight; the empty login page as the baseline
    static = sum(len(gzip.compress(client.get(f"/statisch/{name}").content)) for name in ("docgen.css", "docgen.js"))
    forms = {}
    for art in api.dokumentarten():
        art_draft = _draft(client, example(art))
        forms[art] = (art_draft, client.get(f"/entwuerfe/{art_draft}").content)
    largest = max(forms, key=lambda a: len(forms[a][1]))
    form_html = forms[largest][1]
    login_html = httpx.get(base + "/anmelden").content
    weight = {"form_html_kb": round(len(gzip.compress(form_html)) / 1000, 1),
              "form_total_kb": round((len(gzip.compress(form_html)) + static) / 1000, 1),
              "form_html_raw_kb": round(len(form_html) / 1000, 1),
              "login_total_kb": round((len(gzip.compress(login_html)) + static) / 1000, 1)}
    form_render = timed(lambda: client.get(f"/entwuerfe/{forms[largest][0]}").raise_for_status(), n)
    health = timed(lambda: client.get("/gesund").raise_for_status(), n)  # same connection as the form
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "docgen": __version__,
        "chromium": driver.capabilities.get("browserVersion"), "n": n,
        "live_ms": summary(live), "pruefen_api_ms": summary(pruefen),
        "vorschau_ms": summary(vorschau), "render_file_ms": summary(render),
        "largest_form": largest, "weight": weight,
        "render_ms": summary(form_render), "gesund_ms": summary(health),
        "targets": TARGETS,
    }


def write(r: dict[str, Any]) -> None:
    def ok(value: float, target: float) -> str:
        return "ja" if value <= target else "**nein**"

    rows = [
        ("live validation, change → message on screen (p95)", f"{r['live_ms']['p95']} ms",
         f"POST /api/pruefen round trip: {r['pruefen_api_ms']['p95']} ms", "≤ 300 ms",
         ok(r["live_ms"]["p95"], 300)),
        ("preview of the example, warm pool (p95)", f"{r['vorschau_ms']['p95']} ms",
         f"api.render_file in-process: {r['render_file_ms']['p95']} ms", "≤ 2000 ms",
         ok(r["vorschau_ms"]["p95"], 2000)),
        (f"page weight, largest form ({r['largest_form']}), gzip", f"{r['weight']['form_total_kb']} KB",
         f"empty login page: {r['weight']['login_total_kb']} KB", "≤ 150 KB",
         ok(r["weight"]["form_total_kb"], 150)),
        (f"server render, largest form ({r['largest_form']}) (p95)", f"{r['render_ms']['p95']} ms",
         f"GET /gesund: {r['gesund_ms']['p95']} ms", "≤ 100 ms", ok(r["render_ms"]["p95"], 100)),
    ]
    lines = [f"# docgen web ({r['date']}, docgen {r['docgen']}, Chromium {r['chromium']}, n={r['n']})", "",
             "| figure | measured | baseline (same run) | target | met |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    lines += ["", f"Medians: live {r['live_ms']['median']} ms (API {r['pruefen_api_ms']['median']} ms), preview "
                  f"{r['vorschau_ms']['median']} ms (render_file {r['render_file_ms']['median']} ms), render "
                  f"{r['render_ms']['median']} ms (/gesund {r['gesund_ms']['median']} ms). Form HTML "
                  f"{r['weight']['form_html_raw_kb']} KB raw, {r['weight']['form_html_kb']} KB gzip."]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(r, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (RESULTS / "web.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
